"""Billing: pre-debit reminders, automatic debits through the store's payment provider, retries.

How an installment is collected (ARCHITECTURE §5, §5a):

* **Planning.** When a contract is signed (``pawpay_contract_signed``), and by a periodic catch-up job,
  every open installment gets attempt 1 (``debit_attempt``, status ``planned``) due at the store-local
  debit moment of its due date (inside the rail's allowed hours), and a ``debit_reminder`` due 48 h
  before it. Both rows are due work claimed by the scheduler on the store's clock (test clocks move it).
* **Charging** (:func:`process_attempt`, actor ``run_debit_attempt``): the attempt is marked
  ``submitted`` and committed *before* the provider is called with ``attempt_id`` = the row's id (the
  idempotency key), funds held and the platform fee (the contract's pinned merchant terms) split off.
  ``SUCCEEDED`` → in one transaction: the attempt, the installment ``paid``, the ledger collection
  (``settlement.record_collection``), 1 point per CNY; after commit ``pawpay_installment_paid`` and a
  receipt message. ``FAILED`` → dunning hears of it in the same transaction and the next attempt (a new
  id) is planned per the store's retry schedule. ``UNKNOWN``/``PENDING``, or a crash after submitting,
  leaves the attempt ``submitted``/``unknown``: the next run **queries the provider with the same id**
  before anything else (a charge the provider never received is charged again with the same id).
* **Webhooks** (``pawpay_provider_event``, ``charge.*`` events): a late success settles the same attempt
  once (the attempt row is locked; a duplicate or reordered event finds it settled and does nothing); a
  failure event makes the attempt due for a query at once.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pawpay.platform.audit.services import record
from pawpay.platform.clock import utcnow
from pawpay.platform.db.jsonb import from_jsonb
from pawpay.platform.errors import NotFound, ValidationFailed
from pawpay.platform.hooks import (
    ChargeRequest,
    InstallmentPaid,
    PreDebitNotice,
    ProviderError,
    ProviderResult,
    ProviderStatus,
    RailLimits,
    WebhookEvent,
)
from pawpay.platform.jobs.services import tenant_now
from pawpay.platform.money import yuan
from pawpay.platform.tenancy.context import TenantContext
from pawpay.platform.tenancy.scope import after_commit, after_commit_mark, drop_after_commit_since, tenant_scope
from pawpay.platform.tenancy.services import get_own_tenant
from pawpay.tenants.billing.errors import BillingErrorCode, DebitDateInvalid, DebitRefused, code
from pawpay.tenants.billing.tables import BillingSettings, DebitAttempt, DebitReminder, PointsEntry

log = logging.getLogger(__name__)

ATTEMPT_PREFIX = "dbt-"
DEFAULT_RETRY_OFFSETS_HOURS: tuple[int, ...] = (24, 72)
MAX_RETRIES = 5
MAX_RETRY_OFFSET_HOURS = 24 * 14
REMINDER_LEAD = timedelta(hours=48)
# Without rail hours, debits go out at this store-local time of the due date.
DEFAULT_DEBIT_TIME = time(9, 0)
# Earliest store-local time for a debit even where the rail allows earlier (humane mornings).
EARLIEST_DEBIT_TIME = time(8, 0)
UNKNOWN_RECHECK = timedelta(minutes=2)
NOT_SUBMITTED_RETRY = timedelta(minutes=1)
PAUSED_RECHECK = timedelta(days=1)
QUIET_START, QUIET_END = time(22, 0), time(8, 0)
# Declines no automatic retry can cure.
FINAL_DECLINES = frozenset({"AGREEMENT_TERMINATED", "AMOUNT_LIMIT_EXCEEDED", "IDEMPOTENCY_MISMATCH"})
OPEN_INSTALLMENT = ("due", "failed")
IN_FLIGHT = ("submitted", "unknown")
RECEIPT_SMS_TEMPLATE = "SMS_DEBIT_RECEIPT"
RECEIPT_MP_TEMPLATE = "debit_receipt"
REMINDER_SMS_TEMPLATE = "SMS_DEBIT_REMINDER"
REMINDER_MP_TEMPLATE = "debit_reminder"


@dataclass(frozen=True, slots=True)
class AttemptView:
    """One debit attempt. ``id`` is the idempotency key sent to the provider as ``attempt_id``."""

    id: str
    installment_id: uuid.UUID
    contract_id: uuid.UUID
    attempt_no: int
    amount_fen: int
    fee_fen: int
    provider: str
    status: str  # planned | submitted | succeeded | failed | unknown | cancelled
    error_code: str
    trigger: str  # schedule | retry | staff
    provider_reference: str
    created_at: datetime
    submitted_at: datetime | None
    resolved_at: datetime | None
    next_attempt_at: datetime | None


@dataclass(frozen=True, slots=True)
class DueDebitView:
    """An installment in a work queue (due today / failed), with its last attempt if any."""

    installment_id: uuid.UUID
    contract_id: uuid.UUID
    contract_no: str
    customer_id: uuid.UUID
    sequence: int
    due_on: date
    amount_fen: int
    status: str
    last_attempt: AttemptView | None
    next_attempt_at: datetime | None


@dataclass(frozen=True, slots=True)
class ReminderView:
    id: uuid.UUID
    installment_id: uuid.UUID
    contract_id: uuid.UUID
    due_on: date
    status: str  # planned | sent | undelivered | skipped
    send_at: datetime | None
    sent_at: datetime | None
    outcomes: dict[str, str]


@dataclass(frozen=True, slots=True)
class ClockView:
    now: datetime
    local_now: datetime
    offset_seconds: int
    test_mode: bool
    time_zone: str
    next_debit_at: datetime | None


# --- small helpers ----------------------------------------------------------------------------------


def attempt_id_for(installment_id: uuid.UUID, attempt_no: int) -> str:
    """The attempt's id (and the provider's idempotency key): derived from the business row."""
    return f"{ATTEMPT_PREFIX}{installment_id.hex}-{attempt_no}"


def fee_for(amount_fen: int, fee_rate_bp: int) -> int:
    """The platform fee of a debit: ``amount × rate / 10 000``, rounded down to the fen."""
    return amount_fen * fee_rate_bp // 10_000


def points_for(amount_fen: int) -> int:
    """1 point per whole CNY paid."""
    return amount_fen // 100


def _rail_zone(limits: RailLimits) -> ZoneInfo:
    return ZoneInfo(limits.time_zone)


def next_allowed(limits: RailLimits, at: datetime) -> datetime:
    """``at`` if the rail allows a debit then, else the start of the rail's next allowed window."""
    if limits.allowed_hours is None or limits.allows_time(at):
        return at
    zone = _rail_zone(limits)
    local = at.astimezone(zone)
    start = limits.allowed_hours[0]
    candidate = datetime.combine(local.date(), start, tzinfo=zone)
    if candidate <= local:
        candidate = datetime.combine(local.date() + timedelta(days=1), start, tzinfo=zone)
    return candidate


def debit_moment(due_on: date, time_zone: str, limits: RailLimits) -> datetime:
    """When an installment due on the store-local ``due_on`` is debited: the store's morning, inside
    the rail's allowed hours."""
    start = DEFAULT_DEBIT_TIME
    if limits.allowed_hours is not None:
        start = max(limits.allowed_hours[0], EARLIEST_DEBIT_TIME)
    at = datetime.combine(due_on, start, tzinfo=ZoneInfo(time_zone))
    return next_allowed(limits, at)


