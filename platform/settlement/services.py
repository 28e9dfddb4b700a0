"""T+N settlement: each collected debit is held by the provider in the store's own account and
released on its N-th business day by the store's daily settlement batch (ARCHITECTURE §5a).

pawpay never holds money: the ledger mirrors what the provider holds, and the batch tells the
provider what to release. Usage from the collections engine::

    from pawpay.platform.settlement import services as settlement

    await settlement.record_collection(ctx, attempt_id=..., contract_ref=..., amount_fen=29_800, fee_fen=600,
                                       collected_at=event.occurred_at, settlement_days=1, provider_name="sandbox")
    await settlement.record_refund(ctx, refund_id=..., attempt_id=..., amount_fen=10_000, refunded_at=...)
    view = await settlement.run_settlement_batch(ctx, date(2026, 10, 9))

Ledger entries (idempotency keys derived from the cause):

* ``collection:<attempt>``: store_funds_held + (amount - fee), platform_fee + fee,
  ``customer_receivable:<contract>`` - amount (the contracts domain posted the receivable when the
  contract was signed; an unknown or exhausted receivable is refused).
* ``refund:<refund>``: refunds + amount, and - amount from where the debit's funds are now
  (store_funds_held, deposit_held or store_funds_released).
* ``settlement-release:<digest of the release ids>``: store_funds_released + the released sum,
  store_funds_held - the same, once per chunk of answers recorded together (each statement line
  keeps its own amounts).
* ``settlement-deposit:<release id>``: deposit_held + net, store_funds_held - net (kept held).
* ``deposit-release:<release id>``: store_funds_released + net, deposit_held - net.

Advance repayment: a released debit of a contract whose advance is still owed splits up to the
owed amount to the financing partner (``ReleaseRequest.receivers`` = the partner's
``repayment_receiver``); the line's ``split_fen`` is posted with the chunk's release entry
(advance_outstanding + split, store_funds_held - split) and recorded on the advance.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pawpay.platform.advances.rules import repayment_split
from pawpay.platform.audit.services import AuditRecord, record, record_many
from pawpay.platform.clock import utcnow
from pawpay.platform.deposits import rules as deposit_rules
from pawpay.platform.deposits import services as deposits
from pawpay.platform.errors import NotFound, ValidationFailed
from pawpay.platform.hooks import ProviderResult, ProviderStatus, ReleaseRequest, SplitReceiver
from pawpay.platform.ledger import services as ledger
from pawpay.platform.settlement.errors import (
    CollectionMismatch,
    DepositReleaseTooSmall,
    ProviderRefused,
    ProviderUnresolved,
    RefundExceedsFunds,
    RefundMismatch,
    ReleaseInProgress,
)
from pawpay.platform.settlement.rules import (
    check_collection,
    deposit_release_id,
    line_amounts,
    local_date,
    net_fen,
    next_daily_run,
    release_id,
)
from pawpay.platform.settlement.tables import (
    SettlementBatch,
    SettlementItem,
    SettlementLine,
    SettlementRefund,
)
from pawpay.platform.tenancy.context import PlatformContext, TenantContext
from pawpay.platform.tenancy.scope import platform_scope, tenant_scope

log = logging.getLogger(__name__)

HELD, RELEASED, DEPOSIT, FEE, REFUNDS, ADVANCE = (
    "store_funds_held", "store_funds_released", "deposit_held", "platform_fee", "refunds", "advance_outstanding")
UNRESOLVED = ("pending", "unknown")
# Provider answers recorded per transaction (one ledger entry for the released sum of each chunk).
CHUNK = 200


# --- views ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SettlementItemView:
    id: uuid.UUID
    attempt_id: str
    contract_ref: str
    provider_name: str
    amount_fen: int
    fee_fen: int
    refunded_fen: int
    collected_at: datetime
    collected_on: date
    settlement_days: int
    releasable_on: date | None
    status: str
    batch_id: uuid.UUID | None


@dataclass(frozen=True, slots=True)
class RefundView:
    id: uuid.UUID
    refund_id: str
    attempt_id: str
    amount_fen: int
    from_account: str
    refunded_at: datetime


@dataclass(frozen=True, slots=True)
class SettlementLineView:
    id: uuid.UUID
    item_id: uuid.UUID
    release_id: str
    attempt_id: str
    contract_ref: str
    collected_on: date
    releasable_on: date
    gross_fen: int
    fee_fen: int
    refund_fen: int
    deposit_fen: int
    release_fen: int
    status: str
    provider_reference: str
    error_code: str
    error_message: str
    asks: int
    split_fen: int = 0
    split_ref: str = ""


@dataclass(frozen=True, slots=True)
class SettlementBatchView:
    id: uuid.UUID
    tenant_id: uuid.UUID
    business_day: date
    status: str
    item_count: int
    gross_fen: int
    fee_fen: int
    refund_fen: int
    deposit_fen: int
    release_fen: int
    failed_count: int
    unknown_count: int
    pending_calendar_count: int
    started_at: datetime
    completed_at: datetime | None
    created_by: str
    tenant_name: str = ""


@dataclass(frozen=True, slots=True)
class StatementView:
    batch: SettlementBatchView
    lines: list[SettlementLineView]


def _item_view(r: dict[str, Any]) -> SettlementItemView:
    return SettlementItemView(
        id=r["id"], attempt_id=r["attempt_id"], contract_ref=r["contract_ref"], provider_name=r["provider_name"],
        amount_fen=int(r["amount_fen"]), fee_fen=int(r["fee_fen"]), refunded_fen=int(r["refunded_fen"]),
        collected_at=r["collected_at"], collected_on=r["collected_on"], settlement_days=int(r["settlement_days"]),
        releasable_on=r["releasable_on"], status=r["status"], batch_id=r["batch_id"])


def _line_view(r: dict[str, Any]) -> SettlementLineView:
    return SettlementLineView(
        id=r["id"], item_id=r["item_id"], release_id=r["release_id"], attempt_id=r["attempt_id"],
        contract_ref=r["contract_ref"], collected_on=r["collected_on"], releasable_on=r["releasable_on"],
        gross_fen=int(r["gross_fen"]), fee_fen=int(r["fee_fen"]), refund_fen=int(r["refund_fen"]),
        deposit_fen=int(r["deposit_fen"]), release_fen=int(r["release_fen"]), status=r["status"],
        provider_reference=r["provider_reference"], error_code=r["error_code"], error_message=r["error_message"],
        asks=int(r["asks"]), split_fen=int(r["split_fen"]), split_ref=r["split_ref"])


def _batch_view(r: dict[str, Any], tenant_name: str = "") -> SettlementBatchView:
    return SettlementBatchView(
        id=r["id"], tenant_id=r["tenant_id"], business_day=r["business_day"], status=r["status"],
        item_count=int(r["item_count"]), gross_fen=int(r["gross_fen"]), fee_fen=int(r["fee_fen"]),
        refund_fen=int(r["refund_fen"]), deposit_fen=int(r["deposit_fen"]), release_fen=int(r["release_fen"]),
        failed_count=int(r["failed_count"]), unknown_count=int(r["unknown_count"]),
        pending_calendar_count=int(r["pending_calendar_count"]), started_at=r["started_at"],
        completed_at=r["completed_at"], created_by=r["created_by"], tenant_name=tenant_name)


def _actor(ctx: TenantContext | PlatformContext) -> str:
    return (ctx.actor_label or (str(ctx.actor_id) if ctx.actor_id else ""))[:255]


# --- collections and refunds ---------------------------------------------------------------------


async def _time_zone(ctx: TenantContext) -> str:
    from pawpay.platform.tenancy.services import get_own_tenant

    return (await get_own_tenant(ctx)).time_zone


async def _releasable_on(collected_on: date, settlement_days: int) -> date | None:
    """The T+N business day, or None when the calendar cannot classify a day on the way (never guessed)."""
    from pawpay.platform.business_calendar.errors import CalendarNotCovered
    from pawpay.platform.business_calendar.services import add_business_days

    try:
        return await add_business_days(collected_on, settlement_days)
    except CalendarNotCovered:
        return None


async def record_collection(
    ctx: TenantContext,
    *,
    attempt_id: str,
    contract_ref: str,
    amount_fen: int,
    fee_fen: int,
    collected_at: datetime,
    settlement_days: int,
    provider_name: str,
) -> SettlementItemView:
    """A held debit succeeded: post it to the ledger and schedule its release on the store-local
    T+``settlement_days`` business day. Idempotent on ``attempt_id`` (the same values return the
    recorded item; other values are a 409). Joins the caller's transaction."""
    check_collection(attempt_id=attempt_id, contract_ref=contract_ref, amount_fen=amount_fen, fee_fen=fee_fen,
                     collected_at=collected_at, settlement_days=settlement_days, provider_name=provider_name)
    async with tenant_scope(ctx):
        existing = await SettlementItem.select().where(
            (SettlementItem.tenant_id == ctx.tenant_id) & (SettlementItem.attempt_id == attempt_id)).first()
        if existing is not None:
            same = (existing["contract_ref"], int(existing["amount_fen"]), int(existing["fee_fen"]),
                    existing["collected_at"], int(existing["settlement_days"])) == (
                contract_ref, amount_fen, fee_fen, collected_at, settlement_days)
            if not same:
                raise CollectionMismatch("this attempt was recorded with other values", attempt_id=attempt_id)
            return _item_view(existing)
        collected_on = local_date(collected_at, await _time_zone(ctx))
        releasable_on = await _releasable_on(collected_on, settlement_days)
        receivable = f"customer_receivable:{contract_ref}"
        await ledger.ensure_accounts(ctx, [HELD, RELEASED, DEPOSIT, FEE, REFUNDS, receivable])
        postings = [(HELD, amount_fen - fee_fen), (FEE, fee_fen), (receivable, -amount_fen)]
        await ledger.post_entry(ctx, idempotency_key=f"collection:{attempt_id}",
                                description=f"debit collected, held at the provider ({contract_ref})",
                                postings=[(c, a) for c, a in postings if a != 0], effective_at=collected_at)
        now = utcnow()
        item_id = uuid.uuid4()
        row: dict[str, Any] = {
            "id": item_id, "tenant_id": ctx.tenant_id, "attempt_id": attempt_id, "contract_ref": contract_ref,
            "provider_name": provider_name, "amount_fen": amount_fen, "fee_fen": fee_fen, "refunded_fen": 0,
            "collected_at": collected_at, "collected_on": collected_on, "settlement_days": settlement_days,
            "releasable_on": releasable_on, "status": "held" if releasable_on else "calendar_pending",
            "batch_id": None, "created_at": now, "updated_at": now}
        await SettlementItem.insert(SettlementItem(**row))
        await _ensure_schedule(ctx)
        await record(ctx, "settlement.collection_recorded", target_type="settlement_item", target_id=str(item_id),
                     after={"attempt_id": attempt_id, "contract_ref": contract_ref, "amount_fen": amount_fen,
                            "fee_fen": fee_fen, "releasable_on": releasable_on.isoformat() if releasable_on else None})
    return _item_view(row)


