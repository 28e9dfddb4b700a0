"""Daily reconciliation: download each store's payment provider statement for a store-local day,
match every line against pawpay's records (settlement's collected debits, refunds, releases and
advance repayment splits, the ledger's deposit releases) and keep the differences as items an
operator resolves with a reason (audited).

    from pawpay.platform.reconciliation import services as reconciliation

    run = await reconciliation.reconcile_day(ctx, date(2026, 10, 9))     # re-running updates the same run
    diffs, total = await reconciliation.ops_differences(pctx, open_only=True)
    await reconciliation.resolve_difference(pctx, diffs[0].id, reason="bank corrected the statement")

The daily job: the store's daily settlement job reconciles the previous store-local day after its
batch (see ``settlement.run_due_batch``), on the store's clock.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pawpay.platform.audit.services import record
from pawpay.platform.clock import utcnow
from pawpay.platform.errors import NotFound, ValidationFailed
from pawpay.platform.reconciliation.errors import AlreadyResolved
from pawpay.platform.reconciliation.rules import Difference, match, parse_statement
from pawpay.platform.reconciliation.tables import ReconDifference, ReconRun
from pawpay.platform.tenancy.context import PlatformContext, TenantContext
from pawpay.platform.tenancy.scope import platform_scope, tenant_scope

log = logging.getLogger(__name__)
MAX_REASON = 1000


@dataclass(frozen=True, slots=True)
class ReconRunView:
    id: uuid.UUID
    tenant_id: uuid.UUID
    business_day: date
    status: str
    provider_name: str
    statement_lines: int
    ledger_records: int
    matched: int
    differences: int
    open_differences: int
    statement_sha256: str
    error: str
    runs: int
    ran_at: datetime
    ran_by: str
    tenant_name: str = ""


@dataclass(frozen=True, slots=True)
class DifferenceView:
    id: uuid.UUID
    tenant_id: uuid.UUID
    run_id: uuid.UUID
    business_day: date
    kind: str
    record_type: str
    reference: str
    attempt_id: str
    provider_fen: int | None
    ledger_fen: int | None
    status: str
    resolution: str
    resolved_by: str
    resolved_at: datetime | None
    found_at: datetime
    tenant_name: str = ""


def _run_view(r: dict[str, Any], name: str = "") -> ReconRunView:
    return ReconRunView(
        id=r["id"], tenant_id=r["tenant_id"], business_day=r["business_day"], status=r["status"],
        provider_name=r["provider_name"], statement_lines=int(r["statement_lines"]),
        ledger_records=int(r["ledger_records"]), matched=int(r["matched"]), differences=int(r["differences"]),
        open_differences=int(r["open_differences"]), statement_sha256=r["statement_sha256"], error=r["error"],
        runs=int(r["runs"]), ran_at=r["ran_at"], ran_by=r["ran_by"], tenant_name=name)


def _diff_view(r: dict[str, Any], name: str = "") -> DifferenceView:
    return DifferenceView(
        id=r["id"], tenant_id=r["tenant_id"], run_id=r["run_id"], business_day=r["business_day"], kind=r["kind"],
        record_type=r["record_type"], reference=r["reference"], attempt_id=r["attempt_id"],
        provider_fen=None if r["provider_fen"] is None else int(r["provider_fen"]),
        ledger_fen=None if r["ledger_fen"] is None else int(r["ledger_fen"]), status=r["status"],
        resolution=r["resolution"], resolved_by=r["resolved_by"], resolved_at=r["resolved_at"],
        found_at=r["found_at"], tenant_name=name)


def _actor(ctx: TenantContext | PlatformContext) -> str:
    return (ctx.actor_label or (str(ctx.actor_id) if ctx.actor_id else "reconciliation"))[:255]


# --- running -------------------------------------------------------------------------------------


async def reconcile_day(ctx: TenantContext, day: date) -> ReconRunView:
    """Reconcile the store's provider statement of the store-local ``day`` with pawpay's records.

    One run per (store, day): running again re-downloads and re-matches; differences found again
    keep their state (a resolved one stays resolved), ones no longer found are resolved as such.
    A statement that cannot be downloaded or parsed gives a ``failed`` run (nothing guessed).
    Call it outside a transaction (the provider is called first)."""
    from pawpay.platform.providers.services import guarded_provider_for
    from pawpay.platform.settlement.services import records_for_day

    if not isinstance(day, date) or isinstance(day, datetime):
        raise ValidationFailed("day must be a date", field="day")
    provider_name, error, body = "", "", b""
    lines: list[Any] = []
    try:
        provider, pctx = await guarded_provider_for(ctx, "payments")
        provider_name = provider.provider_name
        body = await provider.download_statement(pctx, day)
        lines = parse_statement(body)
    except Exception as exc:  # a failed download or an unreadable statement is a failed run, not a crash
        error = f"{type(exc).__name__}: {exc}"[:1000]
        log.warning("statement download failed", extra={"tenant_id": str(ctx.tenant_id), "day": day.isoformat()})
    records = await records_for_day(ctx, day)
    matched, differences = (0, []) if error else match(
        lines, [(r.record_type, r.reference, r.attempt_id, r.amount_fen, r.fee_fen) for r in records])
    return await _store_run(ctx, day, provider_name=provider_name, error=error, body=body, lines=len(lines),
                            records=len(records), matched=matched, differences=differences)


async def _store_run(ctx: TenantContext, day: date, *, provider_name: str, error: str, body: bytes, lines: int,
                     records: int, matched: int, differences: list[Difference]) -> ReconRunView:
    now = utcnow()
    status = "failed" if error else ("differences" if differences else "clean")
    async with tenant_scope(ctx):
        rows = await ReconRun.raw(
            "INSERT INTO recon_run (id, tenant_id, business_day, status, provider_name, statement_lines, "
            "ledger_records, matched, differences, open_differences, statement_sha256, error, runs, ran_at, ran_by) "
            "VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, 0, {}, {}, 1, {}, {}) "
            "ON CONFLICT ON CONSTRAINT recon_run_uq_tenant_day DO UPDATE SET status = EXCLUDED.status, "
            "provider_name = EXCLUDED.provider_name, statement_lines = EXCLUDED.statement_lines, "
            "ledger_records = EXCLUDED.ledger_records, matched = EXCLUDED.matched, "
            "differences = EXCLUDED.differences, statement_sha256 = EXCLUDED.statement_sha256, "
            "error = EXCLUDED.error, runs = recon_run.runs + 1, ran_at = EXCLUDED.ran_at, ran_by = EXCLUDED.ran_by "
            "RETURNING id",
            uuid.uuid4(), ctx.tenant_id, day, status, provider_name[:64], lines, records, matched, len(differences),
            hashlib.sha256(body).hexdigest() if body else "", error, now, _actor(ctx))
        run_id = rows[0]["id"]
        if not error:
            found = [(d.record_type, d.reference, d.kind) for d in differences]
            for d in differences:
                await ReconDifference.raw(
                    "INSERT INTO recon_difference (id, tenant_id, run_id, business_day, kind, record_type, reference, "
                    "attempt_id, provider_fen, ledger_fen, status, resolution, resolved_by, resolved_at, found_at) "
                    "VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, 'open', '', '', NULL, {}) "
                    "ON CONFLICT ON CONSTRAINT recon_difference_uq_tenant_day_ref DO UPDATE SET "
                    "provider_fen = EXCLUDED.provider_fen, ledger_fen = EXCLUDED.ledger_fen, run_id = EXCLUDED.run_id",
                    uuid.uuid4(), ctx.tenant_id, run_id, day, d.kind, d.record_type, d.reference[:128],
                    d.attempt_id[:128], d.provider_fen, d.ledger_fen, now)
            gone = [r for r in await ReconDifference.raw(
                "SELECT id, record_type, reference, kind FROM recon_difference WHERE tenant_id = {} "
                "AND business_day = {} AND status = 'open'", ctx.tenant_id, day)
                if (r["record_type"], r["reference"], r["kind"]) not in found]
            if gone:
                await ReconDifference.raw(
                    "UPDATE recon_difference SET status = 'resolved', resolution = 'no longer found when re-run', "
                    "resolved_by = {}, resolved_at = {} WHERE tenant_id = {} AND id = ANY({})",
                    _actor(ctx), now, ctx.tenant_id, [r["id"] for r in gone])
        await _refresh_open(ctx, run_id)
        await record(ctx, "reconciliation.run", target_type="recon_run", target_id=str(run_id),
                     after={"business_day": day.isoformat(), "status": status, "statement_lines": lines,
                            "matched": matched, "differences": len(differences), "error": error[:200]})
        row = await ReconRun.select().where((ReconRun.tenant_id == ctx.tenant_id) & (ReconRun.id == run_id)).first()
    assert row is not None
    return _run_view(row)


async def _refresh_open(ctx: TenantContext, run_id: uuid.UUID) -> None:
    await ReconRun.raw(
        "UPDATE recon_run r SET open_differences = (SELECT COUNT(*) FROM recon_difference d WHERE "
        "d.tenant_id = r.tenant_id AND d.business_day = r.business_day AND d.status = 'open') "
        "WHERE r.tenant_id = {} AND r.id = {}", ctx.tenant_id, run_id)


def _as_store(ctx: PlatformContext, tenant_id: uuid.UUID) -> TenantContext:
    return TenantContext(tenant_id=tenant_id, actor_id=ctx.actor_id, actor_label=ctx.actor_label or "operator",
                         request_id=ctx.request_id)


@dataclass(frozen=True, slots=True)
class RunOutcome:
    tenant_id: uuid.UUID
    run: ReconRunView | None
    error: str


async def run_all(ctx: PlatformContext, day: date) -> list[RunOutcome]:
    """Reconcile ``day`` for every store with settlement activity (operators); one store's
    failure does not stop the others."""
    from pawpay.platform.settlement.services import stores_with_settlement

    outcomes = []
    for tenant_id in await stores_with_settlement(ctx):
        try:
            outcomes.append(RunOutcome(tenant_id, await reconcile_day(_as_store(ctx, tenant_id), day), ""))
        except Exception as exc:
            log.exception("reconciliation failed", extra={"tenant_id": str(tenant_id)})
            outcomes.append(RunOutcome(tenant_id, None, f"{type(exc).__name__}: {exc}"[:500]))
    return outcomes


async def run_store(ctx: PlatformContext, tenant_id: uuid.UUID, day: date) -> ReconRunView:
    async with platform_scope("reconciliation: operator runs a store's day", ctx):
        found = await ReconRun.raw("SELECT 1 FROM tenant WHERE id = {}", tenant_id)
    if not found:
        raise NotFound("store not found")
    return await reconcile_day(_as_store(ctx, tenant_id), day)


# --- resolving -----------------------------------------------------------------------------------


async def resolve_difference(ctx: PlatformContext, difference_id: uuid.UUID, *, reason: str) -> DifferenceView:
    """An operator resolves a difference with a reason (audited). 409 if resolved before."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("a reason is required", field="reason")
    if len(reason) > MAX_REASON:
        raise ValidationFailed("the reason is too long", field="reason")
    async with platform_scope("reconciliation: operator resolves a difference", ctx):
        rows = await ReconDifference.raw("SELECT * FROM recon_difference WHERE id = {} FOR UPDATE", difference_id)
        if not rows:
            raise NotFound("difference not found")
        row = dict(rows[0])
        if row["status"] != "open":
            raise AlreadyResolved("this difference was resolved before", resolved_by=row["resolved_by"])
        now = utcnow()
        await ReconDifference.raw(
            "UPDATE recon_difference SET status = 'resolved', resolution = {}, resolved_by = {}, resolved_at = {} "
            "WHERE tenant_id = {} AND id = {}", reason, _actor(ctx), now, row["tenant_id"], difference_id)
        await ReconRun.raw(
            "UPDATE recon_run r SET open_differences = (SELECT COUNT(*) FROM recon_difference d WHERE "
            "d.tenant_id = r.tenant_id AND d.business_day = r.business_day AND d.status = 'open') "
            "WHERE r.tenant_id = {} AND r.business_day = {}", row["tenant_id"], row["business_day"])
        await record(ctx, "reconciliation.difference_resolved", target_type="recon_difference",
                     target_id=str(difference_id), tenant_id=row["tenant_id"],
                     before={"status": "open"}, after={"status": "resolved", "reason": reason, "kind": row["kind"],
                                                       "reference": row["reference"]})
        fresh = await ReconDifference.raw("SELECT * FROM recon_difference WHERE id = {}", difference_id)
    return _diff_view(dict(fresh[0]))