def _quiet_fallback(at: datetime, time_zone: str) -> bool:
    local = at.astimezone(ZoneInfo(time_zone)).time()
    return local >= QUIET_START or local < QUIET_END


def after_quiet(at: datetime, time_zone: str) -> datetime:
    """The next 08:00 store time (the end of the quiet hours ``at`` falls in)."""
    zone = ZoneInfo(time_zone)
    local = at.astimezone(zone)
    day = local.date() if local.time() < QUIET_END else local.date() + timedelta(days=1)
    return datetime.combine(day, QUIET_END, tzinfo=zone)


def _attempt_view(row: dict[str, Any]) -> AttemptView:
    return AttemptView(
        id=row["id"], installment_id=row["installment_id"], contract_id=row["contract_id"],
        attempt_no=int(row["attempt_no"]), amount_fen=int(row["amount_fen"]), fee_fen=int(row["fee_fen"]),
        provider=row["provider_name"], status=row["status"], error_code=row["error_code"], trigger=row["trigger"],
        provider_reference=row["provider_reference"], created_at=row["created_at"],
        submitted_at=row["submitted_at"], resolved_at=row["resolved_at"], next_attempt_at=row["next_attempt_at"])


def _reminder_view(row: dict[str, Any]) -> ReminderView:
    return ReminderView(id=row["id"], installment_id=row["installment_id"], contract_id=row["contract_id"],
                        due_on=row["due_on"], status=row["status"], send_at=row["send_at"], sent_at=row["sent_at"],
                        outcomes=dict(from_jsonb(row["outcomes"]) or {}))


async def _time_zone(ctx: TenantContext) -> str:
    return (await get_own_tenant(ctx)).time_zone


async def _payments(ctx: TenantContext) -> tuple[Any, Any, RailLimits]:
    from pawpay.platform.providers.services import guarded_provider_for

    provider, pctx = await guarded_provider_for(ctx, "payments")
    return provider, pctx, provider.rail_limits(pctx)


async def _limits_or_default(ctx: TenantContext) -> RailLimits:
    """The store's rail limits; a store without a payments provider yet plans with no limits (its
    debits wait in ``process_attempt`` until one is configured)."""
    try:
        return (await _payments(ctx))[2]
    except Exception as exc:
        log.warning("planning debits without rail limits", extra={"error": type(exc).__name__})
        return RailLimits()


async def _lock_attempt(ctx: TenantContext, attempt_id: str) -> dict[str, Any] | None:
    rows = await DebitAttempt.raw(
        "SELECT * FROM debit_attempt WHERE tenant_id = {} AND id = {} FOR UPDATE", ctx.tenant_id, attempt_id)
    return rows[0] if rows else None


async def _update_attempt(ctx: TenantContext, attempt_id: str, **values: Any) -> None:
    values["updated_at"] = utcnow()
    await DebitAttempt.update({getattr(DebitAttempt, k): v for k, v in values.items()}).where(
        (DebitAttempt.tenant_id == ctx.tenant_id) & (DebitAttempt.id == attempt_id))


# --- dunning (H7) adapter: the interface is settled; tolerate a skeleton while it lands ------------------


async def _dunning_failed(ctx: TenantContext, **kw: Any) -> None:
    from pawpay.tenants.dunning import services as dunning

    try:
        await dunning.debit_failed(ctx, **kw)
    except NotImplementedError:
        log.warning("dunning.debit_failed is not implemented yet")


async def _dunning_recovered(ctx: TenantContext, installment_id: uuid.UUID) -> None:
    from pawpay.tenants.dunning import services as dunning

    try:
        await dunning.debit_recovered(ctx, installment_id=installment_id)
    except NotImplementedError:
        log.warning("dunning.debit_recovered is not implemented yet")


async def _paused(ctx: TenantContext, installment_id: uuid.UUID) -> bool:
    from pawpay.tenants.dunning import services as dunning

    try:
        return await dunning.installment_paused(ctx, installment_id)
    except NotImplementedError:
        return False


async def _quiet(ctx: TenantContext, at: datetime, time_zone: str) -> bool:
    from pawpay.tenants.dunning import services as dunning

    try:
        return await dunning.is_quiet_time(ctx, at)
    except NotImplementedError:
        return _quiet_fallback(at, time_zone)


async def _phone_task(ctx: TenantContext, installment_id: uuid.UUID, contract_id: uuid.UUID, due_at: datetime,
                      note: str) -> None:
    from pawpay.tenants.dunning import services as dunning

    try:
        await dunning.create_task(ctx, kind="remind_by_phone", installment_id=installment_id,
                                  contract_id=contract_id, due_at=due_at, note=note)
    except NotImplementedError:
        log.warning("dunning.create_task is not implemented yet: no remind_by_phone task")


# --- the store's retry schedule ------------------------------------------------------------------------


async def retry_schedule(ctx: TenantContext) -> list[int]:
    """Hours after a failed attempt at which the automatic retries are made (one per retry)."""
    async with tenant_scope(ctx):
        row = await BillingSettings.select(BillingSettings.retry_offsets_hours).where(
            BillingSettings.tenant_id == ctx.tenant_id).first()
    if row is None:
        return list(DEFAULT_RETRY_OFFSETS_HOURS)
    return [int(h) for h in from_jsonb(row["retry_offsets_hours"]) or []]


async def set_retry_schedule(ctx: TenantContext, offsets_hours: Sequence[int], *, reason: str = "") -> list[int]:
    """Set the store's automatic retries (hours after each failure; at most 5, each 1 h to 14 days).

    Raises:
        ValidationFailed: ``RETRY_SCHEDULE_INVALID`` (field ``retry_offsets_hours``).
    """
    offsets = list(offsets_hours)
    if (len(offsets) > MAX_RETRIES or any(isinstance(h, bool) or not isinstance(h, int) for h in offsets)
            or any(not 1 <= h <= MAX_RETRY_OFFSET_HOURS for h in offsets)):
        raise ValidationFailed(f"at most {MAX_RETRIES} retries, each 1 to {MAX_RETRY_OFFSET_HOURS} hours later",
                               field="retry_offsets_hours", code=code(BillingErrorCode.RETRY_SCHEDULE_INVALID))
    before = await retry_schedule(ctx)
    async with tenant_scope(ctx):
        await BillingSettings.raw(
            "INSERT INTO billing_settings (id, tenant_id, retry_offsets_hours, updated_at) VALUES ({}, {}, {}, {}) "
            "ON CONFLICT (tenant_id) DO UPDATE SET retry_offsets_hours = EXCLUDED.retry_offsets_hours, "
            "updated_at = EXCLUDED.updated_at", uuid.uuid4(), ctx.tenant_id, json.dumps(offsets), utcnow())
        await record(ctx, "billing.retry_schedule_set", target_type="billing_settings", target_id=str(ctx.tenant_id),
                     before={"retry_offsets_hours": before},
                     after={"retry_offsets_hours": offsets, "reason": reason[:500]})
    return offsets


# --- planning ------------------------------------------------------------------------------------------


