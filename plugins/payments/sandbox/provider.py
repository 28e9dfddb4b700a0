"""The sandbox payment rail: deterministic, scriptable, in memory.

Like Stripe's test cards, the **last two digits of the amount in fen** choose the outcome of a
charge (so ``9900`` succeeds and ``9901`` is declined):

====  ===========================================================================================
xx    outcome of ``charge``
====  ===========================================================================================
00    ``SUCCEEDED`` (also every suffix not listed here)
01    ``FAILED`` ``INSUFFICIENT_FUNDS``
02    ``FAILED`` ``AGREEMENT_TERMINATED``
03    ``NOT_SUBMITTED`` ``SYSTEM_BUSY`` the first time; a retry with the same attempt id succeeds
04    ``UNKNOWN`` ``TIMEOUT``; the first query (or a repeated charge) resolves it to ``SUCCEEDED``
05    ``UNKNOWN`` ``TIMEOUT``; the first query resolves it to ``FAILED`` ``INSUFFICIENT_FUNDS``
06    ``PENDING``; the first query, or the ``charge.succeeded`` webhook, makes it ``SUCCEEDED`` (late success)
07    ``PENDING``; the first query makes it ``FAILED`` ``INSUFFICIENT_FUNDS``
08    raises :class:`ProviderError` ``SANDBOX_FAULT`` (retryable), nothing recorded
09    ``SUCCEEDED``; its first ``release_held_funds`` is applied but answers ``UNKNOWN`` ``TIMEOUT``;
      asking again with the same ``release_id`` answers ``SUCCEEDED`` (never released twice)
11    ``SUCCEEDED``, but the day's **statement** shows the charge 1 fen higher (amount mismatch)
12    ``SUCCEEDED``, but the charge is **missing** from the day's statement
13    ``SUCCEEDED``, but the charge appears **twice** in the day's statement
====  ===========================================================================================

**Statements** (``download_statement(day)``, the store-local day on the store's clock) are CSV
with the header ``type,reference,attempt_id,transaction_id,amount_fen,fee_fen`` and one line per
money movement of that day: ``charge`` (reference = attempt id, the amount and the platform fee
split off), ``refund`` (reference = refund id), ``release`` (reference = release id; amount = what
was unfrozen for the store) and ``split`` (reference = release id; amount = what went to the
receivers; ``transaction_id`` = the receivers' accounts). Besides the magic amounts above, a test
can script differences with :meth:`SandboxPayments.script_statement` (drop, duplicate or alter
lines by reference).

Rail rules are enforced like WeChat's 委托代扣 (see :data:`SANDBOX_LIMITS`): an amount above the
per-debit cap fails ``AMOUNT_LIMIT_EXCEEDED``; a debit pushing one agreement over the daily cap
fails ``DAILY_LIMIT_EXCEEDED``; a charge or pre-debit notice outside 07:00-22:00 Beijing time is
``NOT_SUBMITTED`` ``OUTSIDE_ALLOWED_HOURS``; a charge on a terminated agreement fails
``AGREEMENT_TERMINATED``. Agreements need no signature step: any ``agreement_id`` can be charged
until :meth:`terminate_agreement`.

**Shipping gate** (capability ``SHIPPING_INFO``, WeChat's mini-program rule):
``upload_shipping_info`` records the first report per succeeded charge (``shipping_infos(tenant)``
lists them); a repeat answers ``SUCCEEDED``; an unknown or unpaid charge, or SF Express without the
receiver's masked phone, is ``FAILED``.

``test_connection``: merchant id ``sandbox_bad_credentials`` fails ``AUTH_FAILED``,
``sandbox_unreachable`` is ``NOT_SUBMITTED`` ``UNREACHABLE``; anything else succeeds.

**Idempotency.** State is keyed by ``(tenant_id, attempt_id)`` (and likewise for refunds,
releases, notices): charging the same attempt again returns its current outcome and never debits
twice. By default the state is kept in this process's memory and forgotten when it exits. A real
provider keeps it at the vendor (the attempt id is sent as ``out_trade_no``/``Idempotency-Key``),
so it survives restarts: to get that, run the **sandbox vendor** (:mod:`.vendor`,
``python -m pawpay.plugins.payments.sandbox.vendor --port 8765``) and set
``PAWPAY_SANDBOX_PAYMENTS_URL=http://127.0.0.1:8765`` in every pawpay process. Each call then goes
over HTTP to the vendor, which hosts this same class in memory mode: one set of rules, two homes
for the state. The vendor can also hold back a reply after acting (a crash window, a timeout with
the money taken); see :mod:`.vendor`.

**Webhooks** are JSON signed with the store's ``webhook_secret``:
``X-Sandbox-Signature = hex(HMAC-SHA256(secret, timestamp + "." + body))`` and
``X-Sandbox-Timestamp`` (unix seconds, accepted within 5 minutes of the store's clock).
:meth:`SandboxPayments.build_webhook` makes one for an attempt's current outcome.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import pydantic

from pawpay.platform.hooks import (
    AgreementInfo,
    AgreementRequest,
    AgreementSession,
    AgreementState,
    Capabilities,
    Capability,
    ChargeRequest,
    ClientAction,
    PreDebitNotice,
    ProviderConfig,
    ProviderContext,
    ProviderError,
    ProviderResult,
    ProviderStatus,
    RailLimits,
    RawWebhook,
    RefundRequest,
    ReleaseRequest,
    ShippingInfo,
    SubMerchantApplication,
    WebhookAck,
    WebhookEvent,
    WebhookRejected,
)
from pawpay.plugins.payments.sandbox.wire import VendorClient, vendor_url

SANDBOX_LIMITS = RailLimits(
    per_debit_max_fen=200_000,  # 2,000 CNY
    daily_max_fen=500_000,
    allowed_hours=(time(7, 0), time(22, 0)),
    time_zone="Asia/Shanghai",
    pre_debit_notice_hours=24,
    debit_window_days=7,
    requests_per_second=150,
    one_success_per_cycle=True,
)

WEBHOOK_TOLERANCE_SECONDS = 300
SIGNATURE_HEADER = "x-sandbox-signature"
TIMESTAMP_HEADER = "x-sandbox-timestamp"


class SandboxPaymentsConfig(ProviderConfig):
    """A store's sandbox settings."""

    merchant_id: str = pydantic.Field(
        min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$",
        description="The store's sandbox sub-merchant id (any value; see the docs for scripted ones).",
    )
    webhook_secret: pydantic.SecretStr = pydantic.Field(
        min_length=16, description="Shared secret that signs the sandbox's webhooks.",
    )