@dataclass(frozen=True, slots=True)
class CollectionInput:
    """One held debit for :func:`record_collections` (the arguments of :func:`record_collection`)."""

    attempt_id: str
    contract_ref: str
    amount_fen: int
    fee_fen: int
    collected_at: datetime
    settlement_days: int
    provider_name: str


async def record_collections(ctx: TenantContext, items: list[CollectionInput]) -> None:
    """:func:`record_collection` for several held debits of one store at once (a debit batch): the
    same postings, settlement items and audit entries, in a few statements; each is idempotent on
    its ``attempt_id`` (recorded with the same values: skipped; other values: 409). Joins the
    caller's transaction; the ledger's accounts are locked once, in code order."""
    if not items:
        return
    for i in items:
        check_collection(attempt_id=i.attempt_id, contract_ref=i.contract_ref, amount_fen=i.amount_fen,
                         fee_fen=i.fee_fen, collected_at=i.collected_at, settlement_days=i.settlement_days,
                         provider_name=i.provider_name)
    async with tenant_scope(ctx):
        existing = {r["attempt_id"]: r for r in await SettlementItem.select().where(
            (SettlementItem.tenant_id == ctx.tenant_id)
            & SettlementItem.attempt_id.is_in([i.attempt_id for i in items]))}
        todo = []
        for i in items:
            row = existing.get(i.attempt_id)
            if row is None:
                todo.append(i)
            elif (row["contract_ref"], int(row["amount_fen"]), int(row["fee_fen"]), row["collected_at"],
                  int(row["settlement_days"])) != (i.contract_ref, i.amount_fen, i.fee_fen, i.collected_at,
                                                   i.settlement_days):
                raise CollectionMismatch("this attempt was recorded with other values", attempt_id=i.attempt_id)
        if not todo:
            return
        zone = await _time_zone(ctx)
        releasable: dict[tuple[date, int], date | None] = {}
        for i in todo:
            key = (local_date(i.collected_at, zone), i.settlement_days)
            if key not in releasable:
                releasable[key] = await _releasable_on(*key)
        receivables = [f"customer_receivable:{i.contract_ref}" for i in todo]
        await ledger.ensure_accounts(ctx, [HELD, RELEASED, DEPOSIT, FEE, REFUNDS, *receivables])
        await ledger.post_entries(ctx, [
            ledger.EntryInput(
                idempotency_key=f"collection:{i.attempt_id}",
                description=f"debit collected, held at the provider ({i.contract_ref})",
                postings=[(c, a) for c, a in ((HELD, i.amount_fen - i.fee_fen), (FEE, i.fee_fen),
                                              (receivable, -i.amount_fen)) if a != 0],
                effective_at=i.collected_at)
            for i, receivable in zip(todo, receivables, strict=True)])
        now = utcnow()
        audits = []
        values: dict[str, list[Any]] = {k: [] for k in ("id", "attempt", "ref", "provider", "amount", "fee", "at", "on",
                                                         "days", "releasable", "status")}
        for i in todo:
            collected_on = local_date(i.collected_at, zone)
            releasable_on = releasable[(collected_on, i.settlement_days)]
            item_id = uuid.uuid4()
            for k, v in (("id", item_id), ("attempt", i.attempt_id), ("ref", i.contract_ref),
                         ("provider", i.provider_name), ("amount", i.amount_fen), ("fee", i.fee_fen),
                         ("at", i.collected_at), ("on", collected_on), ("days", i.settlement_days),
                         ("releasable", releasable_on), ("status", "held" if releasable_on else "calendar_pending")):
                values[k].append(v)
            audits.append(AuditRecord(
                "settlement.collection_recorded", target_type="settlement_item", target_id=str(item_id),
                after={"attempt_id": i.attempt_id, "contract_ref": i.contract_ref, "amount_fen": i.amount_fen,
                       "fee_fen": i.fee_fen,
                       "releasable_on": releasable_on.isoformat() if releasable_on else None}))
        await SettlementItem.raw(
            "INSERT INTO settlement_item (id, tenant_id, attempt_id, contract_ref, provider_name, amount_fen, fee_fen, "
            "refunded_fen, collected_at, collected_on, settlement_days, releasable_on, status, batch_id, created_at, "
            "updated_at) SELECT u.id, {}, u.attempt, u.ref, u.provider, u.amount, u.fee, 0, u.at, u.on_, u.days, "
            "u.releasable, u.status, NULL, {}, {} FROM unnest({}::uuid[], {}::text[], {}::text[], {}::text[], "
            "{}::bigint[], {}::bigint[], {}::timestamptz[], {}::date[], {}::int[], {}::date[], {}::text[]) "
            "AS u(id, attempt, ref, provider, amount, fee, at, on_, days, releasable, status)",
            ctx.tenant_id, now, now, *values.values())
        await _ensure_schedule(ctx)
        await record_many(ctx, audits)