async def plan_installments(ctx: TenantContext, installments: Sequence[Any]) -> int:
    """Give each open installment without attempts its first attempt (due at its debit moment) and its
    pre-debit reminder (48 h before). Idempotent (unique keys); returns how many attempts were added."""
    todo = [i for i in installments if i.status in OPEN_INSTALLMENT]
    if not todo:
        return 0
    limits = await _limits_or_default(ctx)
    zone = await _time_zone(ctx)
    now = utcnow()
    added = 0
    async with tenant_scope(ctx):
        for inst in todo:
            moment = debit_moment(inst.due_on, zone, limits)
            rows = await DebitAttempt.raw(
                "INSERT INTO debit_attempt (id, tenant_id, installment_id, contract_id, attempt_no, amount_fen, "
                "fee_fen, provider_name, status, trigger, error_code, provider_reference, next_attempt_at, "
                "created_at, updated_at) SELECT {}, {}, {}, {}, 1, {}, 0, '', 'planned', 'schedule', '', '', {}, "
                "{}, {} WHERE NOT EXISTS (SELECT 1 FROM debit_attempt WHERE tenant_id = {} AND installment_id = {}) "
                "ON CONFLICT DO NOTHING RETURNING id",
                attempt_id_for(inst.id, 1), ctx.tenant_id, inst.id, inst.contract_id, inst.amount_fen, moment,
                now, now, ctx.tenant_id, inst.id)
            added += len(rows)
            await DebitReminder.raw(
                "INSERT INTO debit_reminder (id, tenant_id, installment_id, contract_id, due_on, status, send_at, "
                "created_at, updated_at) VALUES ({}, {}, {}, {}, {}, 'planned', {}, {}, {}) "
                "ON CONFLICT DO NOTHING",
                uuid.uuid4(), ctx.tenant_id, inst.id, inst.contract_id, inst.due_on, moment - REMINDER_LEAD, now, now)
    return added


async def plan_contract(ctx: TenantContext, contract_id: uuid.UUID) -> int:
    """Plan every open installment of a contract (called when it is signed)."""
    from pawpay.tenants.contracts import services as contracts

    return await plan_installments(ctx, await contracts.installments(ctx, contract_id))


async def plan_store(ctx: TenantContext, *, horizon_days: int = 400) -> int:
    """Catch-up: plan the store's open installments due within ``horizon_days`` that have no attempt."""
    from pawpay.tenants.contracts import services as contracts
    from pawpay.tenants.customers.services import store_today

    today = await store_today(ctx)
    added = 0
    open_ones = await contracts.due_installments(ctx, on_or_before=today + timedelta(days=horizon_days), limit=5000)
    if not open_ones:
        return 0
    async with tenant_scope(ctx):
        rows = await DebitAttempt.raw(
            "SELECT DISTINCT installment_id FROM debit_attempt WHERE tenant_id = {} AND installment_id = ANY({})",
            ctx.tenant_id, [i.id for i in open_ones])
    planned = {r["installment_id"] for r in rows}
    added += await plan_installments(ctx, [i for i in open_ones if i.id not in planned])
    return added


# --- charging ----------------------------------------------------------------------------------------


async def process_attempt(  # noqa: PLR0911, PLR0912 - one guard per reason not to charge, read top to bottom
    ctx: TenantContext, attempt_id: str, *, staff: bool = False
) -> AttemptView | None:
    """Run one due attempt: charge it, or first query its unknown outcome, or reschedule it.

    The body of the ``run_debit_attempt`` actor (and of :func:`retry_now`). Idempotent: an attempt
    that is not due any more (a duplicate message) is left alone (returns ``None``).
    """
    from pawpay.tenants.contracts import services as contracts

    async with tenant_scope(ctx):  # one transaction for the look-ups and the decision
        provider, pctx, limits = await _payments(ctx)
        zone = await _time_zone(ctx)
        now = await tenant_now(ctx)
        row = await _lock_attempt(ctx, attempt_id)
        if row is None or (row["next_attempt_at"] is None and not staff):
            return None
        if row["status"] in ("succeeded", "failed", "cancelled"):
            await _update_attempt(ctx, attempt_id, next_attempt_at=None, lease_until=None)
            return _attempt_view(row)
        inst = await contracts.get_installment(ctx, row["installment_id"])
        if row["status"] == "planned":
            if inst.status not in OPEN_INSTALLMENT and inst.status != "paused":
                await _update_attempt(ctx, attempt_id, status="cancelled", error_code="INSTALLMENT_CLOSED",
                                      next_attempt_at=None, lease_until=None, resolved_at=now)
                return None
            if inst.status == "paused" or await _paused(ctx, inst.id):
                await _update_attempt(ctx, attempt_id, next_attempt_at=now + PAUSED_RECHECK, lease_until=None)
                return None
            earliest = debit_moment(inst.due_on, zone, limits)
            if not staff and now < earliest:
                await _update_attempt(ctx, attempt_id, next_attempt_at=earliest, lease_until=None)
                return None
            if not limits.allows_time(now):
                await _update_attempt(ctx, attempt_id, next_attempt_at=next_allowed(limits, now), lease_until=None)
                return None
            if await DebitAttempt.exists().where(
                    (DebitAttempt.tenant_id == ctx.tenant_id) & (DebitAttempt.installment_id == inst.id)
                    & (DebitAttempt.status == "succeeded")):
                await _update_attempt(ctx, attempt_id, status="cancelled", error_code="ALREADY_PAID",
                                      next_attempt_at=None, lease_until=None, resolved_at=now)
                return None
            fee = row["fee_fen"]
            if row["submitted_at"] is None:
                # Never sent yet: charge what the installment owes now (a prepayment may have reduced
                # it since the attempt was planned). Once sent, the amount is fixed with the attempt id.
                row["amount_fen"] = inst.amount_fen
                contract = await contracts.get_contract(ctx, row["contract_id"])
                from pawpay.platform.merchants import services as merchants

                terms = await merchants.terms_version(ctx, contract.terms_version)
                fee = fee_for(int(row["amount_fen"]), terms.fee_rate_bp)
            await _update_attempt(ctx, attempt_id, status="submitted", submitted_at=row["submitted_at"] or now,
                                  provider_name=provider.provider_name, fee_fen=fee, amount_fen=row["amount_fen"])
            action = "charge"
        else:
            action = "query"
        request = ChargeRequest(
            attempt_id=attempt_id, payment_id=str(row["installment_id"]),
            agreement_id=await _agreement_id(ctx, row["contract_id"]), amount_fen=int(row["amount_fen"]),
            description=f"月付第{inst.sequence}期", hold_funds=True,
            platform_fee_fen=int(row["fee_fen"]) if action == "query" else fee)
    result: ProviderResult
    if action == "query":
        try:
            result = await provider.query_charge(pctx, attempt_id)
        except ProviderError as exc:
            log.warning("debit query failed; asking again later", extra={"attempt_id": attempt_id,
                                                                          "code": exc.code})
            async with tenant_scope(ctx):
                await _update_attempt(ctx, attempt_id, next_attempt_at=now + UNKNOWN_RECHECK, lease_until=None)
            return await get_attempt(ctx, attempt_id)
        if result.status is ProviderStatus.NOT_SUBMITTED and result.error_code == "NOT_FOUND":
            # The provider never received it: charging with the same id is safe (inside the rail's hours).
            if not limits.allows_time(now):
                result = ProviderResult(ProviderStatus.NOT_SUBMITTED, error_code="OUTSIDE_ALLOWED_HOURS")
            else:
                result = await provider.charge(pctx, request)
    else:
        result = await provider.charge(pctx, request)
    return await apply_outcome(ctx, attempt_id, result, at=now, limits=limits)