_Ctx = ProviderContext[SandboxPaymentsConfig]


def _result(status: ProviderStatus, code: str | None = None, message: str | None = None,
            reference: str | None = None, **raw: Any) -> ProviderResult:
    return ProviderResult(status, provider_reference=reference, error_code=code, error_message=message,
                          raw={"sandbox": True, **raw})


_DECLINED = (ProviderStatus.FAILED, "INSUFFICIENT_FUNDS", "the payer's balance is too low")


@dataclass(frozen=True, slots=True)
class _Charge:
    request: ChargeRequest
    result: ProviderResult
    # The outcome a query reveals for a PENDING/UNKNOWN script (None: already final).
    resolves_to: ProviderResult | None
    local_day: date
    refunded_fen: int = 0
    released: bool = False
    split_fen: int = 0


class SandboxPayments:
    """The ``payments/sandbox`` provider (see the module docstring for its scripted behaviour)."""

    config_schema: ClassVar[type[ProviderConfig]] = SandboxPaymentsConfig
    capabilities: ClassVar[Capabilities] = frozenset({
        Capability.SUB_MERCHANT_ONBOARDING, Capability.AGREEMENTS, Capability.PRE_DEBIT_NOTICE,
        Capability.FUNDS_HOLD, Capability.SPLIT, Capability.REFUNDS, Capability.PARTIAL_REFUNDS,
        Capability.STATEMENTS, Capability.WEBHOOKS, Capability.SHIPPING_INFO,
    })

    def __init__(self, *, use_vendor: bool = True) -> None:
        # ``use_vendor=False``: this instance IS the state (the vendor process hosts one like that).
        self._use_vendor = use_vendor
        self._charges: dict[tuple[str, str], _Charge] = {}
        # (tenant, agreement, local day) -> charge keys: the daily-cap check reads one agreement's day,
        # not every charge ever recorded (that made a 100,000-debit day quadratic).
        self._charges_by_day: dict[tuple[str, str, date], list[tuple[str, str]]] = {}
        self._not_submitted_once: set[tuple[str, str]] = set()
        self._agreements: dict[tuple[str, str], AgreementState] = {}
        self._applications: dict[tuple[str, str], ProviderResult] = {}
        self._notices: dict[tuple[str, str], ProviderResult] = {}
        self._refunds: dict[tuple[str, str], tuple[RefundRequest, ProviderResult]] = {}
        self._releases: dict[tuple[str, str], ProviderResult] = {}
        self._unknown_once: set[tuple[str, str]] = set()
        self._debits: list[tuple[str, str, int]] = []  # (tenant_id, attempt_id, amount_fen) actually debited
        # Movements other than charges, for statements: (tenant_id, local day, type, reference, attempt_id,
        # transaction id, amount_fen).
        self._movements: list[tuple[str, date, str, str, str, str, int]] = []
        # Scripted statement differences per tenant: reference -> "drop" | "duplicate" | ("alter", delta).
        self._statement_script: dict[str, dict[str, Any]] = {}
        self._shipping: dict[tuple[str, str], ShippingInfo] = {}  # the first report per charge

    def _vendor(self) -> VendorClient | None:
        """The out-of-process vendor to call instead of this memory (read per call, so a test may set it)."""
        url = vendor_url() if self._use_vendor else None
        return VendorClient(url) if url else None

    @property
    def debits(self) -> list[tuple[str, str, int]]:
        """Every debit actually made: ``(tenant_id, attempt_id, amount_fen)``, in order (for tests)."""
        if vendor := self._vendor():
            return [(str(t), str(a), int(f)) for t, a, f in vendor.call_sync("debits_made", list, None)]
        return list(self._debits)

    def debits_made(self) -> list[tuple[str, str, int]]:
        return self.debits

    # --- limits and connection -------------------------------------------------------------------

    def rail_limits(self, ctx: _Ctx) -> RailLimits:
        return SANDBOX_LIMITS

    async def test_connection(self, ctx: _Ctx) -> ProviderResult:
        if vendor := self._vendor():
            return await vendor.call("test_connection", ProviderResult, ctx)
        if ctx.config.merchant_id == "sandbox_bad_credentials":
            return _result(ProviderStatus.FAILED, "AUTH_FAILED", "the sandbox refused these credentials")
        if ctx.config.merchant_id == "sandbox_unreachable":
            return _result(ProviderStatus.NOT_SUBMITTED, "UNREACHABLE", "the sandbox did not answer")
        return _result(ProviderStatus.SUCCEEDED, reference=ctx.config.merchant_id)

    # --- onboarding -----------------------------------------------------------------------------------

    async def onboard_sub_merchant(self, ctx: _Ctx, application: SubMerchantApplication) -> ProviderResult:
        if vendor := self._vendor():
            return await vendor.call("onboard_sub_merchant", ProviderResult, ctx, application)
        key = (ctx.tenant_id, application.application_id)
        if key not in self._applications:
            if application.legal_name.upper().startswith("REJECT"):
                self._applications[key] = _result(
                    ProviderStatus.FAILED, "APPLICATION_REJECTED", "the sandbox rejects names starting REJECT")
            else:
                reference = f"sbx_app_{application.application_id}"
                self._applications[key] = _result(ProviderStatus.PENDING, reference=reference)
        return self._applications[key]

    async def query_sub_merchant(self, ctx: _Ctx, application_id: str) -> ProviderResult:
        if vendor := self._vendor():
            return await vendor.call("query_sub_merchant", ProviderResult, ctx, application_id)
        key = (ctx.tenant_id, application_id)
        current = self._applications.get(key)
        if current is None:
            return _result(ProviderStatus.NOT_SUBMITTED, "NOT_FOUND", "no such application")
        if current.status is ProviderStatus.PENDING:  # the sandbox's review takes one query
            current = self._applications[key] = _result(ProviderStatus.SUCCEEDED, reference=f"sbx_sub_{application_id}")
        return current

    # --- agreements ---------------------------------------------------------------------------

    async def sign_agreement(self, ctx: _Ctx, request: AgreementRequest) -> AgreementSession:
        if vendor := self._vendor():
            return await vendor.call("sign_agreement", AgreementSession, ctx, request)
        key = (ctx.tenant_id, request.agreement_id)
        state = self._agreements.setdefault(key, AgreementState.PENDING_SIGNATURE)
        reference = f"sbx_agr_{request.agreement_id}"
        if state is AgreementState.ACTIVE:
            return AgreementSession(_result(ProviderStatus.SUCCEEDED, reference=reference))
        action = ClientAction("redirect_url", {"url": f"https://sandbox.pawpay.invalid/agreements/{request.agreement_id}"})
        return AgreementSession(_result(ProviderStatus.PENDING, reference=reference), action)

    async def query_agreement(self, ctx: _Ctx, agreement_id: str) -> AgreementInfo:
        if vendor := self._vendor():
            return await vendor.call("query_agreement", AgreementInfo, ctx, agreement_id)
        key = (ctx.tenant_id, agreement_id)
        state = self._agreements.get(key)
        if state is None:
            return AgreementInfo(agreement_id, AgreementState.NOT_FOUND)
        if state is AgreementState.PENDING_SIGNATURE:  # the sandbox payer signs at once
            state = self._agreements[key] = AgreementState.ACTIVE
        return AgreementInfo(agreement_id, state, provider_reference=f"sbx_agr_{agreement_id}",
                             payer_reference=f"sbx_payer_{agreement_id}")

    async def terminate_agreement(self, ctx: _Ctx, agreement_id: str, reason: str) -> ProviderResult:
        if vendor := self._vendor():
            return await vendor.call("terminate_agreement", ProviderResult, ctx, agreement_id, reason)
        self._agreements[(ctx.tenant_id, agreement_id)] = AgreementState.TERMINATED
        return _result(ProviderStatus.SUCCEEDED, reference=f"sbx_agr_{agreement_id}")

    def _terminated(self, ctx: _Ctx, agreement_id: str) -> bool:
        return self._agreements.get((ctx.tenant_id, agreement_id)) is AgreementState.TERMINATED

    async def send_pre_debit_notice(self, ctx: _Ctx, notice: PreDebitNotice) -> ProviderResult:
        if vendor := self._vendor():
            return await vendor.call("send_pre_debit_notice", ProviderResult, ctx, notice)
        key = (ctx.tenant_id, notice.notice_id)
        if key in self._notices:
            return self._notices[key]
        if not SANDBOX_LIMITS.allows_time(ctx.now()):
            return _result(ProviderStatus.NOT_SUBMITTED, "OUTSIDE_ALLOWED_HOURS", "notices go out 07:00-22:00")
        if self._terminated(ctx, notice.agreement_id):
            result = _result(ProviderStatus.FAILED, "AGREEMENT_TERMINATED", "the agreement was terminated")
        else:
            refusal = SANDBOX_LIMITS.amount_refusal(notice.amount_fen)
            result = (_result(ProviderStatus.FAILED, "AMOUNT_LIMIT_EXCEEDED", refusal) if refusal
                      else _result(ProviderStatus.SUCCEEDED, reference=f"sbx_notice_{notice.notice_id}"))
        self._notices[key] = result
        return result

    # --- charges ---------------------------------------------------------------------------------

    async def charge(self, ctx: _Ctx, request: ChargeRequest) -> ProviderResult:
        if vendor := self._vendor():
            return await vendor.call("charge", ProviderResult, ctx, request)
        key = (ctx.tenant_id, request.attempt_id)
        existing = self._charges.get(key)
        if existing is not None:
            earlier = existing.request
            if (earlier.amount_fen, earlier.agreement_id) != (request.amount_fen, request.agreement_id):
                raise ProviderError(
                    f"attempt {request.attempt_id} was charged before with a different amount or agreement",
                    code="IDEMPOTENCY_MISMATCH")
            return self._resolve(key)
        now = ctx.now()
        if not SANDBOX_LIMITS.allows_time(now):
            return _result(ProviderStatus.NOT_SUBMITTED, "OUTSIDE_ALLOWED_HOURS", "debits run 07:00-22:00 Beijing time")
        script = request.amount_fen % 100
        if script == 8:
            raise ProviderError("the sandbox simulates an unexpected fault (amount ending in 08)",
                                code="SANDBOX_FAULT", retryable=True)
        if script == 3 and key not in self._not_submitted_once:
            self._not_submitted_once.add(key)
            return _result(ProviderStatus.NOT_SUBMITTED, "SYSTEM_BUSY", "the sandbox is busy; retry the same attempt")
        local_day = now.astimezone(ZoneInfo(SANDBOX_LIMITS.time_zone)).date()
        reference = f"sbx_txn_{request.attempt_id}"
        result, resolves_to = self._scripted(ctx, request, script, reference, local_day)
        self._charges[key] = _Charge(request, result, resolves_to, local_day)
        self._charges_by_day.setdefault((ctx.tenant_id, request.agreement_id, local_day), []).append(key)
        if result.status is ProviderStatus.SUCCEEDED:
            self._debits.append((ctx.tenant_id, request.attempt_id, request.amount_fen))
        return result

    def _scripted(  # noqa: PLR0911 - one return per scripted outcome reads like the table above
        self, ctx: _Ctx, request: ChargeRequest, script: int, reference: str, local_day: date,
    ) -> tuple[ProviderResult, ProviderResult | None]:
        refusal = SANDBOX_LIMITS.amount_refusal(request.amount_fen)
        if refusal:
            return _result(ProviderStatus.FAILED, "AMOUNT_LIMIT_EXCEEDED", refusal), None
        if script == 2 or self._terminated(ctx, request.agreement_id):
            return _result(ProviderStatus.FAILED, "AGREEMENT_TERMINATED", "the agreement was terminated"), None
        assert SANDBOX_LIMITS.daily_max_fen is not None
        same_day = (self._charges[k] for k in self._charges_by_day.get((ctx.tenant_id, request.agreement_id,
                                                                          local_day), ()))
        debited_today = sum(c.request.amount_fen for c in same_day if c.result.status is not ProviderStatus.FAILED)
        if debited_today + request.amount_fen > SANDBOX_LIMITS.daily_max_fen:
            return _result(ProviderStatus.FAILED, "DAILY_LIMIT_EXCEEDED", "the agreement's daily cap is reached"), None
        succeeded = _result(ProviderStatus.SUCCEEDED, reference=reference, amount_fen=request.amount_fen)
        declined = _result(*_DECLINED, reference=reference)
        if script == 1:
            return declined, None
        if script in (4, 5):
            unknown = _result(ProviderStatus.UNKNOWN, "TIMEOUT", "the sandbox timed out after sending")
            return unknown, succeeded if script == 4 else declined
        if script in (6, 7):
            return _result(ProviderStatus.PENDING, reference=reference), succeeded if script == 6 else declined
        return succeeded, None

    def _resolve(self, key: tuple[str, str]) -> ProviderResult:
        charge = self._charges[key]
        if charge.resolves_to is not None:
            charge = self._charges[key] = replace(charge, result=charge.resolves_to, resolves_to=None)
            if charge.result.status is ProviderStatus.SUCCEEDED:
                self._debits.append((key[0], key[1], charge.request.amount_fen))
        return charge.result

    async def query_charge(self, ctx: _Ctx, attempt_id: str) -> ProviderResult:
        if vendor := self._vendor():
            return await vendor.call("query_charge", ProviderResult, ctx, attempt_id)
        key = (ctx.tenant_id, attempt_id)
        if key not in self._charges:
            return _result(ProviderStatus.NOT_SUBMITTED, "NOT_FOUND", "the sandbox never received this attempt")
        return self._resolve(key)

    async def close_charge(self, ctx: _Ctx, attempt_id: str) -> ProviderResult:
        if vendor := self._vendor():
            return await vendor.call("close_charge", ProviderResult, ctx, attempt_id)
        key = (ctx.tenant_id, attempt_id)
        charge = self._charges.get(key)
        if charge is None:
            return _result(ProviderStatus.SUCCEEDED)  # nothing to close: it can never succeed
        if charge.result.status is ProviderStatus.SUCCEEDED:
            return _result(ProviderStatus.FAILED, "ALREADY_SUCCEEDED", "the charge succeeded",
                           reference=charge.result.provider_reference)
        if charge.result.status is not ProviderStatus.FAILED:
            closed = _result(ProviderStatus.FAILED, "CLOSED", "closed before it completed",
                             reference=charge.result.provider_reference)
            self._charges[key] = replace(charge, result=closed, resolves_to=None)
        return _result(ProviderStatus.SUCCEEDED, reference=charge.result.provider_reference)

    # --- refunds and held funds -------------------------------------------------------------

    async def refund(self, ctx: _Ctx, request: RefundRequest) -> ProviderResult:
        if vendor := self._vendor():
            return await vendor.call("refund", ProviderResult, ctx, request)
        key = (ctx.tenant_id, request.refund_id)
        if key in self._refunds:
            earlier, result = self._refunds[key]
            if (earlier.attempt_id, earlier.amount_fen) != (request.attempt_id, request.amount_fen):
                raise ProviderError(f"refund {request.refund_id} was requested before with other values",
                                    code="IDEMPOTENCY_MISMATCH")
            return result
        charge_key = (ctx.tenant_id, request.attempt_id)
        charge = self._charges.get(charge_key)
        if charge is None or charge.result.status is not ProviderStatus.SUCCEEDED:
            result = _result(ProviderStatus.FAILED, "CHARGE_NOT_SUCCEEDED", "only a succeeded charge can be refunded")
        elif charge.refunded_fen + request.amount_fen > charge.request.amount_fen:
            result = _result(ProviderStatus.FAILED, "REFUND_EXCEEDS_CHARGE", "more than the charge's unrefunded amount")
        else:
            self._charges[charge_key] = replace(charge, refunded_fen=charge.refunded_fen + request.amount_fen)
            result = _result(ProviderStatus.SUCCEEDED, reference=f"sbx_refund_{request.refund_id}")
            self._movements.append((ctx.tenant_id, _local_day(ctx), "refund", request.refund_id, request.attempt_id,
                                    f"sbx_refund_{request.refund_id}", request.amount_fen))
        self._refunds[key] = (request, result)
        return result

    async def release_held_funds(self, ctx: _Ctx, request: ReleaseRequest) -> ProviderResult:
        if vendor := self._vendor():
            return await vendor.call("release_held_funds", ProviderResult, ctx, request)
        key = (ctx.tenant_id, request.release_id)
        if key in self._releases:
            return self._releases[key]
        charge_key = (ctx.tenant_id, request.attempt_id)
        charge = self._charges.get(charge_key)
        split_fen = sum(r.amount_fen for r in request.receivers)
        if charge is None or charge.result.status is not ProviderStatus.SUCCEEDED or not charge.request.hold_funds:
            result = _result(ProviderStatus.FAILED, "NOT_HELD", "only a succeeded, held charge can be released")
        elif charge.released:
            result = _result(ProviderStatus.FAILED, "ALREADY_RELEASED", "this charge's funds were released before")
        elif split_fen > (charge.request.amount_fen - charge.request.platform_fee_fen - charge.refunded_fen
                          - charge.split_fen):
            result = _result(ProviderStatus.FAILED, "SPLIT_EXCEEDS_FUNDS", "the split exceeds the held funds")
        else:
            self._charges[charge_key] = replace(charge, released=request.release_rest,
                                                split_fen=charge.split_fen + split_fen)
            result = _result(ProviderStatus.SUCCEEDED, reference=f"sbx_release_{request.release_id}",
                             split_fen=split_fen)
            day = _local_day(ctx)
            if split_fen:
                accounts = "|".join(r.account for r in request.receivers)
                self._movements.append((ctx.tenant_id, day, "split", request.release_id, request.attempt_id,
                                        accounts, split_fen))
            if request.release_rest:
                rest = (charge.request.amount_fen - charge.request.platform_fee_fen - charge.refunded_fen
                        - charge.split_fen - split_fen)
                self._movements.append((ctx.tenant_id, day, "release", request.release_id, request.attempt_id,
                                        f"sbx_release_{request.release_id}", rest))
            if charge.request.amount_fen % 100 == 9 and key not in self._unknown_once:
                self._unknown_once.add(key)
                self._releases[key] = result
                return _result(ProviderStatus.UNKNOWN, "TIMEOUT", "the sandbox timed out after releasing")
        self._releases[key] = result
        return result

    def funds(self, tenant_id: str) -> dict[str, int]:
        """The sandbox's own record of one store's held debits (for tests and reconciliation demos):
        ``held_fen`` still frozen and ``released_fen`` unfrozen for the store, both net of the
        platform fee split at collection, of other splits and of refunds; ``split_fen`` split off."""
        if vendor := self._vendor():
            return vendor.call_sync("funds", dict, None, tenant_id)
        held = released = split = 0
        for (tenant, _attempt), charge in self._charges.items():
            if tenant != tenant_id or charge.result.status is not ProviderStatus.SUCCEEDED:
                continue
            if not charge.request.hold_funds:
                continue
            net = charge.request.amount_fen - charge.request.platform_fee_fen - charge.refunded_fen - charge.split_fen
            split += charge.split_fen
            if charge.released:
                released += net
            else:
                held += net
        return {"held_fen": held, "released_fen": released, "split_fen": split}

    def charges(self, tenant_id: str) -> list[dict[str, Any]]:
        """The sandbox's record of one store's charges, in attempt id order (for tests): ``attempt_id``,
        ``payment_id``, ``agreement_id``, ``amount_fen``, ``platform_fee_fen``, ``status``,
        ``error_code``, ``refunded_fen``, ``released``, ``split_fen``, ``local_day``."""
        if vendor := self._vendor():
            return vendor.call_sync("charges", list, None, tenant_id)
        return [{
            "attempt_id": attempt_id, "payment_id": c.request.payment_id, "agreement_id": c.request.agreement_id,
            "amount_fen": c.request.amount_fen, "platform_fee_fen": c.request.platform_fee_fen,
            "status": c.result.status.value, "error_code": c.result.error_code, "refunded_fen": c.refunded_fen,
            "released": c.released, "split_fen": c.split_fen, "local_day": c.local_day.isoformat(),
        } for (tenant, attempt_id), c in sorted(self._charges.items()) if tenant == tenant_id]

    # --- the shipping gate ------------------------------------------------------------------------

    async def upload_shipping_info(self, ctx: _Ctx, info: ShippingInfo) -> ProviderResult:
        """Record what shipped for a succeeded charge (WeChat's mini-program shipping gate, capability
        ``SHIPPING_INFO``). Once per charge: reporting it again answers ``SUCCEEDED`` and keeps the
        first report. An unknown or not succeeded charge is ``FAILED`` ``ORDER_NOT_FOUND`` /
        ``CHARGE_NOT_SUCCEEDED``; SF Express without the receiver's masked phone is ``FAILED``
        ``RECEIVER_PHONE_REQUIRED`` (as at WeChat)."""
        if vendor := self._vendor():
            return await vendor.call("upload_shipping_info", ProviderResult, ctx, info)
        key = (ctx.tenant_id, info.attempt_id)
        charge = self._charges.get(key)
        if charge is None:
            return _result(ProviderStatus.FAILED, "ORDER_NOT_FOUND", "no such charge for this merchant")
        if charge.result.status is not ProviderStatus.SUCCEEDED:
            return _result(ProviderStatus.FAILED, "CHARGE_NOT_SUCCEEDED", "only a paid order ships")
        reference = f"sbx_ship_{info.attempt_id}"
        if key in self._shipping:
            return _result(ProviderStatus.SUCCEEDED, reference=reference, already_reported=True)
        if info.carrier_code.upper() == "SF" and not info.receiver_phone_masked:
            return _result(ProviderStatus.FAILED, "RECEIVER_PHONE_REQUIRED", "SF Express needs the receiver's phone")
        self._shipping[key] = info
        return _result(ProviderStatus.SUCCEEDED, reference=reference)

    def shipping_infos(self, tenant_id: str) -> list[ShippingInfo]:
        """The shipping reports the sandbox holds for one store, in the order they came (for tests)."""
        if vendor := self._vendor():
            return vendor.call_sync("shipping_infos", list, None, tenant_id)
        return [info for (tenant, _), info in self._shipping.items() if tenant == tenant_id]

    # --- webhooks and statements -------------------------------------------------------------

    def build_webhook(self, ctx: _Ctx, attempt_id: str) -> RawWebhook:
        """A signed ``charge.*`` webhook for the attempt's outcome (resolving a late one, as the vendor would)."""
        if vendor := self._vendor():
            return vendor.call_sync("build_webhook", RawWebhook, ctx, attempt_id)
        key = (ctx.tenant_id, attempt_id)
        if key not in self._charges:
            raise ProviderError(f"no sandbox charge {attempt_id}", code="NOT_FOUND")
        result = self._resolve(key)
        charge = self._charges[key]
        now = ctx.now()
        body = json.dumps({
            "id": f"evt_{attempt_id}_{result.status.value}",
            "type": f"charge.{result.status.value}",
            "created": int(now.timestamp()),
            "attempt_id": attempt_id,
            "transaction_id": result.provider_reference,
            "status": result.status.value,
            "error_code": result.error_code,
            "amount_fen": charge.request.amount_fen,
        }, separators=(",", ":")).encode()
        timestamp = str(int(now.timestamp()))
        headers = {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: sign_webhook(ctx.config, timestamp, body),
                   "content-type": "application/json"}
        return RawWebhook("POST", f"/webhooks/payments/sandbox/{ctx.tenant_id}", "", headers, body, "127.0.0.1", now)

    def webhooks(self, ctx: _Ctx) -> list[RawWebhook]:
        """Every webhook the vendor sends the store, signed now: one per charge with an outcome, a
        pending charge's late outcome decided first (a test delivers them, as often and in whatever
        order it likes, to ``/webhooks/payments/sandbox/{store}``)."""
        if vendor := self._vendor():
            return vendor.call_sync("webhooks", list, ctx)
        return [self.build_webhook(ctx, attempt_id) for (tenant, attempt_id), charge in sorted(self._charges.items())
                if tenant == ctx.tenant_id and charge.result.status is not ProviderStatus.NOT_SUBMITTED]

    async def verify_webhook(self, ctx: _Ctx, raw: RawWebhook) -> Sequence[WebhookEvent]:
        headers = {k.lower(): v for k, v in raw.headers.items()}
        timestamp, signature = headers.get(TIMESTAMP_HEADER), headers.get(SIGNATURE_HEADER)
        if not timestamp or not signature:
            raise WebhookRejected("missing sandbox signature headers", code="SIGNATURE_MISSING")
        if not hmac.compare_digest(sign_webhook(ctx.config, timestamp, raw.body), signature):
            raise WebhookRejected("the sandbox signature does not match", code="SIGNATURE_INVALID")
        try:
            sent_at = datetime.fromtimestamp(int(timestamp), tz=UTC)
        except (ValueError, OverflowError):
            raise WebhookRejected("malformed sandbox timestamp", code="MALFORMED") from None
        if abs((ctx.now() - sent_at).total_seconds()) > WEBHOOK_TOLERANCE_SECONDS:
            raise WebhookRejected("the sandbox webhook is outside the 5-minute window", code="STALE")
        try:
            data = json.loads(raw.body)
            status = ProviderStatus(data["status"])
            return [WebhookEvent(
                event_id=str(data["id"]), kind=str(data["type"]), occurred_at=sent_at,
                reference=str(data["attempt_id"]), provider_reference=data.get("transaction_id"),
                status=status, amount_fen=int(data["amount_fen"]),
                raw={"error_code": data.get("error_code")},
            )]
        except (ValueError, KeyError, TypeError) as exc:
            raise WebhookRejected(f"malformed sandbox webhook body: {exc!r}", code="MALFORMED") from None

    def webhook_ack(self, ok: bool) -> WebhookAck:
        if ok:
            return WebhookAck(200, b'{"received":true}', {"content-type": "application/json"})
        return WebhookAck(400, b'{"received":false}', {"content-type": "application/json"})

    def script_statement(self, tenant_id: str, *, drop: Sequence[str] = (), duplicate: Sequence[str] = (),
                         alter: dict[str, int] | None = None) -> None:
        """Make this store's statements differ from what happened (reconciliation tests): lines whose
        reference is in ``drop`` are left out, in ``duplicate`` appear twice, in ``alter`` show their
        amount plus the given fen."""
        if vendor := self._vendor():
            vendor.call_sync("script_statement", type(None), None, tenant_id, drop=tuple(drop),
                             duplicate=tuple(duplicate), alter=alter)
            return
        script = self._statement_script.setdefault(tenant_id, {})
        script.update(dict.fromkeys(drop, "drop"))
        script.update(dict.fromkeys(duplicate, "duplicate"))
        script.update({ref: ("alter", delta) for ref, delta in (alter or {}).items()})

    async def download_statement(self, ctx: _Ctx, day: date) -> bytes:
        if vendor := self._vendor():
            return await vendor.call("download_statement", bytes, ctx, day)
        rows: list[tuple[str, str, str, str, int, int]] = []
        for (tenant, attempt_id), charge in sorted(self._charges.items()):
            if tenant == ctx.tenant_id and charge.local_day == day and charge.result.status is ProviderStatus.SUCCEEDED:
                amount, magic = charge.request.amount_fen, charge.request.amount_fen % 100
                if magic == 12:
                    continue
                row = ("charge", attempt_id, attempt_id, charge.result.provider_reference or "",
                       amount + (1 if magic == 11 else 0), charge.request.platform_fee_fen)
                rows.extend([row, row] if magic == 13 else [row])
        for tenant, moved_on, kind, reference, attempt_id, txn, amount in self._movements:
            if tenant == ctx.tenant_id and moved_on == day:
                rows.append((kind, reference, attempt_id, txn, amount, 0))
        script = self._statement_script.get(ctx.tenant_id, {})
        lines = ["type,reference,attempt_id,transaction_id,amount_fen,fee_fen"]
        for kind, reference, attempt_id, txn, amount, fee in rows:
            action = script.get(reference)
            if action == "drop":
                continue
            shown = amount + action[1] if isinstance(action, tuple) else amount
            line = f"{kind},{reference},{attempt_id},{txn},{shown},{fee}"
            lines.extend([line, line] if action == "duplicate" else [line])
        return ("\n".join(lines) + "\n").encode()


def _local_day(ctx: _Ctx) -> date:
    return ctx.now().astimezone(ZoneInfo(SANDBOX_LIMITS.time_zone)).date()


def sign_webhook(config: ProviderConfig, timestamp: str, body: bytes) -> str:
    """``hex(HMAC-SHA256(webhook_secret, timestamp + "." + body))``."""
    assert isinstance(config, SandboxPaymentsConfig)
    secret = config.webhook_secret.get_secret_value().encode()
    return hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