# --- reading -------------------------------------------------------------------------------------


async def store_runs(ctx: TenantContext, *, limit: int = 50, offset: int = 0) -> tuple[list[ReconRunView], int]:
    async with tenant_scope(ctx):
        rows = await ReconRun.select().where(ReconRun.tenant_id == ctx.tenant_id).order_by(
            ReconRun.business_day, ascending=False).limit(limit).offset(offset)
        total = await ReconRun.count().where(ReconRun.tenant_id == ctx.tenant_id)
    return [_run_view(r) for r in rows], int(total)


async def store_differences(ctx: TenantContext, day: date | None = None) -> list[DifferenceView]:
    async with tenant_scope(ctx):
        where: Any = ReconDifference.tenant_id == ctx.tenant_id
        if day is not None:
            where = where & (ReconDifference.business_day == day)
        rows = await ReconDifference.select().where(where).order_by(ReconDifference.business_day).order_by(
            ReconDifference.reference)
    return [_diff_view(r) for r in rows]


async def ops_runs(ctx: PlatformContext, *, day: date | None = None, tenant_id: uuid.UUID | None = None,
                   limit: int = 50, offset: int = 0) -> tuple[list[ReconRunView], int]:
    """Every store's runs (filter by day and/or store), newest day first, with store names."""
    async with platform_scope("reconciliation: operators list runs", ctx):
        rows = await ReconRun.raw(
            "SELECT r.*, t.name AS tenant_name FROM recon_run r JOIN tenant t ON t.id = r.tenant_id "
            "WHERE ({}::date IS NULL OR r.business_day = {}::date) AND ({}::uuid IS NULL OR r.tenant_id = {}::uuid) "
            "ORDER BY r.business_day DESC, t.name LIMIT {} OFFSET {}", day, day, tenant_id, tenant_id, limit, offset)
        total = await ReconRun.raw(
            "SELECT COUNT(*) AS n FROM recon_run WHERE ({}::date IS NULL OR business_day = {}::date) "
            "AND ({}::uuid IS NULL OR tenant_id = {}::uuid)", day, day, tenant_id, tenant_id)
    return [_run_view(r, r["tenant_name"]) for r in rows], int(total[0]["n"])