async def _agreement_id(ctx: TenantContext, contract_id: uuid.UUID) -> str:
    from pawpay.tenants.contracts import services as contracts

    evidence = await contracts.get_evidence(ctx, contract_id)
    if evidence is not None and evidence.payment_agreement_reference:
        return evidence.payment_agreement_reference
    return f"agr-{contract_id.hex[:24]}"


async def apply_outcome(ctx: TenantContext, attempt_id: str, result: ProviderResult, *, at: datetime,
                        limits: RailLimits | None = None) -> AttemptView:
    """Record a provider's answer for an attempt (one transaction). An attempt already settled
    (e.g. by a webhook meanwhile) is left as it is."""
    async with tenant_scope(ctx):
        if limits is None:
            _, _, limits = await _payments(ctx)
        row = await _lock_attempt(ctx, attempt_id)
        if row is None:
            raise NotFound("no such debit attempt")
        if row["status"] in ("succeeded", "failed", "cancelled"):
            return _attempt_view(row)
        if result.status is ProviderStatus.SUCCEEDED:
            await _settle(ctx, row, result.provider_reference or "", at)
        elif result.status is ProviderStatus.FAILED:
            await _fail(ctx, row, result.error_code or "FAILED", at, limits)
        elif result.status is ProviderStatus.NOT_SUBMITTED:
            retry_at = (next_allowed(limits, at + timedelta(seconds=1)) if result.error_code == "OUTSIDE_ALLOWED_HOURS"
                        else at + NOT_SUBMITTED_RETRY)
            await _update_attempt(ctx, attempt_id, status="planned", error_code=(result.error_code or "")[:64],
                                  next_attempt_at=retry_at, lease_until=None)
        else:  # UNKNOWN / PENDING: ask again later, with the same id, before anything else
            await _update_attempt(ctx, attempt_id, status="unknown", error_code=(result.error_code or "")[:64],
                                  provider_reference=(result.provider_reference or row["provider_reference"])[:255],
                                  next_attempt_at=at + UNKNOWN_RECHECK, lease_until=None)
        fresh = await _lock_attempt(ctx, attempt_id)
        assert fresh is not None
        return _attempt_view(fresh)


async def _settle(ctx: TenantContext, row: dict[str, Any], reference: str, paid_at: datetime) -> None:
    """The attempt succeeded: attempt, installment, ledger, points — inside the caller's transaction."""
    from pawpay.platform.merchants import services as merchants
    from pawpay.platform.settlement import services as settlement
    from pawpay.tenants.contracts import services as contracts

    attempt_id = row["id"]
    contract = await contracts.get_contract(ctx, row["contract_id"])
    terms = await merchants.terms_version(ctx, contract.terms_version)
    inst = await contracts.get_installment(ctx, row["installment_id"])
    await _update_attempt(ctx, attempt_id, status="succeeded", provider_reference=reference[:255], error_code="",
                          resolved_at=paid_at, next_attempt_at=None, lease_until=None)
    fee = int(row["fee_fen"])
    if row["submitted_at"] is None:  # settled by webhook before we recorded the submission (cannot happen)
        fee = fee_for(int(row["amount_fen"]), terms.fee_rate_bp)

    async def collect() -> None:
        # Last in the transaction: the ledger's running balances lock the store's accounts until COMMIT.
        await settlement.record_collection(
            ctx, attempt_id=attempt_id, contract_ref=contract.contract_no, amount_fen=int(row["amount_fen"]),
            fee_fen=fee, collected_at=paid_at, settlement_days=terms.settlement_days,
            provider_name=row["provider_name"] or "unknown")

    if inst.status not in (*OPEN_INSTALLMENT, "paused"):
        # Money taken for an installment closed meanwhile: the ledger mirrors the provider; staff refund it.
        log.error("a debit succeeded for a closed installment", extra={"attempt_id": attempt_id})
        await record(ctx, "billing.debit_collected_on_closed_installment", target_type="installment",
                     target_id=str(inst.id), after={"attempt_id": attempt_id, "status": inst.status})
        await collect()
        return
    await contracts.set_installment_status(ctx, inst.id, "paid", paid_at=paid_at, reason=f"debit {attempt_id}")
    points = points_for(int(row["amount_fen"]))
    if points:
        await PointsEntry.raw(
            "INSERT INTO points_entry (id, tenant_id, customer_id, contract_id, source, points, reason, created_at) "
            "VALUES ({}, {}, {}, {}, {}, {}, {}, {}) ON CONFLICT DO NOTHING",
            uuid.uuid4(), ctx.tenant_id, contract.customer_id, contract.id, f"debit:{attempt_id}", points,
            f"{contract.contract_no} 第{inst.sequence}期", utcnow())
    # Any other planned attempt of this installment is moot now.
    await DebitAttempt.raw(
        "UPDATE debit_attempt SET status = 'cancelled', error_code = 'ALREADY_PAID', next_attempt_at = NULL, "
        "lease_until = NULL, updated_at = {} WHERE tenant_id = {} AND installment_id = {} AND status = 'planned'",
        utcnow(), ctx.tenant_id, inst.id)
    if int(row["attempt_no"]) > 1 or inst.status == "failed":
        await _dunning_recovered(ctx, inst.id)
    await record(ctx, "billing.debit_succeeded", target_type="installment", target_id=str(inst.id),
                 after={"attempt_id": attempt_id, "amount_fen": int(row["amount_fen"]), "fee_fen": fee,
                        "points": points, "contract_no": contract.contract_no, "sequence": inst.sequence})
    await collect()
    store_name = (await get_own_tenant(ctx)).name
    event = InstallmentPaid(installment_id=str(inst.id), contract_id=str(contract.id),
                            contract_no=contract.contract_no, sequence=inst.sequence,
                            amount_fen=int(row["amount_fen"]), paid_at=paid_at, attempt_id=attempt_id)

    async def _after() -> None:
        try:
            await announce_paid(ctx, [event])
        finally:  # the customer's receipt does not depend on the listeners
            await send_receipt(ctx, contract, event, points, store_name)

    after_commit(_after)