async def _store_now(ctx: TenantContext) -> datetime:
    from pawpay.platform.jobs.services import tenant_now

    return await tenant_now(ctx)


async def _ensure_schedule(ctx: TenantContext) -> None:
    from pawpay.platform.jobs.services import tenant_now

    first = next_daily_run(await tenant_now(ctx), await _time_zone(ctx))
    await SettlementItem.raw(
        "INSERT INTO settlement_schedule (id, tenant_id, next_run_at, lease_until, last_run_at, last_error) "
        "VALUES ({}, {}, {}, NULL, NULL, '') ON CONFLICT ON CONSTRAINT settlement_schedule_uq_tenant DO NOTHING",
        uuid.uuid4(), ctx.tenant_id, first,
    )


async def _item_by_attempt(ctx: TenantContext, attempt_id: str, *, lock: bool = False) -> dict[str, Any]:
    rows = await SettlementItem.raw(
        "SELECT * FROM settlement_item WHERE tenant_id = {} AND attempt_id = {}" + (" FOR UPDATE" if lock else ""),
        ctx.tenant_id, attempt_id,
    )
    if not rows:
        raise NotFound("collected debit not found", attempt_id=attempt_id)
    return dict(rows[0])


async def get_item(ctx: TenantContext, attempt_id: str) -> SettlementItemView:
    async with tenant_scope(ctx):
        return _item_view(await _item_by_attempt(ctx, attempt_id))


async def record_refund(
    ctx: TenantContext, *, refund_id: str, attempt_id: str, amount_fen: int, refunded_at: datetime
) -> RefundView:
    """A refund of a collected debit succeeded at the provider. While the debit is held its
    release shrinks by the refund; once released (or kept as deposit) the refund comes out of
    those funds. Idempotent on ``refund_id``."""
    if not isinstance(refund_id, str) or not refund_id.strip() or len(refund_id) > 128:
        raise ValidationFailed("refund_id must be 1 to 128 characters", field="refund_id")
    if type(amount_fen) is not int or amount_fen <= 0:
        raise ValidationFailed("the amount must be a positive integer of fen", field="amount_fen")
    if not isinstance(refunded_at, datetime) or refunded_at.tzinfo is None:
        raise ValidationFailed("times must be timezone-aware", field="refunded_at")
    async with tenant_scope(ctx):
        done = await SettlementRefund.select().where(
            (SettlementRefund.tenant_id == ctx.tenant_id) & (SettlementRefund.refund_id == refund_id)).first()
        if done is not None:
            if (done["attempt_id"], int(done["amount_fen"])) != (attempt_id, amount_fen):
                raise RefundMismatch("this refund was recorded with other values", refund_id=refund_id)
            return _refund_view(done)
        item = await _item_by_attempt(ctx, attempt_id, lock=True)
        source = {"held": HELD, "calendar_pending": HELD, "deposit_held": DEPOSIT,
                  "released": RELEASED, "deposit_released": RELEASED}.get(item["status"])
        if source is None:
            raise ReleaseInProgress("the debit's release awaits the provider's answer; retry later",
                                    attempt_id=attempt_id)
        left = net_fen(int(item["amount_fen"]), int(item["fee_fen"]), int(item["refunded_fen"]))
        if amount_fen > left:
            raise RefundExceedsFunds("the refund exceeds what is left of the debit", field="amount_fen",
                                     left_fen=left)
        await ledger.post_entry(ctx, idempotency_key=f"refund:{refund_id}",
                                description=f"refund of {attempt_id}",
                                postings=[(REFUNDS, amount_fen), (source, -amount_fen)], effective_at=refunded_at)
        await SettlementItem.update({SettlementItem.refunded_fen: int(item["refunded_fen"]) + amount_fen,
                                     SettlementItem.updated_at: utcnow()}).where(
            (SettlementItem.tenant_id == ctx.tenant_id) & (SettlementItem.id == item["id"]))
        row = {"id": uuid.uuid4(), "tenant_id": ctx.tenant_id, "refund_id": refund_id, "item_id": item["id"],
                   "attempt_id": attempt_id, "amount_fen": amount_fen, "from_account": source,
               "refunded_at": refunded_at, "created_at": utcnow()}
        await SettlementRefund.insert(SettlementRefund(**row))
        await record(ctx, "settlement.refund_recorded", target_type="settlement_item", target_id=str(item["id"]),
                     after={"refund_id": refund_id, "amount_fen": amount_fen, "from_account": source})
    return _refund_view(row)


