"""What every provider shares, whatever its category: outcomes, errors, context, config schema,
capabilities, rail limits and webhook DTOs.

The rules a provider follows (see ``docs/plugins.md``):

* **Outcomes are values.** A decline, a refused contract, an amount over the limit: return a
  :class:`ProviderResult`. Raise :class:`ProviderError` only for faults nobody expected (a bug, a
  response that cannot be parsed, credentials the vendor rejects mid-call).
* **Five outcomes** (:class:`ProviderStatus`): ``SUCCEEDED`` and ``FAILED`` are final for the
  attempt; ``PENDING`` means accepted, final outcome later (webhook or query); ``UNKNOWN`` means the
  vendor may or may not have acted (a timeout after sending) and the platform will *query* before
  anything else; ``NOT_SUBMITTED`` means the request certainly never took effect (connection
  refused, rate-limited, outside the allowed hours) and the platform may retry with the same key.
* **Platform-owned ids are the idempotency keys** (``attempt_id``, ``refund_id``, ...). The same
  key sent twice must never act twice.
* **Money is integer fen** (``amount_fen: int``) plus a ``currency`` code (``"CNY"``).
* **Plain DTOs only.** Calls receive frozen dataclasses and a :class:`ProviderContext` holding the
  calling tenant's own validated config, never ORM rows, so providers may one day run out of process.

This module imports nothing of the platform beyond :mod:`pawpay.platform.hooks`.
"""

from __future__ import annotations

import enum
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any, Generic, Protocol, TypeAlias, TypeVar, runtime_checkable
from zoneinfo import ZoneInfo

import pydantic

CURRENCY_CNY = "CNY"


def check_fen(owner: str, name: str, value: object, *, allow_zero: bool = False) -> None:
    """Refuse anything but a positive (or, with ``allow_zero``, non-negative) int amount of fen."""
    # bool is an int subclass and float fen are a classic rounding bug: refuse both.
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{owner}.{name} must be an int of fen, not {type(value).__name__}")
    if value < 0 or (value == 0 and not allow_zero):
        raise ValueError(f"{owner}.{name} must be {'non-negative' if allow_zero else 'positive'}, not {value}")


class ProviderCategory(enum.StrEnum):
    """The kinds of provider a store picks one of each (ARCHITECTURE §6)."""

    PAYMENTS = "payments"
    CREDIT = "credit"
    WAREHOUSES = "warehouses"
    NOTIFICATIONS = "notifications"
    IDENTITY = "identity"
    FINANCING = "financing"


class ProviderStatus(enum.StrEnum):
    """The outcome of one provider operation (see the module docstring for what each means)."""

    SUCCEEDED = "succeeded"
    PENDING = "pending"
    FAILED = "failed"
    UNKNOWN = "unknown"
    NOT_SUBMITTED = "not_submitted"


# Outcomes that end an attempt: the same attempt id will never report anything else.
FINAL_STATUSES = frozenset({ProviderStatus.SUCCEEDED, ProviderStatus.FAILED})


@dataclass(frozen=True, slots=True)
class ProviderResult:
    """The outcome of a provider call.

    Attributes:
        status: one of the five :class:`ProviderStatus` values.
        provider_reference: the vendor's id for what was created or acted on (transaction id,
            contract id, waybill, ...), when it has one.
        error_code: the vendor's (or the provider's documented) machine code; required for
            ``FAILED`` and ``NOT_SUBMITTED``, e.g. ``"INSUFFICIENT_FUNDS"``.
        error_message: a human-readable explanation, for operators; never shown to consumers as is.
        raw: JSON-able extra data for the audit trail (never secrets, never full ID numbers).
    """

    status: ProviderStatus
    provider_reference: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # A result that lies about itself corrupts money downstream: refuse it at the boundary.
        if not isinstance(self.status, ProviderStatus):
            raise TypeError(f"ProviderResult.status must be a ProviderStatus, not {self.status!r}")
        if self.status in {ProviderStatus.FAILED, ProviderStatus.NOT_SUBMITTED} and not self.error_code:
            raise ValueError(f"a {self.status.value} ProviderResult needs an error_code")
        if self.status is ProviderStatus.SUCCEEDED and self.error_code:
            raise ValueError("a succeeded ProviderResult carries no error_code")

    @property
    def is_final(self) -> bool:
        """``SUCCEEDED`` or ``FAILED``: nothing about this attempt will change any more."""
        return self.status in FINAL_STATUSES

    @property
    def needs_query(self) -> bool:
        """``PENDING`` or ``UNKNOWN``: ask the provider (query) before doing anything else."""
        return self.status in {ProviderStatus.PENDING, ProviderStatus.UNKNOWN}


class ProviderError(Exception):
    """An unexpected provider fault (a bug, an unparseable response, credentials rejected mid-call).

    Declines and other expected refusals are *values* (:class:`ProviderResult`), never this.
    ``retryable`` says whether the same call, with the same idempotency key, may be tried again
    later; the platform treats a raised error during a money-moving call like ``UNKNOWN`` and
    queries before any retry.
    """

    def __init__(self, message: str, *, code: str = "PROVIDER_ERROR", retryable: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.retryable = retryable

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, code={self.code!r}, retryable={self.retryable})"