async def announce_paid(ctx: TenantContext, events: Sequence[InstallmentPaid]) -> None:
    """Tell the system that these installments of the store were paid, once their payments
    committed: ``pawpay_installments_paid`` once for all of them, then ``pawpay_installment_paid``
    once each, in order (skipped when nobody listens to it).

    The listeners share ONE transaction of the store's tenant scope (theirs join it when they open
    ``tenant_scope`` for this store), with a savepoint around the batch hook and around each
    per-installment event: one commit for the lot instead of one per listener and installment.
    When a listener breaks that transaction (its SQL failed), that broadcast's work is rolled back
    to its savepoint and the broadcast is made again after the commit, outside any scope (each
    listener in its own transaction), so the other listeners' work is not lost: listeners are
    idempotent per installment (the hooks' contract), and only in that case hear an event twice.
    """
    from pawpay.platform.events import services as event_services

    if not events:
        return
    tenant_id, batch = str(ctx.tenant_id), list(events)
    each = event_services.has_listeners("pawpay_installment_paid")
    again: list[InstallmentPaid] = []
    async with tenant_scope(ctx) as tx:
        conn = tx.connection
        await conn.execute(f"SAVEPOINT {_EVENT_SAVEPOINT}")
        mark = after_commit_mark()
        await event_services.broadcast("pawpay_installments_paid", tenant_id=tenant_id, installments=batch)
        batch_again = not await _keep_event_work(conn, mark)
        for event in batch if each else ():
            mark = after_commit_mark()
            await event_services.broadcast("pawpay_installment_paid", tenant_id=tenant_id, installment=event)
            if not await _keep_event_work(conn, mark):
                again.append(event)
        await conn.execute(f"RELEASE SAVEPOINT {_EVENT_SAVEPOINT}")
    if batch_again:
        log.warning("an installments paid listener broke the transaction; broadcasting the batch again on its own",
                    extra={"attempt_ids": [e.attempt_id for e in batch]})
        await event_services.broadcast("pawpay_installments_paid", tenant_id=tenant_id, installments=batch)
    for event in again:
        log.warning("an installment paid listener broke the transaction; broadcasting again on its own",
                    extra={"attempt_id": event.attempt_id})
        await event_services.broadcast("pawpay_installment_paid", tenant_id=tenant_id, installment=event)


_EVENT_SAVEPOINT = "installment_paid_event"


async def _keep_event_work(conn: Any, mark: int) -> bool:
    """Keep what the listeners did since the savepoint and set the next one (one round trip); when
    they broke the transaction, undo their part instead (the savepoint stays), with the after-commit
    callbacks they registered since ``mark`` (nothing rolled back is announced), and say so."""
    try:
        await conn.execute(f"RELEASE SAVEPOINT {_EVENT_SAVEPOINT}; SAVEPOINT {_EVENT_SAVEPOINT}")
        return True
    except Exception:
        await conn.execute(f"ROLLBACK TO SAVEPOINT {_EVENT_SAVEPOINT}")
        drop_after_commit_since(mark)
        return False


async def _fail(ctx: TenantContext, row: dict[str, Any], error_code: str, at: datetime, limits: RailLimits) -> None:
    from pawpay.tenants.contracts import services as contracts

    attempt_id = row["id"]
    await _update_attempt(ctx, attempt_id, status="failed", error_code=error_code[:64], resolved_at=at,
                          next_attempt_at=None, lease_until=None)
    inst = await contracts.get_installment(ctx, row["installment_id"])
    if inst.status in OPEN_INSTALLMENT:
        await contracts.set_installment_status(ctx, inst.id, "failed", reason=f"debit {attempt_id}: {error_code}")
    await _dunning_failed(ctx, installment_id=inst.id, contract_id=row["contract_id"], attempt_id=attempt_id,
                          error_code=error_code, failed_at=at)
    offsets = await retry_schedule(ctx)
    retries_done = int(row["attempt_no"]) - 1
    retry_at: datetime | None = None
    if error_code not in FINAL_DECLINES and retries_done < len(offsets) and inst.status in OPEN_INSTALLMENT:
        retry_at = next_allowed(limits, at + timedelta(hours=offsets[retries_done]))
        n = int(row["attempt_no"]) + 1
        now = utcnow()
        await DebitAttempt.raw(
            "INSERT INTO debit_attempt (id, tenant_id, installment_id, contract_id, attempt_no, amount_fen, fee_fen, "
            "provider_name, status, trigger, error_code, provider_reference, next_attempt_at, created_at, "
            "updated_at) VALUES ({}, {}, {}, {}, {}, {}, 0, '', 'planned', 'retry', '', '', {}, {}, {}) "
            "ON CONFLICT DO NOTHING",
            attempt_id_for(inst.id, n), ctx.tenant_id, inst.id, row["contract_id"], n, int(row["amount_fen"]),
            retry_at, now, now)
    await record(ctx, "billing.debit_failed", target_type="installment", target_id=str(inst.id),
                 after={"attempt_id": attempt_id, "error_code": error_code,
                        "retry_at": retry_at.isoformat() if retry_at else None})


# --- messages ------------------------------------------------------------------------------------------


async def _send(ctx: TenantContext, customer_id: uuid.UUID, contract_id: uuid.UUID, *, key: str, sms_template: str,
                mp_template: str, body: str, params: dict[str, str], page: str) -> dict[str, str]:
    from pawpay.tenants.customers import services as customers

    return await customers.send_message(ctx, customer_id, key=key, sms_template=sms_template,
                                        mp_template=mp_template, body=body, params=params, page=page,
                                        contract_id=contract_id)


async def send_receipt(ctx: TenantContext, contract: Any, paid: InstallmentPaid, points: int,
                       store_name: str | None = None) -> None:
    """The receipt after a successful debit (SMS + mini-program). Never raises."""
    try:
        store_name = store_name or (await get_own_tenant(ctx)).name
        body = (f"【{store_name}】合同{paid.contract_no}第{paid.sequence}期{yuan(paid.amount_fen)}元已扣款成功，"
                f"获得{points}积分。感谢您的信任。")
        params = {"contract_no": paid.contract_no, "sequence": str(paid.sequence),
                  "amount": yuan(paid.amount_fen), "points": str(points)}
        await _send(ctx, contract.customer_id, contract.id, key=f"receipt-{paid.attempt_id}",
                    sms_template=RECEIPT_SMS_TEMPLATE, mp_template=RECEIPT_MP_TEMPLATE, body=body, params=params,
                    page=f"pages/contracts/detail?no={paid.contract_no}")
    except Exception:
        log.exception("debit receipt could not be sent", extra={"attempt_id": paid.attempt_id})


# --- reminders -----------------------------------------------------------------------------------------


def reminder_text(store_name: str, contract_no: str, sequence: int, amount_fen: int, due_on: date) -> str:
    return (f"【{store_name}】温馨提示：您的合同{contract_no}第{sequence}期{yuan(amount_fen)}元将于"
            f"{due_on:%Y年%m月%d日}自动扣款，请确保账户余额充足。如有疑问请联系门店。")


