"""The ``notifications`` category: SMS and WeChat mini-program subscribe messages."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from pawpay.platform.hooks.providers import Capabilities, ProviderConfig, ProviderContext, ProviderResult


@dataclass(frozen=True, slots=True)
class SmsMessage:
    """An SMS from an approved template.

    Attributes:
        message_id: platform-owned id, the idempotency key (Aliyun ``out_id``).
        phone: E.164 or mainland 11-digit number.
        template_code: the vendor-approved template.
        params: the template's parameters.
    """

    message_id: str
    phone: str
    template_code: str
    params: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MiniProgramMessage:
    """A one-time subscribe message (the user must have accepted the template beforehand)."""

    message_id: str
    openid: str
    template_id: str
    data: Mapping[str, str] = field(default_factory=dict)
    page: str = ""


@runtime_checkable
class NotificationProvider(Protocol):
    """An SMS / mini-program message sender (Aliyun SMS, Tencent SMS, WeChat, the sandbox)."""

    @property
    def config_schema(self) -> type[ProviderConfig]:
        """The store config schema. .. versionadded:: 1"""
        ...

    @property
    def capabilities(self) -> Capabilities:
        """Optional features implemented (``SMS``, ``MINI_PROGRAM_MESSAGES``). .. versionadded:: 1"""
        ...

    async def test_connection(self, ctx: ProviderContext[Any]) -> ProviderResult:
        """Check the store's credentials without side effects. .. versionadded:: 1"""
        ...

    async def send_sms(self, ctx: ProviderContext[Any], message: SmsMessage) -> ProviderResult:
        """Send an SMS; idempotent on ``message.message_id``. Called by the notifications outbox.

        ``SUCCEEDED`` = accepted by the gateway (``provider_reference`` = its id); delivery arrives
        later by :meth:`query_message` or webhook.

        .. versionadded:: 1
        """
        ...

    async def send_mini_program_message(self, ctx: ProviderContext[Any], message: MiniProgramMessage) -> ProviderResult:
        """Send a subscribe message; ``FAILED`` with code ``"NOT_SUBSCRIBED"`` without consent.

        .. versionadded:: 1
        """
        ...

    async def query_message(self, ctx: ProviderContext[Any], message_id: str) -> ProviderResult:
        """The delivery state of a message sent earlier (``SUCCEEDED`` = delivered). .. versionadded:: 1"""
        ...


__all__ = ["MiniProgramMessage", "NotificationProvider", "SmsMessage"]
