"""The ``payments`` category: debit agreements, charges, refunds and the release of held funds.

pawpay never holds consumers' money (ARCHITECTURE §5a): every store is a sub-merchant of the
licensed provider, every debit is made *as that store*, the platform's fee is split off by the
provider, and T+N settlement is the provider holding funds in the store's own account until the
platform asks it to release them. Hence no "pay out to merchant" operation exists here.

Every money-moving request carries a platform-owned id that the provider uses as its idempotency
key (WeChat ``out_trade_no``, Alipay ``out_trade_no``/``out_request_no``, Stripe
``Idempotency-Key``). The same id sent twice must never move money twice.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol, runtime_checkable

from pawpay.platform.hooks.providers import (
    CURRENCY_CNY,
    Capabilities,
    ClientAction,
    ProviderConfig,
    ProviderContext,
    ProviderResult,
    RailLimits,
    RawWebhook,
    WebhookAck,
    WebhookEvent,
    check_fen,
)


@dataclass(frozen=True, slots=True)
class SubMerchantApplication:
    """A store's application to become the provider's sub-merchant (WeChat 特约商户进件, Stripe
    Connect account).

    Attributes:
        application_id: platform-owned id, the idempotency key.
        legal_name: the business's registered name.
        registration_number: the unified social credit code (USCC) or equivalent.
        contact_name, contact_phone, contact_email: who the provider talks to.
        details: further vendor-specific fields (bank account, licences, photos as URLs).
    """

    application_id: str
    legal_name: str
    registration_number: str
    contact_name: str
    contact_phone: str
    contact_email: str = ""
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AgreementRequest:
    """Ask a payer to sign a debit agreement (委托代扣 contract, Alipay 周期扣款, Stripe mandate).

    Attributes:
        agreement_id: platform-owned id (WeChat ``contract_code``), the idempotency key.
        payer_reference: the payer's id at the provider when known (openid, customer id), else "".
        display_account: what the payer sees the agreement as (no emoji: WeChat refuses 4-byte UTF-8).
        max_amount_fen: the largest single debit the agreement will allow.
        period_months: the billing period in months.
        first_debit_on: the first planned debit date (local).
        total_payments: how many debits the plan has, if bounded.
        return_url: where the payer's browser returns after signing.
        channel: ``"mini_program"``, ``"h5"``, ``"app"`` or ``"qr"``.
    """

    agreement_id: str
    payer_reference: str
    display_account: str
    max_amount_fen: int
    period_months: int
    first_debit_on: date
    total_payments: int | None = None
    return_url: str = ""
    channel: str = "mini_program"
    currency: str = CURRENCY_CNY

    def __post_init__(self) -> None:
        check_fen("AgreementRequest", "max_amount_fen", self.max_amount_fen)


@dataclass(frozen=True, slots=True)
class AgreementSession:
    """The answer to :meth:`PaymentsProvider.sign_agreement`.

    ``result`` is ``PENDING`` while the payer has to act through ``action``; ``SUCCEEDED`` if the
    agreement is already active (e.g. signed earlier under the same ``agreement_id``);
    ``result.provider_reference`` is the provider's agreement id once known.
    """

    result: ProviderResult
    action: ClientAction | None = None


class AgreementState(enum.StrEnum):
    PENDING_SIGNATURE = "pending_signature"
    ACTIVE = "active"
    TERMINATED = "terminated"
    EXPIRED = "expired"
    NOT_FOUND = "not_found"


@dataclass(frozen=True, slots=True)
class AgreementInfo:
    """An agreement as the provider knows it (:meth:`PaymentsProvider.query_agreement`).

    ``payer_reference`` is the payer as *the provider* reports it (authoritative for matching the
    signer with the identity check).
    """

    agreement_id: str
    state: AgreementState
    provider_reference: str | None = None
    payer_reference: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PreDebitNotice:
    """Tell the payer about an upcoming debit (WeChat 预扣费通知).

    Attributes:
        notice_id: platform-owned id, the idempotency key.
        agreement_id: the agreement the debit will use.
        amount_fen: the amount that will be debited.
        debit_on: the planned local debit date.
    """

    notice_id: str
    agreement_id: str
    amount_fen: int
    debit_on: date
    currency: str = CURRENCY_CNY

    def __post_init__(self) -> None:
        check_fen("PreDebitNotice", "amount_fen", self.amount_fen)


@dataclass(frozen=True, slots=True)
class ChargeRequest:
    """Debit a payer under an agreement, as the store.

    Attributes:
        attempt_id: platform-owned id of this attempt, **the idempotency key**; a new attempt after a
            ``FAILED`` outcome gets a new id, a retry after ``NOT_SUBMITTED`` reuses it.
        payment_id: the platform's installment/payment this attempt belongs to.
        agreement_id: the platform's agreement id (the provider maps it to its own).
        amount_fen: the amount, integer fen.
        description: shown on the payer's statement.
        hold_funds: keep the funds frozen in the store's account until
            :meth:`PaymentsProvider.release_held_funds` (T+N settlement, split).
        platform_fee_fen: the platform's fee, split off by the provider (0: none).
    """

    attempt_id: str
    payment_id: str
    agreement_id: str
    amount_fen: int
    description: str
    hold_funds: bool = False
    platform_fee_fen: int = 0
    currency: str = CURRENCY_CNY

    def __post_init__(self) -> None:
        check_fen("ChargeRequest", "amount_fen", self.amount_fen)
        check_fen("ChargeRequest", "platform_fee_fen", self.platform_fee_fen, allow_zero=True)
        if self.platform_fee_fen > self.amount_fen:
            raise ValueError("ChargeRequest.platform_fee_fen exceeds amount_fen")


@dataclass(frozen=True, slots=True)
class RefundRequest:
    """Refund (part of) a succeeded charge.

    Attributes:
        refund_id: platform-owned id, the idempotency key.
        attempt_id: the succeeded charge attempt to refund.
        amount_fen: the amount to refund now.
        charge_amount_fen: the charge's original amount (WeChat needs ``total_fee``).
        reason: shown to the payer where the rail supports it.
    """

    refund_id: str
    attempt_id: str
    amount_fen: int
    charge_amount_fen: int
    reason: str = ""
    currency: str = CURRENCY_CNY

    def __post_init__(self) -> None:
        check_fen("RefundRequest", "amount_fen", self.amount_fen)
        check_fen("RefundRequest", "charge_amount_fen", self.charge_amount_fen)
        if self.amount_fen > self.charge_amount_fen:
            raise ValueError("RefundRequest.amount_fen exceeds charge_amount_fen")


@dataclass(frozen=True, slots=True)
class SplitReceiver:
    """One receiver of a split (the platform's fee account, a financing partner).

    ``receiver_type`` is the vendor's kind (``"merchant"``, ``"personal"``), ``account`` its id there.
    """

    receiver_type: str
    account: str
    amount_fen: int
    description: str

    def __post_init__(self) -> None:
        check_fen("SplitReceiver", "amount_fen", self.amount_fen)


@dataclass(frozen=True, slots=True)
class ReleaseRequest:
    """Split a held charge's funds and release the rest to the store (分账 / 解冻, settle.confirm).

    Attributes:
        release_id: platform-owned id, the idempotency key.
        attempt_id: the succeeded, held charge.
        receivers: who gets what before the rest is released (may be empty).
        release_rest: unfreeze what remains for the store (``False``: keep it held, e.g. deposit).
    """

    release_id: str
    attempt_id: str
    receivers: Sequence[SplitReceiver] = ()
    release_rest: bool = True


@dataclass(frozen=True, slots=True)
class ShippingInfo:
    """What was shipped for a charge, for a rail that settles only after shipping is reported (WeChat
    mini-program 发货信息管理, ``upload_shipping_info``).

    Attributes:
        attempt_id: the succeeded charge attempt that paid for the goods (WeChat ``out_trade_no``);
            with the store's merchant id it identifies the order at the rail.
        charge_reference: the provider's transaction id of that charge, when known (WeChat
            ``transaction_id``); providers prefer it over ``attempt_id``.
        carrier_code: the carrier (Kuaidi100 code, e.g. ``"SF"``, ``"ZTO"``).
        waybill_no: the parcel's tracking number.
        item_desc: what is in the parcel (WeChat allows 120 characters).
        receiver_phone_masked: the receiver's phone with the middle digits masked (``"138****0000"``);
            SF Express requires it.
        shipped_at: when the parcel left the warehouse (aware).
        payer_reference: the payer's id at the provider when known (WeChat ``openid``), else "".

    .. versionadded:: 3
    """

    attempt_id: str
    carrier_code: str
    waybill_no: str
    item_desc: str
    shipped_at: datetime
    receiver_phone_masked: str = ""
    charge_reference: str | None = None
    payer_reference: str = ""


@runtime_checkable
class ShippingInfoUploader(Protocol):
    """The optional payments operation of capability ``SHIPPING_INFO``.

    A payments provider that declares :attr:`Capability.SHIPPING_INFO` implements this method as
    well as :class:`PaymentsProvider`; registering one that declares the capability without the
    method fails the start-up.

    .. versionadded:: 3
    """

    async def upload_shipping_info(self, ctx: ProviderContext[Any], info: ShippingInfo) -> ProviderResult:
        """Report that the goods paid by ``info.attempt_id`` shipped (WeChat
        ``/wxa/sec/order/upload_shipping_info``), so the rail releases the funds it froze.

        Called when a shipment paid by a debit leaves the warehouse. Idempotent per charge:
        reporting the same charge again (a re-delivered event) must not fail the store, return
        ``SUCCEEDED`` if the rail already has it. ``NOT_SUBMITTED`` (unreachable, rate-limited)
        and ``UNKNOWN`` are retried later; ``FAILED`` is shown to the store.

        .. versionadded:: 3
        """
        ...


@runtime_checkable
class PaymentsProvider(Protocol):
    """A payment rail: WeChat Pay 委托代扣, Alipay 周期扣款, Stripe, the sandbox.

    Every method takes the calling store's :class:`ProviderContext` first. Methods tied to an
    optional :class:`Capability` are only called if the provider declares it; otherwise implement
    them to raise :class:`ProviderError` with code ``"UNSUPPORTED"``. The optional operation
    ``upload_shipping_info`` (capability ``SHIPPING_INFO``, :class:`ShippingInfoUploader`) is only
    required from providers that declare it.
    """

    @property
    def config_schema(self) -> type[ProviderConfig]:
        """The store config schema (see :class:`ProviderConfig`).

        .. versionadded:: 1
        """
        ...

    @property
    def capabilities(self) -> Capabilities:
        """Optional features implemented (:class:`Capability`).

        .. versionadded:: 1
        """
        ...

    def rail_limits(self, ctx: ProviderContext[Any]) -> RailLimits:
        """The limits of this rail for the store (they may depend on its config, e.g. a test template).

        Called when a plan is priced and before every debit; must not do I/O.

        .. versionadded:: 1
        """
        ...

    async def test_connection(self, ctx: ProviderContext[Any]) -> ProviderResult:
        """Check the store's credentials with a side-effect-free call.

        Returns ``SUCCEEDED``, ``FAILED`` (e.g. ``AUTH_FAILED``) or ``NOT_SUBMITTED`` (unreachable).

        .. versionadded:: 1
        """
        ...

    async def onboard_sub_merchant(
        self, ctx: ProviderContext[Any], application: SubMerchantApplication
    ) -> ProviderResult:
        """Submit (or resubmit, same ``application_id``) the store's sub-merchant application.

        Called when a store manager applies in settings (capability ``SUB_MERCHANT_ONBOARDING``).

        Returns:
            usually ``PENDING`` (vendor review) with the application reference; ``SUCCEEDED`` when
            the sub-merchant id is known (``provider_reference``); ``FAILED`` when refused.

        .. versionadded:: 1
        """
        ...

    async def query_sub_merchant(self, ctx: ProviderContext[Any], application_id: str) -> ProviderResult:
        """The current state of an application sent by :meth:`onboard_sub_merchant`.

        .. versionadded:: 1
        """
        ...

    async def sign_agreement(self, ctx: ProviderContext[Any], request: AgreementRequest) -> AgreementSession:
        """Start the payer's signature of a debit agreement (capability ``AGREEMENTS``).

        Called when a consumer signs a contract, after the identity check. Idempotent on
        ``request.agreement_id``.

        Returns:
            an :class:`AgreementSession`: ``PENDING`` plus the :class:`ClientAction` the payer must
            complete; the outcome then arrives by webhook (``agreement.signed``) or
            :meth:`query_agreement`.

        .. versionadded:: 1
        """
        ...

    async def query_agreement(self, ctx: ProviderContext[Any], agreement_id: str) -> AgreementInfo:
        """The state of the agreement ``agreement_id`` at the provider (``NOT_FOUND`` if unknown).

        Called to reconcile a missed webhook and before the first debit.

        Raises:
            ProviderError: if the provider cannot be asked (the platform retries later).

        .. versionadded:: 1
        """
        ...

    async def terminate_agreement(self, ctx: ProviderContext[Any], agreement_id: str, reason: str) -> ProviderResult:
        """End the agreement so no further debit is possible.

        Called when a contract ends or is cancelled. Terminating an already terminated agreement
        returns ``SUCCEEDED``.

        .. versionadded:: 1
        """
        ...

    async def send_pre_debit_notice(self, ctx: ProviderContext[Any], notice: PreDebitNotice) -> ProviderResult:
        """Have the provider notify the payer of an upcoming debit (capability ``PRE_DEBIT_NOTICE``).

        Called ``rail_limits().pre_debit_notice_hours`` before the debit, inside the allowed hours.
        Idempotent on ``notice.notice_id``.

        .. versionadded:: 1
        """
        ...

    async def charge(self, ctx: ProviderContext[Any], request: ChargeRequest) -> ProviderResult:
        """Debit the payer under the agreement, as the store.

        Called by the collection job for each attempt. **Idempotent on** ``request.attempt_id``:
        calling it again with the same attempt (after a crash, a lost reply) must return the
        attempt's current outcome and never debit twice; the same attempt id with different
        amount or agreement raises :class:`ProviderError` (code ``"IDEMPOTENCY_MISMATCH"``).

        Returns:
            ``SUCCEEDED`` (``provider_reference`` = the vendor transaction id), ``PENDING``
            (accepted, outcome later), ``FAILED`` with the decline code, ``UNKNOWN`` (timeout:
            the platform queries before anything else) or ``NOT_SUBMITTED`` (safe to retry with
            the same attempt id).

        Raises:
            ProviderError: only on an unexpected fault; treated as ``UNKNOWN``.

        .. versionadded:: 1
        """
        ...

    async def query_charge(self, ctx: ProviderContext[Any], attempt_id: str) -> ProviderResult:
        """The current outcome of the attempt ``attempt_id``.

        Called to resolve ``PENDING`` and ``UNKNOWN`` outcomes. An attempt the vendor never
        received is ``NOT_SUBMITTED`` with code ``"NOT_FOUND"``.

        .. versionadded:: 1
        """
        ...

    async def close_charge(self, ctx: ProviderContext[Any], attempt_id: str) -> ProviderResult:
        """Close an attempt that has not succeeded, so it can never succeed later.

        Called before giving up on an ``UNKNOWN``/``PENDING`` attempt and starting a new one.
        Returns ``SUCCEEDED`` when closed (or already closed); ``FAILED`` with code
        ``"ALREADY_SUCCEEDED"`` if it succeeded meanwhile (the platform then records the payment).

        .. versionadded:: 1
        """
        ...

    async def refund(self, ctx: ProviderContext[Any], request: RefundRequest) -> ProviderResult:
        """Refund (part of) a succeeded charge (capability ``REFUNDS``). Idempotent on ``refund_id``.

        .. versionadded:: 1
        """
        ...

    async def release_held_funds(self, ctx: ProviderContext[Any], request: ReleaseRequest) -> ProviderResult:
        """Split a held charge and release the rest to the store (capabilities ``FUNDS_HOLD``/``SPLIT``).

        Called on the N-th business day of the store's settlement term. Idempotent on
        ``release_id``.

        .. versionadded:: 1
        """
        ...

    async def verify_webhook(self, ctx: ProviderContext[Any], raw: RawWebhook) -> Sequence[WebhookEvent]:
        """Verify a webhook (signature over the raw body, timestamp freshness) and parse its events.

        Called by the webhook worker after the raw request was persisted (capability
        ``WEBHOOKS``). Must not change state: the platform de-duplicates on ``event_id`` and acts.

        Raises:
            WebhookRejected: bad or missing signature, stale timestamp, malformed body.

        .. versionadded:: 1
        """
        ...

    def webhook_ack(self, ok: bool) -> WebhookAck:
        """The reply the vendor expects for an accepted (``ok``) or rejected webhook.

        .. versionadded:: 1
        """
        ...

    async def download_statement(self, ctx: ProviderContext[Any], day: date) -> bytes:
        """The store's transaction statement for the local ``day`` (capability ``STATEMENTS``).

        Called by the daily reconciliation job.

        .. versionadded:: 1
        """
        ...


__all__ = [
    "AgreementInfo",
    "AgreementRequest",
    "AgreementSession",
    "AgreementState",
    "ChargeRequest",
    "PaymentsProvider",
    "PreDebitNotice",
    "RefundRequest",
    "ReleaseRequest",
    "ShippingInfo",
    "ShippingInfoUploader",
    "SplitReceiver",
    "SubMerchantApplication",
]