def _refund_view(r: dict[str, Any]) -> RefundView:
    return RefundView(id=r["id"], refund_id=r["refund_id"], attempt_id=r["attempt_id"],
                      amount_fen=int(r["amount_fen"]), from_account=r["from_account"], refunded_at=r["refunded_at"])


# --- the daily batch -----------------------------------------------------------------------------


async def _alert(*, key: str, kind: str, message: str, tenant_id: uuid.UUID, data: dict[str, Any]) -> None:
    """Tell the operators (outside any tenant scope: alerts open a platform scope)."""
    from pawpay.platform.alerts.services import raise_alert

    await raise_alert(PlatformContext(actor_label="settlement"), key=key, kind=kind, message=message,
                      tenant_id=tenant_id, data=data)


async def _retry_calendar(ctx: TenantContext) -> list[date]:
    """Give calendar-pending items their release date once the calendar covers it; the days still
    unclassifiable are returned (for the alert)."""
    rows = await SettlementItem.raw(
        "SELECT id, collected_on, settlement_days FROM settlement_item "
        "WHERE tenant_id = {} AND status = 'calendar_pending' ORDER BY collected_on FOR UPDATE",
        ctx.tenant_id,
    )
    still: list[date] = []
    for r in rows:
        releasable_on = await _releasable_on(r["collected_on"], int(r["settlement_days"]))
        if releasable_on is None:
            still.append(r["collected_on"])
            continue
        await SettlementItem.update({SettlementItem.releasable_on: releasable_on, SettlementItem.status: "held",
                                     SettlementItem.updated_at: utcnow()}).where(
            (SettlementItem.tenant_id == ctx.tenant_id) & (SettlementItem.id == r["id"]))
    return still


async def run_settlement_batch(ctx: TenantContext, business_day: date) -> SettlementBatchView:
    """Run (or resume) the store's settlement batch for its local ``business_day``.

    One batch per (store, day): a completed batch is returned unchanged. Unresolved provider
    answers (any batch's) are re-asked first with the same release id; then, for a new batch,
    every held item releasable on or before the day gets a line: withheld whole as deposit while
    the deposit is below target, else released through the store's payment provider. Call it
    outside a tenant scope (it opens its own transactions and may alert operators).
    """
    if not isinstance(business_day, date) or isinstance(business_day, datetime):
        raise ValidationFailed("business_day must be a date", field="business_day")
    await _resolve_unresolved(ctx)
    pending_days: list[date] = []
    async with tenant_scope(ctx):
        batch = await _open_batch(ctx, business_day)
        if batch["status"] == "running" and batch["_new"]:
            pending_days = await _retry_calendar(ctx)
            await _plan_lines(ctx, batch, business_day)
    if pending_days:
        await _alert(key=f"settlement.calendar_pending:{ctx.tenant_id}", kind="settlement.calendar_pending",
                     message=f"{len(pending_days)} debit(s) wait for the business calendar: enter the holidays "
                             f"of {sorted({d.year for d in pending_days})} (first collected {min(pending_days)})",
                     tenant_id=ctx.tenant_id, data={"first_collected_on": min(pending_days).isoformat(),
                                                    "count": len(pending_days)})
    if batch["status"] != "completed":
        await _instruct(ctx, batch["id"])
        batch = await _finish(ctx, batch["id"], len(pending_days) if batch["_new"] else None)
    return _batch_view(batch)


async def _open_batch(ctx: TenantContext, business_day: date) -> dict[str, Any]:
    now = utcnow()
    inserted = await SettlementBatch.raw(
        "INSERT INTO settlement_batch (id, tenant_id, business_day, status, item_count, gross_fen, fee_fen, "
        "refund_fen, deposit_fen, release_fen, failed_count, unknown_count, pending_calendar_count, started_at, "
        "completed_at, created_by) VALUES ({}, {}, {}, 'running', 0, 0, 0, 0, 0, 0, 0, 0, 0, {}, NULL, {}) "
        "ON CONFLICT ON CONSTRAINT settlement_batch_uq_tenant_day DO NOTHING RETURNING id",
        uuid.uuid4(), ctx.tenant_id, business_day, now, _actor(ctx),
    )
    rows = await SettlementBatch.raw(
        "SELECT * FROM settlement_batch WHERE tenant_id = {} AND business_day = {} FOR UPDATE",
        ctx.tenant_id, business_day,
    )
    batch = dict(rows[0])
    batch["_new"] = bool(inserted)
    if inserted:
        await record(ctx, "settlement.batch_started", target_type="settlement_batch", target_id=str(batch["id"]),
                     after={"business_day": business_day.isoformat()})
    return batch


