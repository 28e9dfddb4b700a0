"""The ``credit`` category: an eligibility gate for a person, a dishonesty check for a store.

Credit providers (WeChat Pay Score, Zhima 先享) return *decisions*, never scores: the threshold is
configured at the vendor. pawpay never reports to a credit bureau.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from pawpay.platform.hooks.providers import (
    Capabilities,
    ProviderConfig,
    ProviderContext,
    ProviderResult,
    RawWebhook,
    WebhookAck,
    WebhookEvent,
    check_fen,
)


class CreditDecision(enum.StrEnum):
    PASS = "pass"  # noqa: S105 - a decision, not a password
    CONDITIONAL = "conditional"
    FAIL = "fail"


@dataclass(frozen=True, slots=True)
class PersonCheck:
    """Check a consumer before signing (capability ``PERSON_CHECK``).

    Attributes:
        check_id: platform-owned id, the idempotency key.
        name: the person's legal name.
        id_number: the resident ID number (sent only to the vendor, never logged or put in ``raw``).
        mobile: the person's phone number.
        risk_amount_fen: the amount at risk (the contract's total), integer fen.
    """

    check_id: str
    name: str
    id_number: str
    mobile: str
    risk_amount_fen: int

    def __post_init__(self) -> None:
        check_fen("PersonCheck", "risk_amount_fen", self.risk_amount_fen)


@dataclass(frozen=True, slots=True)
class BusinessCheck:
    """Check a store's business for dishonesty records (capability ``BUSINESS_CHECK``)."""

    check_id: str
    legal_name: str
    registration_number: str


@dataclass(frozen=True, slots=True)
class CreditOutcome:
    """The answer to a credit check.

    ``result`` is the call's outcome; ``decision`` is set once ``result.status`` is ``SUCCEEDED``.
    ``conditions`` lists what a ``CONDITIONAL`` pass requires (e.g. ``"deposit"``).
    """

    result: ProviderResult
    decision: CreditDecision | None = None
    reason_code: str | None = None
    conditions: Sequence[str] = ()
    raw: Mapping[str, Any] = field(default_factory=dict)


@runtime_checkable
class CreditProvider(Protocol):
    """A credit gate (WeChat Pay Score, Zhima, a bureau through a licensed partner, the sandbox)."""

    @property
    def config_schema(self) -> type[ProviderConfig]:
        """The store config schema. .. versionadded:: 1"""
        ...

    @property
    def capabilities(self) -> Capabilities:
        """Optional features implemented. .. versionadded:: 1"""
        ...

    async def test_connection(self, ctx: ProviderContext[Any]) -> ProviderResult:
        """Check the store's credentials without side effects. .. versionadded:: 1"""
        ...

    async def check_person(self, ctx: ProviderContext[Any], check: PersonCheck) -> CreditOutcome:
        """Decide whether a consumer may sign a contract of ``risk_amount_fen``.

        Called during sign-up, after consent. Idempotent on ``check.check_id``. Returns
        ``PENDING`` when the consumer must confirm in the vendor's app (then query).

        .. versionadded:: 1
        """
        ...

    async def check_business(self, ctx: ProviderContext[Any], check: BusinessCheck) -> CreditOutcome:
        """Decide whether a store's business is in good standing (onboarding, periodic review).

        .. versionadded:: 1
        """
        ...

    async def query_check(self, ctx: ProviderContext[Any], check_id: str) -> CreditOutcome:
        """The current outcome of a check started earlier. .. versionadded:: 1"""
        ...

    async def verify_webhook(self, ctx: ProviderContext[Any], raw: RawWebhook) -> Sequence[WebhookEvent]:
        """Verify and parse a webhook (raises ``WebhookRejected``). .. versionadded:: 1"""
        ...

    def webhook_ack(self, ok: bool) -> WebhookAck:
        """The reply the vendor expects for an accepted (``ok``) or rejected webhook.

        Called by the webhook endpoint after persisting the raw request (capability ``WEBHOOKS``).

        .. versionadded:: 1
        """
        ...


__all__ = ["BusinessCheck", "CreditDecision", "CreditOutcome", "CreditProvider", "PersonCheck"]