async def process_reminder(ctx: TenantContext, reminder_id: uuid.UUID, *, force: bool = False
                           ) -> ReminderView | None:
    """Send one due pre-debit reminder (SMS, mini-program message and, where the rail requires it, the
    provider's pre-debit notice), never in quiet hours; once. Not delivered on any channel → a
    ``remind_by_phone`` task for staff. The body of the ``send_debit_reminder`` actor."""
    from pawpay.tenants.contracts import services as contracts

    zone = await _time_zone(ctx)
    now = await tenant_now(ctx)
    async with tenant_scope(ctx):
        rows = await DebitReminder.raw("SELECT * FROM debit_reminder WHERE tenant_id = {} AND id = {} FOR UPDATE",
                                       ctx.tenant_id, reminder_id)
        if not rows or rows[0]["status"] != "planned" or (rows[0]["send_at"] is None and not force):
            return None
        row = rows[0]
        inst = await contracts.get_installment(ctx, row["installment_id"])
        # Closed, or moved later meanwhile (a pause): this date's reminder is moot (the new date has its own).
        if inst.status not in OPEN_INSTALLMENT or row["due_on"] < inst.due_on:
            await DebitReminder.update({DebitReminder.status: "skipped", DebitReminder.send_at: None,
                                        DebitReminder.lease_until: None, DebitReminder.updated_at: utcnow()}).where(
                (DebitReminder.tenant_id == ctx.tenant_id) & (DebitReminder.id == reminder_id))
            return None
        if await _quiet(ctx, now, zone):
            if force:
                raise DebitRefused("no customer contact in quiet hours (22:00-08:00)",
                                   BillingErrorCode.REMINDER_QUIET_HOURS)
            await DebitReminder.update({DebitReminder.send_at: after_quiet(now, zone),
                                        DebitReminder.lease_until: None}).where(
                (DebitReminder.tenant_id == ctx.tenant_id) & (DebitReminder.id == reminder_id))
            return None
    try:
        provider, pctx, limits = await _payments(ctx)
    except Exception as exc:  # no payments provider configured: the customer is still reminded
        log.warning("reminder without the rail's notice: no payments provider", extra={"error": type(exc).__name__})
        provider = pctx = None
        limits = RailLimits()
    outcomes: dict[str, str] = {}
    if provider is not None and limits.pre_debit_notice_hours > 0:
        if not limits.allows_time(now):
            if force:
                raise DebitRefused("the rail's notices go out only in its allowed hours",
                                   BillingErrorCode.DEBIT_OUTSIDE_HOURS)
            async with tenant_scope(ctx):
                await DebitReminder.update({DebitReminder.send_at: next_allowed(limits, now),
                                            DebitReminder.lease_until: None}).where(
                    (DebitReminder.tenant_id == ctx.tenant_id) & (DebitReminder.id == reminder_id))
            return None
        try:
            notice = await provider.send_pre_debit_notice(pctx, PreDebitNotice(
                notice_id=f"pdn-{row['installment_id'].hex}-{row['due_on']:%Y%m%d}",
                agreement_id=await _agreement_id(ctx, row["contract_id"]), amount_fen=inst.amount_fen,
                debit_on=row["due_on"]))
            outcomes["notice"] = notice.status.value
        except Exception as exc:
            outcomes["notice"] = f"error:{type(exc).__name__}"
    contract = await contracts.get_contract(ctx, row["contract_id"])
    store = await get_own_tenant(ctx)
    body = reminder_text(store.name, contract.contract_no, inst.sequence, inst.amount_fen, row["due_on"])
    params = {"contract_no": contract.contract_no, "sequence": str(inst.sequence), "amount": yuan(inst.amount_fen),
              "debit_on": row["due_on"].isoformat()}
    outcomes.update(await _send(ctx, contract.customer_id, contract.id, key=f"reminder-{reminder_id.hex}",
                                sms_template=REMINDER_SMS_TEMPLATE, mp_template=REMINDER_MP_TEMPLATE, body=body,
                                params=params, page=f"pages/contracts/detail?no={contract.contract_no}"))
    delivered = any(outcomes.get(ch) in ("succeeded", "pending") for ch in ("sms", "mini_program"))
    status = "sent" if delivered else "undelivered"
    async with tenant_scope(ctx):
        await DebitReminder.update({DebitReminder.status: status, DebitReminder.send_at: None,
                                    DebitReminder.lease_until: None, DebitReminder.outcomes: outcomes,
                                    DebitReminder.sent_at: now, DebitReminder.updated_at: utcnow()}).where(
            (DebitReminder.tenant_id == ctx.tenant_id) & (DebitReminder.id == reminder_id))
        if not delivered:
            await _phone_task(ctx, inst.id, contract.id, now,
                              note=f"扣款提醒未送达（{contract.contract_no}第{inst.sequence}期），请电话或微信提醒客户")
        await record(ctx, f"billing.reminder_{status}", target_type="installment", target_id=str(inst.id),
                     after={"due_on": row["due_on"].isoformat(), "outcomes": outcomes})
        fresh = await DebitReminder.raw("SELECT * FROM debit_reminder WHERE tenant_id = {} AND id = {}",
                                        ctx.tenant_id, reminder_id)
    return _reminder_view(fresh[0])


# --- webhooks ------------------------------------------------------------------------------------------


async def on_charge_event(ctx: TenantContext, event: WebhookEvent) -> None:
    """A verified ``charge.*`` event (inside the webhook processor's transaction). A success settles the
    attempt once; a failure makes it due for a query at once (the query is authoritative)."""
    reference = event.reference or ""
    if not reference.startswith(ATTEMPT_PREFIX):
        return
    async with tenant_scope(ctx):
        row = await _lock_attempt(ctx, reference)
        if row is None:
            return
        if event.status is ProviderStatus.SUCCEEDED:
            if row["status"] in ("planned", "submitted", "unknown"):
                await _settle(ctx, row, event.provider_reference or "", event.occurred_at)
            elif row["status"] != "succeeded":
                log.error("a success event for a closed attempt", extra={"attempt_id": reference})
                await record(ctx, "billing.late_success_on_closed_attempt", target_type="debit_attempt",
                             target_id=reference, after={"status": row["status"]})
        elif event.status is ProviderStatus.FAILED and row["status"] in IN_FLIGHT:
            await _update_attempt(ctx, reference, next_attempt_at=await tenant_now(ctx), lease_until=None)


# --- staff actions and queues -------------------------------------------------------------------------


async def get_attempt(ctx: TenantContext, attempt_id: str) -> AttemptView:
    async with tenant_scope(ctx):
        row = await DebitAttempt.select().where(
            (DebitAttempt.tenant_id == ctx.tenant_id) & (DebitAttempt.id == attempt_id)).first()
    if row is None:
        raise NotFound("no such debit attempt")
    return _attempt_view(row)