class WebhookRejected(ProviderError):
    """A webhook failed verification (bad or missing signature, stale timestamp, malformed body).

    Nothing may change because of it; the platform logs it and answers with the provider's error
    reply.
    """

    def __init__(self, message: str, *, code: str = "WEBHOOK_REJECTED") -> None:
        super().__init__(message, code=code, retryable=False)


class ProviderConfig(pydantic.BaseModel):
    """Base class of every provider's config schema (one subclass per provider).

    A store enters these values in its settings; the platform validates them against the schema,
    stores them encrypted and hands the validated instance to every call in
    :attr:`ProviderContext.config`. **Mark secret fields by typing them** ``pydantic.SecretStr``
    (or ``SecretBytes``): they are masked in ``repr``, logs and the admin UI, and never shown again
    in full. Describe every field (``Field(description=...)``): the admin form shows it.
    Instances are frozen and unknown keys are refused.
    """

    model_config = pydantic.ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


ConfigT = TypeVar("ConfigT", bound=ProviderConfig)

_SECRET_TYPES = (pydantic.SecretStr, pydantic.SecretBytes)


def _is_secret(annotation: Any) -> bool:
    if isinstance(annotation, type) and issubclass(annotation, _SECRET_TYPES):
        return True
    return any(_is_secret(arg) for arg in typing.get_args(annotation))


def secret_fields(schema: type[ProviderConfig]) -> frozenset[str]:
    """The names of the fields of ``schema`` typed ``SecretStr``/``SecretBytes`` (optionals included)."""
    return frozenset(name for name, info in schema.model_fields.items() if _is_secret(info.annotation))


def redacted_config(config: ProviderConfig) -> dict[str, Any]:
    """The config as JSON-able data with every secret replaced by ``"********"`` (for display)."""
    data = config.model_dump(mode="json")
    for name in secret_fields(type(config)):
        if data.get(name) is not None:
            data[name] = "********"
    return data


@dataclass(frozen=True, slots=True)
class ProviderContext(Generic[ConfigT]):
    """What a provider knows about the call it serves.

    Attributes:
        tenant_id: the store the call is made for (a UUID string). State kept by a provider must
            be keyed by it.
        config: that store's own validated config (an instance of the provider's schema).
        test_mode: the store is in test mode; a real provider talks to the vendor's test
            environment (or refuses), never moves real money.
        clock_now: returns the current aware UTC time of the store's clock (a test clock in
            test mode); use it instead of ``datetime.now()``.
    """

    tenant_id: str
    config: ConfigT
    test_mode: bool
    clock_now: Callable[[], datetime]

    def now(self) -> datetime:
        return self.clock_now()


class Capability(enum.StrEnum):
    """Optional features a provider declares; the platform calls an operation only if declared."""

    # payments
    SUB_MERCHANT_ONBOARDING = "sub_merchant_onboarding"
    AGREEMENTS = "agreements"
    PRE_DEBIT_NOTICE = "pre_debit_notice"
    FUNDS_HOLD = "funds_hold"
    SPLIT = "split"
    REFUNDS = "refunds"
    PARTIAL_REFUNDS = "partial_refunds"
    STATEMENTS = "statements"
    # shipping information the rail needs before it settles (WeChat mini-program 发货信息管理); version 3
    SHIPPING_INFO = "shipping_info"
    # every category
    WEBHOOKS = "webhooks"
    # credit
    PERSON_CHECK = "person_check"
    BUSINESS_CHECK = "business_check"
    # notifications
    SMS = "sms"
    MINI_PROGRAM_MESSAGES = "mini_program_messages"
    # identity
    FACE_CHECK = "face_check"
    E_SIGN = "e_sign"
    # warehouses
    TRACKING = "tracking"


Capabilities: TypeAlias = frozenset[Capability]


