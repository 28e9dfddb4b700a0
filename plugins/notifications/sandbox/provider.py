"""The sandbox notifier: deterministic, scriptable, in memory; it never sends anything.

Every message the sandbox gateway *accepts* is kept in an inbox per store (tenant), readable with
:meth:`SandboxNotifier.inbox` (the ``/admin`` inbox page reads it); messages it *refuses* (an
invalid number, an unapproved template, no subscription) are not in the inbox.

**SMS** (``send_sms``), like Aliyun SMS, scripted by the phone number (``+86`` is ignored):

=====================  ====================================================================
phone                  outcome
=====================  ====================================================================
not ``1[3-9]`` + 9     ``FAILED`` ``INVALID_PHONE`` (Aliyun ``isv.MOBILE_NUMBER_ILLEGAL``)
digits
``13800000001``        ``SUCCEEDED`` (accepted, in the inbox); ``query_message`` reports
                       ``FAILED`` ``DELIVERY_FAILED`` (handset off or number suspended)
``13800000002``        ``SUCCEEDED`` (accepted, in the inbox); delivery stays ``PENDING`` (no
                       delivery report ever arrives)
``13800000003``        ``NOT_SUBMITTED`` ``RATE_LIMITED`` the first time (Aliyun
                       ``isv.BUSINESS_LIMIT_CONTROL``); a retry with the same ``message_id``
                       is accepted
``13800000004``        ``UNKNOWN`` ``TIMEOUT`` (accepted and in the inbox, but the answer was
                       lost); ``query_message`` reports it delivered
``13800000008``        raises :class:`ProviderError` ``SANDBOX_FAULT`` (retryable), nothing kept
any other valid phone  ``SUCCEEDED``; ``query_message`` reports ``SUCCEEDED`` (delivered)
=====================  ====================================================================

Template code ``SMS_UNAPPROVED`` (or an empty one) is ``FAILED`` ``TEMPLATE_NOT_APPROVED``.

**Mini-program subscribe messages** (``send_mini_program_message``), scripted by the openid:
an empty openid is ``FAILED`` ``INVALID_OPENID`` (WeChat 40003); an openid starting
``sbx_unsubscribed`` is ``FAILED`` ``NOT_SUBSCRIBED`` (WeChat 43101: the user did not accept the
template); any other is ``SUCCEEDED`` and delivered.

``test_connection``: access key id ``sandbox_bad_credentials`` fails ``AUTH_FAILED``,
``sandbox_unreachable`` is ``NOT_SUBMITTED`` ``UNREACHABLE``; anything else succeeds.

**Idempotency.** Messages are keyed by ``(tenant_id, message_id)``: sending the same message id
again returns the first outcome and adds nothing to the inbox; reusing it for another recipient
or content raises ``ProviderError`` ``IDEMPOTENCY_MISMATCH``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

import pydantic

from pawpay.platform.hooks import (
    Capabilities,
    Capability,
    MiniProgramMessage,
    ProviderConfig,
    ProviderContext,
    ProviderError,
    ProviderResult,
    ProviderStatus,
    SmsMessage,
)

_MAINLAND_MOBILE = re.compile(r"^1[3-9]\d{9}$")
PHONE_DELIVERY_FAILS = "13800000001"
PHONE_NEVER_REPORTED = "13800000002"
PHONE_RATE_LIMITED_ONCE = "13800000003"
PHONE_TIMES_OUT = "13800000004"
PHONE_FAULT = "13800000008"
UNAPPROVED_TEMPLATE = "SMS_UNAPPROVED"
UNSUBSCRIBED_OPENID_PREFIX = "sbx_unsubscribed"


# Every setting has a default so a store gets this sandbox without entering anything (the
# platform falls back to a settings-free sandbox). The default secret is public: a store that
# wants forged sandbox webhooks refused enters its own.
SANDBOX_SECRET = pydantic.SecretStr("pawpay-sandbox-public-secret")


class SandboxNotifierConfig(ProviderConfig):
    """A store's sandbox notifier settings (shaped like Aliyun SMS's)."""

    access_key_id: str = pydantic.Field(
        default="sandbox", min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$",
        description="The sandbox access key id (any value; see the docs for scripted ones).",
    )
    access_key_secret: pydantic.SecretStr = pydantic.Field(
        default=SANDBOX_SECRET, min_length=16, description="The sandbox access key secret.",
    )
    sign_name: str = pydantic.Field(
        default="沙盒宠物店", min_length=2, max_length=12, description="The SMS signature shown as 【…】.",
    )


_Ctx = ProviderContext[SandboxNotifierConfig]


@dataclass(frozen=True, slots=True)
class InboxMessage:
    """One message the sandbox accepted, as a store's inbox shows it.

    ``channel`` is ``"sms"`` or ``"mini_program"``; ``recipient`` the phone or openid; ``template``
    the template code or id; ``text`` the rendered message; ``delivery`` what ``query_message``
    reports (``SUCCEEDED`` delivered, ``FAILED``, ``PENDING``).
    """

    message_id: str
    channel: str
    recipient: str
    template: str
    params: Mapping[str, str]
    text: str
    sent_at: datetime
    delivery: ProviderStatus
    page: str = ""


@dataclass(slots=True)
class _Sent:
    fingerprint: str
    result: ProviderResult
    delivery: ProviderResult | None = None  # None: refused, never delivered
    inbox: InboxMessage | None = None


def _result(status: ProviderStatus, code: str | None = None, message: str | None = None,
            reference: str | None = None, **raw: Any) -> ProviderResult:
    return ProviderResult(status, provider_reference=reference, error_code=code, error_message=message,
                          raw={"sandbox": True, **raw})


def _fingerprint(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _render(template: str, params: Mapping[str, str]) -> str:
    rendered = ", ".join(f"{k}={v}" for k, v in sorted(params.items()))
    return f"[{template}] {rendered}" if rendered else f"[{template}]"


class SandboxNotifier:
    """The ``notifications/sandbox`` provider (see the module docstring for its scripted inputs)."""

    config_schema: ClassVar[type[ProviderConfig]] = SandboxNotifierConfig
    capabilities: ClassVar[Capabilities] = frozenset({Capability.SMS, Capability.MINI_PROGRAM_MESSAGES})

    def __init__(self) -> None:
        self._sent: dict[tuple[str, str], _Sent] = {}
        self._limited_once: set[tuple[str, str]] = set()

    async def test_connection(self, ctx: _Ctx) -> ProviderResult:
        if ctx.config.access_key_id == "sandbox_bad_credentials":
            return _result(ProviderStatus.FAILED, "AUTH_FAILED", "the sandbox refused these credentials")
        if ctx.config.access_key_id == "sandbox_unreachable":
            return _result(ProviderStatus.NOT_SUBMITTED, "UNREACHABLE", "the sandbox did not answer")
        return _result(ProviderStatus.SUCCEEDED, reference=ctx.config.access_key_id)

    def _earlier(self, key: tuple[str, str], fingerprint: str) -> ProviderResult | None:
        sent = self._sent.get(key)
        if sent is None:
            return None
        if sent.fingerprint != fingerprint:
            raise ProviderError(f"message {key[1]} was sent before with other content", code="IDEMPOTENCY_MISMATCH")
        return sent.result

    async def send_sms(self, ctx: _Ctx, message: SmsMessage) -> ProviderResult:
        key = (ctx.tenant_id, message.message_id)
        fingerprint = _fingerprint("sms", message.phone, message.template_code, dict(message.params))
        earlier = self._earlier(key, fingerprint)
        if earlier is not None:
            return earlier
        phone = message.phone.removeprefix("+86")
        if phone == PHONE_FAULT:
            raise ProviderError("the sandbox simulates an unexpected fault (phone 13800000008)",
                                code="SANDBOX_FAULT", retryable=True)
        if phone == PHONE_RATE_LIMITED_ONCE and key not in self._limited_once:
            self._limited_once.add(key)
            return _result(ProviderStatus.NOT_SUBMITTED, "RATE_LIMITED", "too many messages to this number")
        if not _MAINLAND_MOBILE.match(phone):
            self._sent[key] = _Sent(fingerprint, _result(ProviderStatus.FAILED, "INVALID_PHONE",
                                                         "not a mainland mobile number"))
            return self._sent[key].result
        if not message.template_code or message.template_code == UNAPPROVED_TEMPLATE:
            self._sent[key] = _Sent(fingerprint, _result(ProviderStatus.FAILED, "TEMPLATE_NOT_APPROVED",
                                                         "the template is not approved"))
            return self._sent[key].result
        reference = f"sbx_sms_{message.message_id}"
        if phone == PHONE_DELIVERY_FAILS:
            delivery = _result(ProviderStatus.FAILED, "DELIVERY_FAILED", "the handset is off or the number suspended",
                               reference=reference)
        elif phone == PHONE_NEVER_REPORTED:
            delivery = _result(ProviderStatus.PENDING, reference=reference)
        else:
            delivery = _result(ProviderStatus.SUCCEEDED, reference=reference)
        accepted = (_result(ProviderStatus.UNKNOWN, "TIMEOUT", "the sandbox timed out after sending")
                    if phone == PHONE_TIMES_OUT else _result(ProviderStatus.SUCCEEDED, reference=reference))
        text = f"【{ctx.config.sign_name}】{_render(message.template_code, message.params)}"
        inbox = InboxMessage(message.message_id, "sms", phone, message.template_code, dict(message.params), text,
                             ctx.now(), delivery.status)
        self._sent[key] = _Sent(fingerprint, accepted, delivery, inbox)
        return accepted

    async def send_mini_program_message(self, ctx: _Ctx, message: MiniProgramMessage) -> ProviderResult:
        key = (ctx.tenant_id, message.message_id)
        fingerprint = _fingerprint("mp", message.openid, message.template_id, dict(message.data), message.page)
        earlier = self._earlier(key, fingerprint)
        if earlier is not None:
            return earlier
        if not message.openid:
            result = _result(ProviderStatus.FAILED, "INVALID_OPENID", "the openid is empty")
            self._sent[key] = _Sent(fingerprint, result)
            return result
        if message.openid.startswith(UNSUBSCRIBED_OPENID_PREFIX):
            result = _result(ProviderStatus.FAILED, "NOT_SUBSCRIBED", "the user has not accepted this template")
            self._sent[key] = _Sent(fingerprint, result)
            return result
        reference = f"sbx_mp_{message.message_id}"
        result = _result(ProviderStatus.SUCCEEDED, reference=reference)
        inbox = InboxMessage(message.message_id, "mini_program", message.openid, message.template_id,
                             dict(message.data), _render(message.template_id, message.data), ctx.now(),
                             ProviderStatus.SUCCEEDED, message.page)
        self._sent[key] = _Sent(fingerprint, result, result, inbox)
        return result

    async def query_message(self, ctx: _Ctx, message_id: str) -> ProviderResult:
        sent = self._sent.get((ctx.tenant_id, message_id))
        if sent is None:
            return _result(ProviderStatus.NOT_SUBMITTED, "NOT_FOUND", "the sandbox never received this message")
        return sent.delivery if sent.delivery is not None else sent.result

    # --- the inbox (sandbox only) ------------------------------------------------------------

    def inbox(self, ctx: _Ctx, *, recipient: str | None = None) -> list[InboxMessage]:
        """Every message the sandbox accepted for ``ctx``'s store, newest first (optionally for one
        phone number, without ``+86``, or openid)."""
        messages = [s.inbox for (tenant, _), s in self._sent.items()
                    if tenant == ctx.tenant_id and s.inbox is not None
                    and (recipient is None or s.inbox.recipient == recipient)]
        # Ties on the (test) clock: the later-sent message first.
        ordered = sorted(enumerate(messages), key=lambda im: (im[1].sent_at, im[0]), reverse=True)
        return [message for _, message in ordered]

    def clear_inbox(self, ctx: _Ctx) -> int:
        """Forget every message of ``ctx``'s store (the inbox page's "clear"); returns how many."""
        keys = [key for key in self._sent if key[0] == ctx.tenant_id]
        for key in keys:
            del self._sent[key]
        return len(keys)