async def retry_now(ctx: TenantContext, installment_id: uuid.UUID, *, reason: str) -> AttemptView:
    """A staff one-click retry: charges the installment now (the planned attempt, or a new attempt id
    once the last one is known FAILED). Audited.

    Raises:
        ValidationFailed: no reason.
        Conflict: outside the rail's allowed hours (``DEBIT_OUTSIDE_HOURS``), an attempt is in flight or
            its outcome is unknown (``DEBIT_IN_FLIGHT``), the installment is paid / not open
            (``INSTALLMENT_NOT_OPEN``) or paused (``INSTALLMENT_PAUSED``).
        NotFound: no such installment in this store.
    """
    from pawpay.tenants.contracts import services as contracts

    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("a reason is required", field="reason")
    inst = await contracts.get_installment(ctx, installment_id)
    if inst.status == "paid":
        raise DebitRefused("this installment is paid", BillingErrorCode.INSTALLMENT_NOT_OPEN)
    if inst.status == "paused" or await _paused(ctx, inst.id):
        raise DebitRefused("this installment is paused", BillingErrorCode.INSTALLMENT_PAUSED)
    if inst.status not in OPEN_INSTALLMENT:
        raise DebitRefused("this installment is not open", BillingErrorCode.INSTALLMENT_NOT_OPEN)
    _, _, limits = await _payments(ctx)
    now = await tenant_now(ctx)
    if not limits.allows_time(now):
        raise DebitRefused("the payment rail allows debits only in its hours", BillingErrorCode.DEBIT_OUTSIDE_HOURS,
                           next_allowed_at=next_allowed(limits, now).isoformat())
    async with tenant_scope(ctx):
        rows = await DebitAttempt.raw(
            "SELECT * FROM debit_attempt WHERE tenant_id = {} AND installment_id = {} ORDER BY attempt_no DESC "
            "FOR UPDATE", ctx.tenant_id, installment_id)
        last = rows[0] if rows else None
        if last is not None and last["status"] in IN_FLIGHT:
            raise DebitRefused("a debit of this installment is in flight; its outcome is being confirmed",
                               BillingErrorCode.DEBIT_IN_FLIGHT, attempt_id=last["id"])
        if last is not None and last["status"] == "succeeded":
            raise DebitRefused("this installment was collected", BillingErrorCode.DEBIT_ALREADY_SUCCEEDED)
        if last is not None and last["status"] == "planned":
            attempt_id = last["id"]
            await _update_attempt(ctx, attempt_id, trigger="staff", next_attempt_at=now)
        else:
            n = int(last["attempt_no"]) + 1 if last else 1
            attempt_id = attempt_id_for(installment_id, n)
            await DebitAttempt.raw(
                "INSERT INTO debit_attempt (id, tenant_id, installment_id, contract_id, attempt_no, amount_fen, "
                "fee_fen, provider_name, status, trigger, error_code, provider_reference, next_attempt_at, "
                "created_at, updated_at) VALUES ({}, {}, {}, {}, {}, {}, 0, '', 'planned', 'staff', '', '', {}, {}, "
                "{})",
                attempt_id, ctx.tenant_id, installment_id, inst.contract_id, n, inst.amount_fen, now, utcnow(),
                utcnow())
        await record(ctx, "billing.retry_now", target_type="installment", target_id=str(installment_id),
                     after={"attempt_id": attempt_id, "reason": reason[:500]})
    view = await process_attempt(ctx, attempt_id, staff=True)
    return view or await get_attempt(ctx, attempt_id)


async def send_reminder_now(ctx: TenantContext, installment_id: uuid.UUID, *, reason: str) -> None:
    """Send the pre-debit reminder (SMS + mini-program) now, refused in quiet hours (409
    ``REMINDER_QUIET_HOURS``). Not delivered → a ``remind_by_phone`` task in dunning."""
    from pawpay.tenants.contracts import services as contracts

    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("a reason is required", field="reason")
    inst = await contracts.get_installment(ctx, installment_id)
    if inst.status not in OPEN_INSTALLMENT:
        raise DebitRefused("this installment is not open", BillingErrorCode.INSTALLMENT_NOT_OPEN)
    zone = await _time_zone(ctx)
    now = await tenant_now(ctx)
    if await _quiet(ctx, now, zone):
        raise DebitRefused("no customer contact in quiet hours (22:00-08:00)", BillingErrorCode.REMINDER_QUIET_HOURS)
    reminder_id = uuid.uuid4()
    async with tenant_scope(ctx):
        await record(ctx, "billing.reminder_requested", target_type="installment", target_id=str(inst.id),
                     after={"reason": reason[:500]})
    await _send_staff_reminder(ctx, inst, reminder_id)


async def _send_staff_reminder(ctx: TenantContext, inst: Any, key: uuid.UUID) -> None:
    from pawpay.tenants.contracts import services as contracts

    contract = await contracts.get_contract(ctx, inst.contract_id)
    store = await get_own_tenant(ctx)
    body = reminder_text(store.name, contract.contract_no, inst.sequence, inst.amount_fen, inst.due_on)
    params = {"contract_no": contract.contract_no, "sequence": str(inst.sequence), "amount": yuan(inst.amount_fen),
              "debit_on": inst.due_on.isoformat()}
    outcomes = await _send(ctx, contract.customer_id, contract.id, key=f"reminder-staff-{key.hex}",
                           sms_template=REMINDER_SMS_TEMPLATE, mp_template=REMINDER_MP_TEMPLATE, body=body,
                           params=params, page=f"pages/contracts/detail?no={contract.contract_no}")
    if not any(outcomes.get(ch) in ("succeeded", "pending") for ch in ("sms", "mini_program")):
        async with tenant_scope(ctx):
            await _phone_task(ctx, inst.id, contract.id, await tenant_now(ctx),
                              note=f"扣款提醒未送达（{contract.contract_no}第{inst.sequence}期），请电话或微信提醒客户")


async def move_debit_date(ctx: TenantContext, installment_id: uuid.UUID, new_due_on: date, *, reason: str) -> None:
    """Move an open installment's debit to a later store-local date (after today, not after the next
    installment's due date, within the rail's debit window after the due date), no attempt in flight.
    The planned attempt moves and the reminder for the new date is planned (48 h before). Audited.

    Raises:
        ValidationFailed: no reason.
        BusinessRuleViolation: ``DEBIT_DATE_INVALID`` (field ``new_due_on``).
        Conflict: ``DEBIT_IN_FLIGHT``, ``INSTALLMENT_NOT_OPEN``.
    """
    from pawpay.tenants.contracts import services as contracts
    from pawpay.tenants.customers.services import store_today

    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("a reason is required", field="reason")
    inst = await contracts.get_installment(ctx, installment_id)
    if inst.status not in OPEN_INSTALLMENT:
        raise DebitRefused("this installment is not open", BillingErrorCode.INSTALLMENT_NOT_OPEN)
    today = await store_today(ctx)
    schedule = await contracts.installments(ctx, inst.contract_id)
    later = [i.due_on for i in schedule if i.sequence > inst.sequence]
    _, _, limits = await _payments(ctx)
    if new_due_on <= today or new_due_on < inst.due_on:
        raise DebitDateInvalid("the new debit date must be after today and not before the due date",
                               field="new_due_on")
    if later and new_due_on >= later[0]:
        raise DebitDateInvalid("the new debit date must be before the next installment's", field="new_due_on")
    if limits.debit_window_days is not None and new_due_on > inst.due_on + timedelta(days=limits.debit_window_days):
        raise DebitDateInvalid(f"the rail allows debits up to {limits.debit_window_days} days after the due date",
                               field="new_due_on")
    zone = await _time_zone(ctx)
    moment = debit_moment(new_due_on, zone, limits)
    async with tenant_scope(ctx):
        rows = await DebitAttempt.raw(
            "SELECT * FROM debit_attempt WHERE tenant_id = {} AND installment_id = {} ORDER BY attempt_no DESC "
            "FOR UPDATE", ctx.tenant_id, installment_id)
        last = rows[0] if rows else None
        if last is not None and last["status"] in IN_FLIGHT:
            raise DebitRefused("a debit of this installment is in flight", BillingErrorCode.DEBIT_IN_FLIGHT)
        if last is not None and last["status"] == "planned":
            await _update_attempt(ctx, last["id"], next_attempt_at=moment, trigger="staff")
        else:
            n = int(last["attempt_no"]) + 1 if last else 1
            await DebitAttempt.raw(
                "INSERT INTO debit_attempt (id, tenant_id, installment_id, contract_id, attempt_no, amount_fen, "
                "fee_fen, provider_name, status, trigger, error_code, provider_reference, next_attempt_at, "
                "created_at, updated_at) VALUES ({}, {}, {}, {}, {}, {}, 0, '', 'planned', 'staff', '', '', {}, {}, "
                "{})",
                attempt_id_for(installment_id, n), ctx.tenant_id, installment_id, inst.contract_id, n,
                inst.amount_fen, moment, utcnow(), utcnow())
        # The reminder of the old date is moot; the new date gets its own (48 h before, once).
        await DebitReminder.raw(
            "UPDATE debit_reminder SET status = 'skipped', send_at = NULL, lease_until = NULL, updated_at = {} "
            "WHERE tenant_id = {} AND installment_id = {} AND status = 'planned' AND due_on <> {}",
            utcnow(), ctx.tenant_id, inst.id, new_due_on)
        await DebitReminder.raw(
            "INSERT INTO debit_reminder (id, tenant_id, installment_id, contract_id, due_on, status, send_at, "
            "created_at, updated_at) VALUES ({}, {}, {}, {}, {}, 'planned', {}, {}, {}) "
            "ON CONFLICT DO NOTHING",
            uuid.uuid4(), ctx.tenant_id, inst.id, inst.contract_id, new_due_on, moment - REMINDER_LEAD, utcnow(),
            utcnow())
        await record(ctx, "billing.debit_date_moved", target_type="installment", target_id=str(installment_id),
                     before={"debit_at": (last["next_attempt_at"].isoformat()
                                          if last is not None and last["next_attempt_at"] else None)},
                     after={"debit_on": new_due_on.isoformat(), "debit_at": moment.isoformat(),
                            "reason": reason[:500]})