async def _plan_lines(ctx: TenantContext, batch: dict[str, Any], business_day: date) -> None:
    items = await SettlementItem.raw(
        "SELECT * FROM settlement_item WHERE tenant_id = {} AND status = 'held' AND releasable_on <= {} "
        "ORDER BY releasable_on, collected_at, id FOR UPDATE",
        ctx.tenant_id, business_day,
    )
    if not items:
        return
    target, balance = await deposits.target_and_balance(ctx)
    owed = await _repayments_owed(ctx, {item["contract_ref"] for item in items})
    store_now = await _store_now(ctx)  # entries are effective on the store's clock (a test clock moves it)
    now = utcnow()
    lines = []
    moved: dict[str, list[uuid.UUID]] = {}
    for item in items:
        net = net_fen(int(item["amount_fen"]), int(item["fee_fen"]), int(item["refunded_fen"]))
        withheld = deposit_rules.withhold(target, balance, net)
        split_ref, split = "", 0
        if not withheld and item["contract_ref"] in owed:
            split_ref, left = owed[item["contract_ref"]]
            split = repayment_split(left, net)
            owed[item["contract_ref"]] = (split_ref, left - split)
            split_ref = split_ref if split else ""
        amounts = line_amounts(int(item["amount_fen"]), int(item["fee_fen"]), int(item["refunded_fen"]), withheld,
                               split)
        rid = release_id(item["id"], business_day)
        if withheld:
            balance += withheld
            status, item_status = "withheld", "deposit_held"
            await ledger.post_entry(ctx, idempotency_key=f"settlement-deposit:{rid}",
                                    description=f"kept as deposit ({item['attempt_id']})",
                                    postings=[(DEPOSIT, withheld), (HELD, -withheld)], effective_at=store_now)
            await deposits.record_withheld(ctx, withheld, reference=item["attempt_id"])
        elif amounts.release_fen == 0 and not split:
            status, item_status = "succeeded", "released"  # fully refunded: nothing left to release
        else:
            status, item_status = "pending", "releasing"
        moved.setdefault(item_status, []).append(item["id"])
        lines.append(SettlementLine(
            id=uuid.uuid4(), tenant_id=ctx.tenant_id, batch_id=batch["id"], item_id=item["id"], release_id=rid,
            attempt_id=item["attempt_id"], contract_ref=item["contract_ref"], collected_on=item["collected_on"],
            releasable_on=item["releasable_on"], gross_fen=amounts.gross_fen, fee_fen=amounts.fee_fen,
            refund_fen=amounts.refund_fen, deposit_fen=amounts.deposit_fen, release_fen=amounts.release_fen,
            split_fen=amounts.split_fen, split_ref=split_ref, status=status, provider_reference="", error_code="",
            error_message="", asks=0, updated_at=now))
    for item_status, ids in moved.items():
        await SettlementItem.raw(
            "UPDATE settlement_item SET status = {}, batch_id = {}, updated_at = {} "
            "WHERE tenant_id = {} AND id = ANY({})",
            item_status, batch["id"], now, ctx.tenant_id, ids)
    for start in range(0, len(lines), CHUNK):
        await SettlementLine.insert(*lines[start:start + CHUNK])


async def _repayments_owed(ctx: TenantContext, contract_refs: set[str]) -> dict[str, tuple[str, int]]:
    """What each contract's advance still owes, less the splits already awaiting the provider."""
    from pawpay.platform.advances.services import repayments_due

    due = await repayments_due(ctx, contract_refs)
    if not due:
        return {}
    rows = await SettlementLine.raw(
        "SELECT split_ref, COALESCE(SUM(split_fen), 0) AS fen FROM settlement_line WHERE tenant_id = {} "
        "AND split_ref = ANY({}) AND status IN ('pending', 'unknown') GROUP BY split_ref",
        ctx.tenant_id, [advance_id for advance_id, _ in due.values()])
    flying = {r["split_ref"]: int(r["fen"]) for r in rows}
    return {ref: (advance_id, left - flying.get(advance_id, 0)) for ref, (advance_id, left) in due.items()
            if left - flying.get(advance_id, 0) > 0}


async def splits_in_flight(ctx: TenantContext, advance_id: str) -> int:
    """The repayment splits of an advance that await the provider's answer (fen)."""
    async with tenant_scope(ctx):
        rows = await SettlementLine.raw(
            "SELECT COALESCE(SUM(split_fen), 0) AS fen FROM settlement_line WHERE tenant_id = {} AND split_ref = {} "
            "AND status IN ('pending', 'unknown')", ctx.tenant_id, advance_id)
    return int(rows[0]["fen"])


async def _resolve_unresolved(ctx: TenantContext) -> None:
    """Re-ask every unresolved release of the store (any batch) with its own release id."""
    async with tenant_scope(ctx):
        rows = await SettlementLine.raw(
            "SELECT batch_id FROM settlement_line WHERE tenant_id = {} AND status IN ('pending', 'unknown') "
            "GROUP BY batch_id", ctx.tenant_id)
    for r in rows:
        await _instruct(ctx, r["batch_id"])
        await _finish(ctx, r["batch_id"], None)


async def _instruct(ctx: TenantContext, batch_id: uuid.UUID) -> None:
    """Send each unresolved line of the batch to the provider (outside any transaction: a
    provider call is never held inside one), then record the answers, ``CHUNK`` lines per
    transaction."""
    from pawpay.platform.providers.services import guarded_provider_for

    async with tenant_scope(ctx):
        lines = await SettlementLine.raw(
            "SELECT * FROM settlement_line WHERE tenant_id = {} AND batch_id = {} AND status IN ('pending', 'unknown') "
            "ORDER BY release_id", ctx.tenant_id, batch_id)
    if not lines:
        return
    provider, pctx = await guarded_provider_for(ctx, "payments")
    partner: tuple[Any, Any] | None = None
    answered: list[tuple[dict[str, Any], ProviderResult]] = []
    for line in lines:
        receivers: tuple[SplitReceiver, ...] = ()
        if int(line["split_fen"]):
            try:
                partner = partner or await guarded_provider_for(ctx, "financing")
                receivers = (await partner[0].repayment_receiver(partner[1], line["split_ref"],
                                                                 int(line["split_fen"])),)
            except Exception:  # the partner cannot be asked now: the line stays pending (same id later)
                log.exception("repayment receiver unavailable", extra={"release_id": line["release_id"]})
                continue
        request = ReleaseRequest(release_id=line["release_id"], attempt_id=line["attempt_id"], receivers=receivers,
                                 release_rest=True)
        answered.append((dict(line), await provider.release_held_funds(pctx, request)))
        if len(answered) == CHUNK:
            await _record_answers(ctx, answered)
            answered = []
    if answered:
        await _record_answers(ctx, answered)