@dataclass(frozen=True, slots=True)
class RailLimits:
    """What a payment rail allows; the debit planner refuses a plan that breaks these at plan time.

    Attributes:
        per_debit_max_fen: the largest single debit (``None``: no cap).
        daily_max_fen: the most debited per payer agreement per local day (``None``: no cap).
        allowed_hours: ``(start, end)`` local wall-clock times when debits and pre-debit notices may
            be sent, end exclusive (WeChat: 07:00-22:00); ``None``: any time.
        time_zone: the IANA zone ``allowed_hours`` are in.
        pre_debit_notice_hours: how long before a debit the payer must have been notified
            (0: no notice needed).
        debit_window_days: after the notice period, the number of days in which the debit must be
            made (``None``: no window).
        requests_per_second: the vendor's rate limit for this merchant (``None``: unknown).
        one_success_per_cycle: at most one successful debit per agreement and billing cycle.
    """

    per_debit_max_fen: int | None = None
    daily_max_fen: int | None = None
    allowed_hours: tuple[time, time] | None = None
    time_zone: str = "Asia/Shanghai"
    pre_debit_notice_hours: int = 0
    debit_window_days: int | None = None
    requests_per_second: float | None = None
    one_success_per_cycle: bool = False

    def __post_init__(self) -> None:
        for name in ("per_debit_max_fen", "daily_max_fen"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value <= 0):
                raise ValueError(f"RailLimits.{name} must be a positive integer of fen, not {value!r}")
        if (self.per_debit_max_fen is not None and self.daily_max_fen is not None
                and self.daily_max_fen < self.per_debit_max_fen):
            raise ValueError("RailLimits.daily_max_fen is below per_debit_max_fen")
        if self.allowed_hours is not None:
            start, end = self.allowed_hours
            if start.tzinfo is not None or end.tzinfo is not None or not start < end:
                raise ValueError("RailLimits.allowed_hours must be naive local times with start < end")
        ZoneInfo(self.time_zone)  # raises on an unknown zone
        if self.pre_debit_notice_hours < 0:
            raise ValueError("RailLimits.pre_debit_notice_hours must not be negative")
        if self.debit_window_days is not None and self.debit_window_days <= 0:
            raise ValueError("RailLimits.debit_window_days must be positive")
        if self.requests_per_second is not None and self.requests_per_second <= 0:
            raise ValueError("RailLimits.requests_per_second must be positive")

    def amount_refusal(self, amount_fen: int) -> str | None:
        """Why a single debit of ``amount_fen`` cannot be made on this rail, or ``None`` if it can."""
        if amount_fen <= 0:
            return "the amount must be positive"
        if self.per_debit_max_fen is not None and amount_fen > self.per_debit_max_fen:
            return f"the amount {amount_fen} fen exceeds the per-debit cap of {self.per_debit_max_fen} fen"
        return None

    def allows_time(self, at: datetime) -> bool:
        """Whether a debit or notice may be sent at the aware instant ``at``."""
        if self.allowed_hours is None:
            return True
        if at.tzinfo is None:
            raise ValueError("allows_time needs an aware datetime")
        local = at.astimezone(ZoneInfo(self.time_zone)).time()
        start, end = self.allowed_hours
        return start <= local < end


@dataclass(frozen=True, slots=True)
class ClientAction:
    """What the consumer's device must do to continue (sign a contract, pass a face check).

    Attributes:
        kind: ``"redirect_url"``, ``"mini_program_jump"``, ``"sdk_order_string"`` or ``"qr_content"``.
        payload: the data the front end needs (e.g. ``{"url": ...}``), JSON-able.
        expires_at: when the action stops working, if known.
    """

    kind: str
    payload: Mapping[str, Any]
    expires_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class RawWebhook:
    """An HTTP request to ``/webhooks/{category}/{provider}/{store}`` exactly as received.

    The body is the raw bytes, so providers verify signatures over what the vendor signed.
    """

    method: str
    path: str
    query: str
    headers: Mapping[str, str]
    body: bytes
    remote_ip: str
    received_at: datetime


@dataclass(frozen=True, slots=True)
class WebhookEvent:
    """One normalised event parsed from a verified webhook.

    Attributes:
        event_id: the vendor's unique id for the event, the de-duplication key.
        kind: what happened, ``"<object>.<verb>"``: ``charge.succeeded``, ``charge.failed``,
            ``agreement.signed``, ``agreement.terminated``, ``refund.succeeded``, ``parcel.moved``,
            ``face_check.completed``, ``sign_flow.completed``, ...
        occurred_at: when it happened at the vendor (aware UTC).
        reference: the platform-owned id it concerns (``attempt_id``, ``agreement_id``, ...).
        provider_reference: the vendor's id for the same object.
        status: the outcome it reports, when it reports one.
        amount_fen: the amount it reports, when it reports one.
        raw: JSON-able vendor data for the audit trail (no secrets).
    """

    event_id: str
    kind: str
    occurred_at: datetime
    reference: str | None = None
    provider_reference: str | None = None
    status: ProviderStatus | None = None
    amount_fen: int | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class WebhookAck:
    """The HTTP reply a vendor expects (WeChat v2 XML, Alipay ``success``, plain 200, ...)."""

    status_code: int
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)


@runtime_checkable
class Provider(Protocol):
    """What every provider, of every category, offers."""

    @property
    def config_schema(self) -> type[ProviderConfig]:
        """The pydantic model a store's config for this provider must satisfy.

        .. versionadded:: 1
        """
        ...

    @property
    def capabilities(self) -> Capabilities:
        """The optional features this provider implements (:class:`Capability`).

        .. versionadded:: 1
        """
        ...

    async def test_connection(self, ctx: ProviderContext[Any]) -> ProviderResult:
        """Check that the store's config works (the "test connection" button in settings).

        Called when a store saves or tests its provider settings. Makes the cheapest
        authenticated, side-effect-free call the vendor offers.

        Args:
            ctx: the store's context and validated config.

        Returns:
            ``SUCCEEDED`` if the vendor accepted the credentials; ``FAILED`` with an error code
            (e.g. ``"AUTH_FAILED"``) if it refused them; ``NOT_SUBMITTED`` if it was unreachable.

        Raises:
            ProviderError: only on an unexpected fault.

        .. versionadded:: 1
        """
        ...