async def installment_debits(ctx: TenantContext, installment_id: uuid.UUID) -> list[AttemptView]:
    """The installment's attempts, oldest first (outcome, error code, times)."""
    from pawpay.tenants.contracts import services as contracts

    await contracts.get_installment(ctx, installment_id)  # NotFound for another store's
    async with tenant_scope(ctx):
        rows = await DebitAttempt.select().where(
            (DebitAttempt.tenant_id == ctx.tenant_id) & (DebitAttempt.installment_id == installment_id)
        ).order_by(DebitAttempt.attempt_no)
    return [_attempt_view(r) for r in rows]


async def installment_reminders(ctx: TenantContext, installment_id: uuid.UUID) -> list[ReminderView]:
    async with tenant_scope(ctx):
        rows = await DebitReminder.raw(
            "SELECT * FROM debit_reminder WHERE tenant_id = {} AND installment_id = {} ORDER BY created_at",
            ctx.tenant_id, installment_id)
    return [_reminder_view(r) for r in rows]


async def recent_attempts(ctx: TenantContext, *, limit: int = 50) -> list[AttemptView]:
    """The store's latest attempts that reached the provider (or were settled), newest first."""
    async with tenant_scope(ctx):
        rows = await DebitAttempt.raw(
            "SELECT * FROM debit_attempt WHERE tenant_id = {} AND status <> 'planned' "
            "ORDER BY COALESCE(resolved_at, submitted_at, created_at) DESC LIMIT {}", ctx.tenant_id, limit)
    return [_attempt_view(r) for r in rows]


async def _queue(ctx: TenantContext, installments: Sequence[Any]) -> list[DueDebitView]:
    from pawpay.tenants.contracts import services as contracts

    if not installments:
        return []
    async with tenant_scope(ctx):
        rows = await DebitAttempt.raw(
            "SELECT DISTINCT ON (installment_id) * FROM debit_attempt WHERE tenant_id = {} "
            "AND installment_id = ANY({}) ORDER BY installment_id, attempt_no DESC",
            ctx.tenant_id, [i.id for i in installments])
    last = {r["installment_id"]: _attempt_view(r) for r in rows}
    cache: dict[uuid.UUID, Any] = {}
    out = []
    for i in installments:
        if i.contract_id not in cache:
            cache[i.contract_id] = await contracts.get_contract(ctx, i.contract_id)
        c = cache[i.contract_id]
        a = last.get(i.id)
        out.append(DueDebitView(installment_id=i.id, contract_id=i.contract_id, contract_no=c.contract_no,
                                customer_id=c.customer_id, sequence=i.sequence, due_on=i.due_on,
                                amount_fen=i.amount_fen, status=i.status, last_attempt=a,
                                next_attempt_at=a.next_attempt_at if a else None))
    return out


async def debits_due_today(ctx: TenantContext) -> list[DueDebitView]:
    """Open installments due on the store's today (its clock), with their last attempt."""
    from pawpay.tenants.contracts import services as contracts
    from pawpay.tenants.customers.services import store_today

    today = await store_today(ctx)
    due = await contracts.due_installments(ctx, on_or_before=today, limit=1000)
    return await _queue(ctx, [i for i in due if i.due_on == today])


async def failed_debits(ctx: TenantContext) -> list[DueDebitView]:
    """Open installments whose last attempt failed, with the next automatic retry time."""
    from pawpay.tenants.contracts import services as contracts
    from pawpay.tenants.customers.services import store_today

    today = await store_today(ctx)
    due = await contracts.due_installments(ctx, on_or_before=today, limit=1000)
    return list(await _queue(ctx, [i for i in due if i.status == "failed"]))


async def points_balance(ctx: TenantContext, customer_id: uuid.UUID) -> int:
    """The customer's points (1 per CNY paid by debit)."""
    async with tenant_scope(ctx):
        rows = await PointsEntry.raw(
            "SELECT COALESCE(SUM(points), 0) AS n FROM points_entry WHERE tenant_id = {} AND customer_id = {}",
            ctx.tenant_id, customer_id)
    return int(rows[0]["n"])


# --- the test clock (test-mode stores) ------------------------------------------------------------------


async def clock(ctx: TenantContext) -> ClockView:
    from pawpay.platform.jobs.services import get_tenant_clock

    tenant = await get_own_tenant(ctx)
    view = await get_tenant_clock(ctx)
    async with tenant_scope(ctx):
        rows = await DebitAttempt.raw(
            "SELECT min(next_attempt_at) AS at FROM debit_attempt WHERE tenant_id = {} AND status = 'planned' "
            "AND next_attempt_at IS NOT NULL", ctx.tenant_id)
    return ClockView(now=view.now, local_now=view.now.astimezone(ZoneInfo(tenant.time_zone)),
                     offset_seconds=view.offset_seconds, test_mode=tenant.test_mode, time_zone=tenant.time_zone,
                     next_debit_at=rows[0]["at"] if rows else None)


async def advance_clock(ctx: TenantContext, step: str) -> ClockView:
    """Move a test-mode store's clock: ``day`` (24 h), ``month`` (30 days) or ``next_debit`` (just past
    the next planned debit). The real scheduler and workers then do the work.

    Raises:
        ValidationFailed: an unknown step, or no planned debit for ``next_debit``.
        TestClockNotAllowed: the store is live.
    """
    from pawpay.platform.jobs.services import advance_tenant_clock

    if step == "day":
        seconds = 86_400
    elif step == "month":
        seconds = 30 * 86_400
    elif step == "next_debit":
        view = await clock(ctx)
        if view.next_debit_at is None:
            raise ValidationFailed("no debit is planned", field="step")
        seconds = max(1, int((view.next_debit_at - view.now).total_seconds()) + 60)
    else:
        raise ValidationFailed("advance by day, month or next_debit", field="step")
    await advance_tenant_clock(ctx, seconds)
    return await clock(ctx)