async def _record_answers(ctx: TenantContext, answers: list[tuple[dict[str, Any], ProviderResult]]) -> None:
    """Record provider answers in one transaction: lines and items change, and the released sum
    is posted as one ledger entry, together (a line is answered once: re-checked under lock)."""
    now = utcnow()
    store_now = await _store_now(ctx)
    failures: list[tuple[dict[str, Any], ProviderResult]] = []
    async with tenant_scope(ctx):
        still = {r["id"] for r in await SettlementLine.raw(
            "SELECT id FROM settlement_line WHERE tenant_id = {} AND id = ANY({}) "
            "AND status IN ('pending', 'unknown') FOR UPDATE",
            ctx.tenant_id, [line["id"] for line, _ in answers])}
        rows: list[tuple[uuid.UUID, str, str, str, str]] = []
        item_moves: dict[str, list[uuid.UUID]] = {}
        released: list[dict[str, Any]] = []
        for line, result in answers:
            if line["id"] not in still:
                continue  # answered meanwhile (a concurrent run)
            if result.status is ProviderStatus.SUCCEEDED:
                status = "succeeded"
                released.append(line)
                item_moves.setdefault("released", []).append(line["item_id"])
            elif result.status is ProviderStatus.FAILED:
                status = "failed"  # a later batch asks again, with that day's release id
                item_moves.setdefault("held", []).append(line["item_id"])
                failures.append((line, result))
            elif result.status is ProviderStatus.NOT_SUBMITTED:
                status = "pending"  # never reached the provider: ask again, same id
            else:
                status = "unknown"  # re-asked with the same id before anything else
            rows.append((line["id"], status, (result.provider_reference or "")[:255], (result.error_code or "")[:64],
                         (result.error_message or "")[:2000]))
        if released:
            total = sum(int(line["release_fen"]) for line in released)
            split = sum(int(line["split_fen"]) for line in released)
            ids = sorted(line["release_id"] for line in released)
            digest = hashlib.sha256("\n".join(ids).encode()).hexdigest()[:40]
            postings = [(RELEASED, total), (ADVANCE, split), (HELD, -(total + split))]
            await ledger.post_entry(
                ctx, idempotency_key=f"settlement-release:{digest}",
                description=f"released to the store: {len(ids)} debit(s) "
                            f"({ids[0]}{' ... ' + ids[-1] if len(ids) > 1 else ''})"
                            + (f"; {split} fen split to the financing partner" if split else ""),
                postings=[(c, a) for c, a in postings if a != 0], effective_at=store_now)
            if split:
                from pawpay.platform.advances.services import record_repayments

                await record_repayments(ctx, [(line["split_ref"], int(line["split_fen"]), line["release_id"])
                                              for line in released if int(line["split_fen"])])
        if rows:
            await SettlementLine.raw(
                "UPDATE settlement_line AS l SET status = v.status, provider_reference = v.ref, error_code = v.code, "
                "error_message = v.message, asks = l.asks + 1, updated_at = {} "
                "FROM unnest({}::uuid[], {}::text[], {}::text[], {}::text[], {}::text[]) "
                "AS v(id, status, ref, code, message) WHERE l.tenant_id = {} AND l.id = v.id",
                now, [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], [r[3] for r in rows],
                [r[4] for r in rows], ctx.tenant_id)
        for item_status, item_ids in item_moves.items():
            await SettlementItem.raw(
                "UPDATE settlement_item SET status = {}, updated_at = {} WHERE tenant_id = {} AND id = ANY({})",
                item_status, now, ctx.tenant_id, item_ids)
        if rows:
            await record(ctx, "settlement.releases_answered", target_type="settlement_batch",
                         target_id=str(answers[0][0]["batch_id"]),
                         after={"answers": [{"release_id": line["release_id"], "status": result.status.value,
                                             "error_code": result.error_code}
                                            for line, result in answers if line["id"] in still],
                                "released_fen": sum(int(line["release_fen"]) for line in released)})
    for line, result in failures:
        await _alert(key=f"settlement.release_failed:{ctx.tenant_id}:{line['release_id']}",
                     kind="settlement.release_failed",
                     message=f"the provider refused release {line['release_id']}: {result.error_code}",
                     tenant_id=ctx.tenant_id, data={"release_id": line["release_id"], "attempt_id": line["attempt_id"],
                                                    "error_code": result.error_code or ""})


async def _finish(ctx: TenantContext, batch_id: uuid.UUID, pending_calendar: int | None) -> dict[str, Any]:
    async with tenant_scope(ctx):
        totals = (await SettlementLine.raw(
            "SELECT COUNT(*) AS n, COALESCE(SUM(gross_fen), 0) AS gross, COALESCE(SUM(fee_fen), 0) AS fee, "
            "COALESCE(SUM(refund_fen), 0) AS refund, COALESCE(SUM(deposit_fen), 0) AS deposit, "
            "COALESCE(SUM(release_fen) FILTER (WHERE status = 'succeeded'), 0) AS released, "
            "COUNT(*) FILTER (WHERE status = 'failed') AS failed, "
            "COUNT(*) FILTER (WHERE status IN ('pending', 'unknown')) AS unresolved "
            "FROM settlement_line WHERE tenant_id = {} AND batch_id = {}", ctx.tenant_id, batch_id))[0]
        status = "incomplete" if int(totals["unresolved"]) else "completed"
        changes: dict[Any, Any] = {
            SettlementBatch.status: status, SettlementBatch.item_count: int(totals["n"]),
            SettlementBatch.gross_fen: int(totals["gross"]), SettlementBatch.fee_fen: int(totals["fee"]),
            SettlementBatch.refund_fen: int(totals["refund"]), SettlementBatch.deposit_fen: int(totals["deposit"]),
            SettlementBatch.release_fen: int(totals["released"]), SettlementBatch.failed_count: int(totals["failed"]),
            SettlementBatch.unknown_count: int(totals["unresolved"]),
            SettlementBatch.completed_at: utcnow() if status == "completed" else None,
        }
        if pending_calendar is not None:
            changes[SettlementBatch.pending_calendar_count] = pending_calendar
        await SettlementBatch.update(changes).where(
            (SettlementBatch.tenant_id == ctx.tenant_id) & (SettlementBatch.id == batch_id))
        if status == "completed":
            await record(ctx, "settlement.batch_completed", target_type="settlement_batch", target_id=str(batch_id),
                         after={"items": int(totals["n"]), "released_fen": int(totals["released"]),
                                "deposit_fen": int(totals["deposit"]), "failed": int(totals["failed"])})
        row = await SettlementBatch.select().where(
            (SettlementBatch.tenant_id == ctx.tenant_id) & (SettlementBatch.id == batch_id)).first()
    assert row is not None
    return dict(row)


# --- deposit releases (called by deposits.release_deposit) ---------------------------------------