async def ops_differences(ctx: PlatformContext, *, open_only: bool = True, day: date | None = None,
                          tenant_id: uuid.UUID | None = None, limit: int = 50,
                          offset: int = 0) -> tuple[list[DifferenceView], int]:
    """Differences of every store (open ones by default), oldest day first."""
    async with platform_scope("reconciliation: operators list differences", ctx):
        where = ("({}::bool = false OR d.status = 'open') AND ({}::date IS NULL OR d.business_day = {}::date) "
                 "AND ({}::uuid IS NULL OR d.tenant_id = {}::uuid)")
        args = [open_only, day, day, tenant_id, tenant_id]
        rows = await ReconDifference.raw(
            "SELECT d.*, t.name AS tenant_name FROM recon_difference d JOIN tenant t ON t.id = d.tenant_id "
            f"WHERE {where} ORDER BY d.business_day, t.name, d.reference LIMIT {{}} OFFSET {{}}",
            *args, limit, offset)
        total = await ReconDifference.raw(f"SELECT COUNT(*) AS n FROM recon_difference d WHERE {where}", *args)
    return [_diff_view(r, r["tenant_name"]) for r in rows], int(total[0]["n"])


# --- the daily job -------------------------------------------------------------------------------


async def reconcile_previous_day(ctx: TenantContext, today: date) -> ReconRunView | None:
    """The daily job's step (called by the store's daily settlement job after its batch, on the
    store's clock): reconcile yesterday. Never raises (a failure is logged; re-run from /ops)."""
    from datetime import timedelta

    try:
        return await reconcile_day(ctx, today - timedelta(days=1))
    except Exception:
        log.exception("daily reconciliation failed", extra={"tenant_id": str(ctx.tenant_id)})
        return None