async def release_withheld(ctx: TenantContext, amount_fen: int, *, reason: str) -> tuple[int, str]:
    """Release whole withheld debits, oldest first, as many as fit in ``amount_fen``; returns the
    amount released and a reference. An unresolved provider answer is re-asked once with the same
    (per-debit) release id; if still unresolved nothing more is done (ask again later: same id)."""
    from pawpay.platform.jobs.services import tenant_now
    from pawpay.platform.providers.services import guarded_provider_for

    async with tenant_scope(ctx):
        rows = await SettlementItem.raw(
            "SELECT * FROM settlement_item WHERE tenant_id = {} AND status = 'deposit_held' "
            "ORDER BY collected_at, id", ctx.tenant_id)
    chosen, total = [], 0
    for r in rows:
        net = net_fen(int(r["amount_fen"]), int(r["fee_fen"]), int(r["refunded_fen"]))
        if net and total + net <= amount_fen:
            chosen.append((dict(r), net))
            total += net
    if not chosen:
        raise DepositReleaseTooSmall("no withheld debit fits in that amount", field="amount_fen")
    provider, pctx = await guarded_provider_for(ctx, "payments")
    released = 0
    references = []
    for item, net in chosen:
        rid = deposit_release_id(item["id"])
        request = ReleaseRequest(release_id=rid, attempt_id=item["attempt_id"], release_rest=True)
        result = await provider.release_held_funds(pctx, request)
        if not result.is_final:
            result = await provider.release_held_funds(pctx, request)
        if result.status is ProviderStatus.FAILED:
            raise ProviderRefused("the provider refused to release the deposit", error_code=result.error_code,
                                  released_fen=released)
        if result.status is not ProviderStatus.SUCCEEDED:
            raise ProviderUnresolved("the provider has not answered; release the deposit again later",
                                     released_fen=released)
        released_at = await tenant_now(ctx)  # the store's clock: the provider's statement day
        async with tenant_scope(ctx):
            await ledger.post_entry(ctx, idempotency_key=f"deposit-release:{rid}",
                                    description=f"deposit released: {reason}"[:2000],
                                    postings=[(RELEASED, net), (DEPOSIT, -net)], effective_at=released_at)
            await SettlementItem.update({SettlementItem.status: "deposit_released",
                                         SettlementItem.updated_at: utcnow()}).where(
                (SettlementItem.tenant_id == ctx.tenant_id) & (SettlementItem.id == item["id"]))
        released += net
        references.append(rid)
    return released, ",".join(references)[:128]


# --- reading -------------------------------------------------------------------------------------


async def list_batches(
    ctx: TenantContext, *, limit: int = 50, offset: int = 0
) -> tuple[list[SettlementBatchView], int]:
    """The store's batches, newest day first."""
    async with tenant_scope(ctx):
        rows = await SettlementBatch.select().where(SettlementBatch.tenant_id == ctx.tenant_id).order_by(
            SettlementBatch.business_day, ascending=False).limit(limit).offset(offset)
        total = await SettlementBatch.count().where(SettlementBatch.tenant_id == ctx.tenant_id)
    return [_batch_view(r) for r in rows], int(total)


async def get_statement(ctx: TenantContext, batch_id: uuid.UUID) -> StatementView:
    """A batch with its lines (another store's batch is NotFound)."""
    async with tenant_scope(ctx):
        batch = await SettlementBatch.select().where(
            (SettlementBatch.tenant_id == ctx.tenant_id) & (SettlementBatch.id == batch_id)).first()
        if batch is None:
            raise NotFound("settlement batch not found")
        lines = await SettlementLine.select().where(
            (SettlementLine.tenant_id == ctx.tenant_id) & (SettlementLine.batch_id == batch_id)).order_by(
            SettlementLine.releasable_on).order_by(SettlementLine.attempt_id)
    return StatementView(batch=_batch_view(batch), lines=[_line_view(r) for r in lines])


async def list_items(ctx: TenantContext, *, status: str | None = None, limit: int = 50,
                     offset: int = 0) -> tuple[list[SettlementItemView], int]:
    async with tenant_scope(ctx):
        where: Any = SettlementItem.tenant_id == ctx.tenant_id
        if status:
            where = where & (SettlementItem.status == status)
        rows = await SettlementItem.select().where(where).order_by(
            SettlementItem.collected_at, ascending=False).limit(limit).offset(offset)
        total = await SettlementItem.count().where(where)
    return [_item_view(r) for r in rows], int(total)


# --- operators -----------------------------------------------------------------------------------


def _as_store(ctx: PlatformContext, tenant_id: uuid.UUID) -> TenantContext:
    return TenantContext(tenant_id=tenant_id, actor_id=ctx.actor_id, actor_label=ctx.actor_label or "operator",
                         request_id=ctx.request_id)


async def stores_with_settlement(ctx: PlatformContext) -> list[uuid.UUID]:
    async with platform_scope("settlement: stores with collected debits", ctx):
        rows = await SettlementItem.raw("SELECT DISTINCT tenant_id FROM settlement_schedule ORDER BY tenant_id")
    return [r["tenant_id"] for r in rows]


@dataclass(frozen=True, slots=True)
class RunOutcome:
    tenant_id: uuid.UUID
    batch: SettlementBatchView | None
    error: str


async def run_all(ctx: PlatformContext, business_day: date) -> list[RunOutcome]:
    """Run (or resume) every store's batch for ``business_day`` (operators' trigger and re-run).
    A store that fails does not stop the others."""
    outcomes = []
    for tenant_id in await stores_with_settlement(ctx):
        try:
            batch = await run_settlement_batch(_as_store(ctx, tenant_id), business_day)
            outcomes.append(RunOutcome(tenant_id, batch, ""))
        except Exception as exc:  # one store's failure is reported, the others still settle
            log.exception("settlement batch failed", extra={"tenant_id": str(tenant_id)})
            outcomes.append(RunOutcome(tenant_id, None, f"{type(exc).__name__}: {exc}"[:500]))
    return outcomes


async def run_store(ctx: PlatformContext, tenant_id: uuid.UUID, business_day: date) -> SettlementBatchView:
    """An operator runs (or resumes) one store's batch."""
    async with platform_scope("settlement: operator runs a store's batch", ctx):
        found = await SettlementItem.raw("SELECT 1 FROM tenant WHERE id = {}", tenant_id)
    if not found:
        raise NotFound("store not found")
    return await run_settlement_batch(_as_store(ctx, tenant_id), business_day)


async def ops_batches(ctx: PlatformContext, *, business_day: date | None = None, limit: int = 50,
                      offset: int = 0) -> tuple[list[SettlementBatchView], int]:
    """Every store's batches (one day, or all), newest day first, with store names."""
    async with platform_scope("settlement: operators list batches", ctx):
        rows = await SettlementBatch.raw(
            "SELECT b.*, t.name AS tenant_name FROM settlement_batch b JOIN tenant t ON t.id = b.tenant_id "
            "WHERE ({}::date IS NULL OR b.business_day = {}::date) "
            "ORDER BY b.business_day DESC, t.name LIMIT {} OFFSET {}",
            business_day, business_day, limit, offset)
        total = await SettlementBatch.raw(
            "SELECT COUNT(*) AS n FROM settlement_batch WHERE ({}::date IS NULL OR business_day = {}::date)",
            business_day, business_day)
    return [_batch_view(r, r["tenant_name"]) for r in rows], int(total[0]["n"])


@dataclass(frozen=True, slots=True)
class DayTotals:
    business_day: date
    stores: int
    items: int
    release_fen: int
    deposit_fen: int
    fee_fen: int
    refund_fen: int
    failed: int
    unresolved: int
    incomplete: int


async def ops_day_totals(ctx: PlatformContext, *, limit: int = 30) -> list[DayTotals]:
    async with platform_scope("settlement: operators' daily totals", ctx):
        rows = await SettlementBatch.raw(
            "SELECT business_day, COUNT(*) AS stores, SUM(item_count) AS items, SUM(release_fen) AS release, "
            "SUM(deposit_fen) AS deposit, SUM(fee_fen) AS fee, SUM(refund_fen) AS refund, "
            "SUM(failed_count) AS failed, SUM(unknown_count) AS unresolved, "
            "COUNT(*) FILTER (WHERE status <> 'completed') AS incomplete "
            "FROM settlement_batch GROUP BY business_day ORDER BY business_day DESC LIMIT {}", limit)
    return [DayTotals(r["business_day"], int(r["stores"]), int(r["items"]), int(r["release"]), int(r["deposit"]),
                      int(r["fee"]), int(r["refund"]), int(r["failed"]), int(r["unresolved"]), int(r["incomplete"]))
            for r in rows]


async def ops_statement(ctx: PlatformContext, tenant_id: uuid.UUID, batch_id: uuid.UUID) -> StatementView:
    async with platform_scope("settlement: operator reads a statement", ctx):
        found = await SettlementItem.raw("SELECT name FROM tenant WHERE id = {}", tenant_id)
    if not found:
        raise NotFound("settlement batch not found")
    view = await get_statement(_as_store(ctx, tenant_id), batch_id)
    return StatementView(batch=_with_name(view.batch, found[0]["name"]), lines=view.lines)


def _with_name(batch: SettlementBatchView, name: str) -> SettlementBatchView:
    from dataclasses import replace

    return replace(batch, tenant_name=name)


# --- the daily job -------------------------------------------------------------------------------


async def run_due_batch(tenant_id: uuid.UUID, schedule_id: uuid.UUID) -> SettlementBatchView | None:
    """The daily job's body for one store: ask the financing partner again about pending advances,
    run the batch of the store-local day (on the store's clock), reconcile the previous day's
    provider statement, then book the next run and clear the lease."""
    from pawpay.platform.jobs.services import tenant_now

    ctx = TenantContext(tenant_id=tenant_id, actor_label="settlement-job")
    now = await tenant_now(ctx)
    time_zone = await _time_zone(ctx)
    batch: SettlementBatchView | None = None
    error = ""
    # Advances still awaiting the financing partner's answer are asked again first, so a paid
    # one is repaid from today's releases already (never raises).
    from pawpay.platform.advances.services import default_ended_contracts, refresh_pending

    await refresh_pending(ctx)
    await default_ended_contracts(ctx)  # an ended contract's advance follows its guarantee policy
    try:
        batch = await run_settlement_batch(ctx, local_date(now, time_zone))
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
        log.exception("daily settlement batch failed", extra={"tenant_id": str(tenant_id)})
    # Then reconcile yesterday's provider statement (never raises).
    from pawpay.platform.reconciliation.services import reconcile_previous_day

    await reconcile_previous_day(ctx, local_date(now, time_zone))
    async with tenant_scope(ctx):
        await SettlementItem.raw(
            "UPDATE settlement_schedule SET next_run_at = {}, lease_until = NULL, last_run_at = {}, last_error = {} "
            "WHERE tenant_id = {} AND id = {}",
            next_daily_run(now, time_zone), utcnow(), error, tenant_id, schedule_id)
    return batch


# --- reconciliation ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MoneyRecord:
    """One money movement pawpay recorded, as the provider's statement should show it."""

    record_type: str  # charge | refund | release | split
    reference: str  # attempt id (charge), refund id, release id (release, split)
    attempt_id: str
    amount_fen: int
    fee_fen: int = 0


async def records_for_day(ctx: TenantContext, day: date) -> list[MoneyRecord]:
    """What pawpay recorded for the store-local ``day``: debits collected that day, refunds made
    that day, releases (and their advance repayment splits) of that day's batch that reached the
    provider, and deposit releases posted that day (the ledger's ``deposit-release:`` entries)."""
    from datetime import time, timedelta
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(await _time_zone(ctx))
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    out: list[MoneyRecord] = []
    async with tenant_scope(ctx):
        for r in await SettlementItem.raw(
                "SELECT attempt_id, amount_fen, fee_fen FROM settlement_item WHERE tenant_id = {} "
                "AND collected_on = {} ORDER BY attempt_id", ctx.tenant_id, day):
            out.append(MoneyRecord("charge", r["attempt_id"], r["attempt_id"], int(r["amount_fen"]),
                                   int(r["fee_fen"])))
        for r in await SettlementRefund.raw(
                "SELECT refund_id, attempt_id, amount_fen FROM settlement_refund WHERE tenant_id = {} "
                "AND refunded_at >= {} AND refunded_at < {} ORDER BY refund_id", ctx.tenant_id, start, end):
            out.append(MoneyRecord("refund", r["refund_id"], r["attempt_id"], int(r["amount_fen"])))
        for r in await SettlementLine.raw(
                "SELECT l.release_id, l.attempt_id, l.release_fen, l.split_fen FROM settlement_line l "
                "JOIN settlement_batch b ON b.tenant_id = l.tenant_id AND b.id = l.batch_id "
                "WHERE l.tenant_id = {} AND b.business_day = {} AND l.status = 'succeeded' AND l.asks > 0 "
                "ORDER BY l.release_id", ctx.tenant_id, day):
            out.append(MoneyRecord("release", r["release_id"], r["attempt_id"], int(r["release_fen"])))
            if int(r["split_fen"]):
                out.append(MoneyRecord("split", r["release_id"], r["attempt_id"], int(r["split_fen"])))
        deposit_items = {deposit_release_id(r["id"]): r["attempt_id"] for r in await SettlementItem.raw(
            "SELECT id, attempt_id FROM settlement_item WHERE tenant_id = {} AND status = 'deposit_released'",
            ctx.tenant_id)}
    offset = 0
    while True:
        page, total = await ledger.entries(ctx, account_code=DEPOSIT, since=start.astimezone(ZoneInfo("UTC")),
                                           until=end.astimezone(ZoneInfo("UTC")), limit=200, offset=offset)
        for entry in page:
            if entry.idempotency_key.startswith("deposit-release:"):
                rid = entry.idempotency_key.removeprefix("deposit-release:")
                amount = sum(p.amount_fen for p in entry.postings if p.amount_fen > 0)
                out.append(MoneyRecord("release", rid, deposit_items.get(rid, ""), amount))
        offset += len(page)
        if not page or offset >= total:
            break
    return out
