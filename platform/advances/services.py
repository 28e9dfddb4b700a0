"""Advances (垫资): on a contract's activation, where the store's terms (the version the contract
pins) allow it, ask the store's financing partner to advance ``ratio x contract total`` to the
store; the contract's later collections are then split to the partner, in the settlement batch's
releases, until principal + fee are repaid. A default follows the guarantee policy.

pawpay lends nothing and holds nothing (ARCHITECTURE §5a): the partner pays the store and is a
split receiver of the held collections. Usage::

    from pawpay.platform.advances import services as advances

    view = await advances.request_advance_for_contract(
        ctx, contract_ref="C-7", total_fen=360_000, terms_version=3, periods=12, first_due_on=date(2026, 10, 5))
    await advances.mark_default(ctx, "C-7", reason="customer vanished")      # or contract_terminated(...)

Ledger entries (store's books):

* ``advance-funded:<advance id>``: advance_received + principal, advance_fee + fee,
  advance_outstanding - (principal + fee).
* repayments are posted by the settlement batch with the released chunk
  (advance_outstanding + split, store_funds_held - split).
* ``advance-default:<advance id>``: advance_outstanding + remainder, and - remainder on the account
  of whoever bears it (``rules.POLICY_ACCOUNTS``).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pawpay.platform.advances import rules
from pawpay.platform.advances.errors import AdvanceMismatch, AdvanceNotAllowed, AdvanceNotOutstanding, SplitInFlight
from pawpay.platform.advances.tables import Advance
from pawpay.platform.audit.services import record
from pawpay.platform.clock import utcnow
from pawpay.platform.errors import NotFound, ValidationFailed
from pawpay.platform.hooks import AdvanceRequest, ProviderResult, ProviderStatus
from pawpay.platform.ledger import services as ledger
from pawpay.platform.tenancy.context import PlatformContext, TenantContext
from pawpay.platform.tenancy.scope import platform_scope, tenant_scope

log = logging.getLogger(__name__)

OUTSTANDING, RECEIVED, FEE = "advance_outstanding", "advance_received", "advance_fee"
MAX_REASON = 1000


@dataclass(frozen=True, slots=True)
class AdvanceView:
    id: uuid.UUID
    tenant_id: uuid.UUID
    advance_id: str
    contract_ref: str
    contract_total_fen: int
    terms_version: int
    ratio_bp: int
    guarantee_policy: str
    provider_name: str
    principal_fen: int
    fee_fen: int
    repaid_fen: int
    defaulted_fen: int
    outstanding_fen: int
    defaulted_by: str
    state: str
    provider_reference: str
    error_code: str
    reason: str
    requested_at: datetime
    funded_at: datetime | None
    closed_at: datetime | None
    tenant_name: str = ""


def _view(r: dict[str, Any], tenant_name: str = "") -> AdvanceView:
    principal, fee, repaid, defaulted = (int(r["principal_fen"]), int(r["fee_fen"]), int(r["repaid_fen"]),
                                         int(r["defaulted_fen"]))
    funded = r["state"] in ("funded", "repaying", "repaid", "defaulted")
    return AdvanceView(
        id=r["id"], tenant_id=r["tenant_id"], advance_id=r["advance_id"], contract_ref=r["contract_ref"],
        contract_total_fen=int(r["contract_total_fen"]), terms_version=int(r["terms_version"]),
        ratio_bp=int(r["ratio_bp"]), guarantee_policy=r["guarantee_policy"], provider_name=r["provider_name"],
        principal_fen=principal, fee_fen=fee, repaid_fen=repaid, defaulted_fen=defaulted,
        outstanding_fen=principal + fee - repaid - defaulted if funded else 0, defaulted_by=r["defaulted_by"],
        state=r["state"], provider_reference=r["provider_reference"], error_code=r["error_code"], reason=r["reason"],
        requested_at=r["requested_at"], funded_at=r["funded_at"], closed_at=r["closed_at"], tenant_name=tenant_name)


async def _row(ctx: TenantContext, contract_ref: str, *, lock: bool = False) -> dict[str, Any] | None:
    rows = await Advance.raw(
        "SELECT * FROM advance WHERE tenant_id = {} AND contract_ref = {}" + (" FOR UPDATE" if lock else ""),
        ctx.tenant_id, contract_ref)
    return dict(rows[0]) if rows else None


def _check_ref(contract_ref: str) -> None:
    if not isinstance(contract_ref, str) or not contract_ref.strip() or len(contract_ref) > 120:
        raise ValidationFailed("contract_ref must be 1 to 120 characters", field="contract_ref")


# --- requesting ----------------------------------------------------------------------------------


async def request_advance_for_contract(
    ctx: TenantContext,
    *,
    contract_ref: str,
    total_fen: int,
    terms_version: int,
    periods: int,
    first_due_on: date,
) -> AdvanceView:
    """Request the contract's advance from the store's financing partner, if the contract's pinned
    terms allow it: principal = ``advance_ratio_bp`` x ``total_fen`` rounded **down** to the fen.
    Idempotent per contract (the partner's key is ``adv-<contract_ref>``): calling again returns
    the advance, asking the partner again while its answer is still open.

    Raises:
        AdvanceNotAllowed: the terms do not allow advances, or the amount is below the minimum.
        AdvanceMismatch: the contract's advance was requested with another amount.
    """
    from pawpay.platform.merchants.services import terms_version as pinned_terms

    _check_ref(contract_ref)
    if type(total_fen) is not int or total_fen <= 0:
        raise ValidationFailed("the contract total must be a positive integer of fen", field="total_fen")
    if type(periods) is not int or periods <= 0:
        raise ValidationFailed("periods must be a positive integer", field="periods")
    terms = await pinned_terms(ctx, terms_version)
    if not terms.advances_allowed:
        raise AdvanceNotAllowed("the store's terms do not allow advances", terms_version=terms_version)
    principal = rules.eligible_fen(total_fen, terms.advance_ratio_bp)
    if principal < rules.MIN_ADVANCE_FEN:
        raise AdvanceNotAllowed("the eligible amount is below the partner's minimum", field="total_fen",
                                eligible_fen=principal)
    async with tenant_scope(ctx):
        row = await _row(ctx, contract_ref, lock=True)
        if row is not None:
            if (int(row["principal_fen"]), int(row["contract_total_fen"])) != (principal, total_fen):
                raise AdvanceMismatch("this contract's advance was requested with other values",
                                      contract_ref=contract_ref)
        else:
            now = utcnow()
            row = {
                "id": uuid.uuid4(), "tenant_id": ctx.tenant_id, "advance_id": rules.advance_id(contract_ref),
                "contract_ref": contract_ref, "contract_total_fen": total_fen, "terms_version": terms_version,
                "ratio_bp": terms.advance_ratio_bp, "guarantee_policy": terms.guarantee_policy,
                "provider_name": terms.financing_provider or "", "principal_fen": principal,
                "fee_fen": rules.fee_fen(principal, terms.advance_fee_bp), "repaid_fen": 0, "defaulted_fen": 0,
                "defaulted_by": "", "state": "requested", "provider_reference": "", "error_code": "", "reason": "",
                "installments_left": periods, "last_installment_on": rules.last_installment_on(first_due_on, periods),
                "requested_at": now, "funded_at": None, "closed_at": None, "updated_at": now}
            await Advance.insert(Advance(**row))
            await record(ctx, "advance.requested", target_type="advance", target_id=str(row["id"]),
                         after={"contract_ref": contract_ref, "principal_fen": principal,
                                "terms_version": terms_version, "ratio_bp": terms.advance_ratio_bp,
                                "policy": terms.guarantee_policy})
    if row["state"] != "requested":
        return _view(row)
    return await _ask_partner(ctx, row)


async def refresh_advance(ctx: TenantContext, contract_ref: str) -> AdvanceView:
    """Ask the partner again about a requested advance (same advance id; never paid twice)."""
    async with tenant_scope(ctx):
        row = await _row(ctx, contract_ref)
    if row is None:
        raise NotFound("advance not found", contract_ref=contract_ref)
    if row["state"] != "requested":
        return _view(row)
    return await _ask_partner(ctx, row)


async def refresh_pending(ctx: TenantContext) -> list[AdvanceView]:
    """Ask the partner again about every advance of the store still ``requested`` (the daily
    settlement job calls it after its batch). Never raises: a failure is logged and retried the next day."""
    async with tenant_scope(ctx):
        rows = await Advance.raw(
            "SELECT contract_ref FROM advance WHERE tenant_id = {} AND state = 'requested' ORDER BY requested_at",
            ctx.tenant_id)
    out = []
    for r in rows:
        try:
            out.append(await refresh_advance(ctx, r["contract_ref"]))
        except Exception:
            log.exception("asking the partner again failed", extra={"tenant_id": str(ctx.tenant_id)})
    return out


async def _ask_partner(ctx: TenantContext, row: dict[str, Any]) -> AdvanceView:
    from pawpay.platform.providers.services import guarded_provider_for

    provider, pctx = await guarded_provider_for(ctx, "financing")
    request = AdvanceRequest(
        advance_id=row["advance_id"], contract_id=row["contract_ref"], amount_fen=int(row["principal_fen"]),
        contract_total_fen=int(row["contract_total_fen"]), installments_left=int(row["installments_left"]),
        last_installment_on=row["last_installment_on"])
    result: ProviderResult = await provider.request_advance(pctx, request)
    return await _apply(ctx, row["contract_ref"], result)


async def _apply(ctx: TenantContext, contract_ref: str, result: ProviderResult) -> AdvanceView:
    """Record the partner's answer: paid (ledger entry), declined, or still open."""
    from pawpay.platform.jobs.services import tenant_now

    store_now = await tenant_now(ctx)  # effective on the store's clock (a test clock moves it)
    async with tenant_scope(ctx):
        row = await _row(ctx, contract_ref, lock=True)
        assert row is not None
        if row["state"] != "requested":
            return _view(row)
        now = utcnow()
        changes: dict[Any, Any] = {Advance.updated_at: now, Advance.error_code: (result.error_code or "")[:64]}
        if result.status is ProviderStatus.SUCCEEDED:
            raw_fee = result.raw.get("fee_fen") if isinstance(result.raw, dict) else None
            fee = int(raw_fee) if type(raw_fee) is int and raw_fee >= 0 else int(row["fee_fen"])
            principal = int(row["principal_fen"])
            await ledger.ensure_accounts(ctx, [OUTSTANDING, RECEIVED, FEE])
            postings = [(RECEIVED, principal), (FEE, fee), (OUTSTANDING, -(principal + fee))]
            await ledger.post_entry(ctx, idempotency_key=f"advance-funded:{row['advance_id']}",
                                    description=f"advance paid by the financing partner ({contract_ref})",
                                    postings=[(c, a) for c, a in postings if a != 0], effective_at=store_now)
            changes.update({Advance.state: "funded", Advance.fee_fen: fee, Advance.funded_at: now,
                            Advance.provider_reference: (result.provider_reference or "")[:255]})
            action = "advance.funded"
        elif result.status is ProviderStatus.FAILED:
            changes.update({Advance.state: "declined", Advance.closed_at: now,
                            Advance.reason: (result.error_message or "")[:MAX_REASON]})
            action = "advance.declined"
        else:
            action = ""
        await Advance.update(changes).where((Advance.tenant_id == ctx.tenant_id) & (Advance.id == row["id"]))
        if action:
            await record(ctx, action, target_type="advance", target_id=str(row["id"]),
                         before={"state": "requested"},
                         after={"state": changes[Advance.state], "error_code": result.error_code,
                                "fee_fen": changes.get(Advance.fee_fen)})
        fresh = await _row(ctx, contract_ref)
    assert fresh is not None
    return _view(fresh)


# --- repayment (called by the settlement batch, inside its transaction) ------------------------


async def repayments_due(ctx: TenantContext, contract_refs: Iterable[str]) -> dict[str, tuple[str, int]]:
    """For the contracts with a funded advance still owing: ``contract_ref -> (advance id, outstanding fen)``
    (principal + fee - repaid - defaulted; in-flight splits are the caller's to subtract)."""
    refs = sorted(set(contract_refs))
    if not refs:
        return {}
    rows = await Advance.raw(
        "SELECT contract_ref, advance_id, principal_fen + fee_fen - repaid_fen - defaulted_fen AS owed "
        "FROM advance WHERE tenant_id = {} AND contract_ref = ANY({}) AND state IN ('funded', 'repaying')",
        ctx.tenant_id, refs)
    return {r["contract_ref"]: (r["advance_id"], int(r["owed"])) for r in rows if int(r["owed"]) > 0}


async def record_repayments(ctx: TenantContext, repayments: Iterable[tuple[str, int, str]]) -> None:
    """Splits the provider confirmed: ``(advance id, amount, release id)``; joins the caller's
    transaction (the settlement batch posts the ledger entry with the released chunk)."""
    totals: dict[str, int] = {}
    releases: dict[str, list[str]] = {}
    for advance_id, amount, release_id in repayments:
        totals[advance_id] = totals.get(advance_id, 0) + amount
        releases.setdefault(advance_id, []).append(release_id)
    now = utcnow()
    for advance_id, amount in sorted(totals.items()):
        rows = await Advance.raw(
            "UPDATE advance SET repaid_fen = repaid_fen + {}, updated_at = {}, "
            "state = CASE WHEN repaid_fen + {} + defaulted_fen >= principal_fen + fee_fen THEN 'repaid' "
            "ELSE 'repaying' END, closed_at = CASE WHEN repaid_fen + {} + defaulted_fen >= principal_fen + fee_fen "
            "THEN {}::timestamptz ELSE NULL END "
            "WHERE tenant_id = {} AND advance_id = {} AND state IN ('funded', 'repaying') "
            "RETURNING id, state, repaid_fen",
            amount, now, amount, amount, now, ctx.tenant_id, advance_id)
        if not rows:
            log.error("repayment for an advance that is not outstanding", extra={"advance_id": advance_id})
            continue
        await record(ctx, "advance.repaid" if rows[0]["state"] == "repaid" else "advance.repayment",
                     target_type="advance", target_id=str(rows[0]["id"]),
                     after={"amount_fen": amount, "repaid_fen": int(rows[0]["repaid_fen"]),
                            "release_ids": releases[advance_id][:20]})


# --- default --------------------------------------------------------------------------------------


async def mark_default(ctx: TenantContext, contract_ref: str, *, reason: str) -> AdvanceView:
    """The advance will not be repaid from the contract's collections (operator decision, or the
    contract was terminated): what remains moves from ``advance_outstanding`` to whoever bears it
    under the guarantee policy pinned with the advance. Audited.

    Raises:
        AdvanceNotOutstanding: not funded, or nothing left to repay.
        SplitInFlight: a repayment split awaits the provider's answer (retry after the next batch).
    """
    from pawpay.platform.jobs.services import tenant_now
    from pawpay.platform.settlement.services import splits_in_flight

    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("a reason is required", field="reason")
    if len(reason) > MAX_REASON:
        raise ValidationFailed("the reason is too long", field="reason")
    async with tenant_scope(ctx):
        row = await _row(ctx, contract_ref, lock=True)
        if row is None:
            raise NotFound("advance not found", contract_ref=contract_ref)
        remaining = (int(row["principal_fen"]) + int(row["fee_fen"]) - int(row["repaid_fen"])
                     - int(row["defaulted_fen"]))
        if row["state"] not in rules.OUTSTANDING_STATES or remaining <= 0:
            raise AdvanceNotOutstanding("only a funded advance with something left to repay can default",
                                        state=row["state"])
        if await splits_in_flight(ctx, row["advance_id"]):
            raise SplitInFlight("a repayment split awaits the provider's answer; retry after the next batch")
        bearer = rules.POLICY_ACCOUNTS[row["guarantee_policy"]]
        await ledger.ensure_accounts(ctx, [OUTSTANDING, bearer])
        await ledger.post_entry(ctx, idempotency_key=f"advance-default:{row['advance_id']}",
                                description=f"advance defaulted ({contract_ref}), borne per {row['guarantee_policy']}",
                                postings=[(OUTSTANDING, remaining), (bearer, -remaining)],
                                effective_at=await tenant_now(ctx))
        now = utcnow()
        await Advance.update({
            Advance.state: "defaulted", Advance.defaulted_fen: remaining, Advance.defaulted_by: row["guarantee_policy"],
            Advance.reason: reason, Advance.closed_at: now, Advance.updated_at: now,
        }).where((Advance.tenant_id == ctx.tenant_id) & (Advance.id == row["id"]))
        await record(ctx, "advance.defaulted", target_type="advance", target_id=str(row["id"]),
                     before={"state": row["state"], "repaid_fen": int(row["repaid_fen"])},
                     after={"state": "defaulted", "defaulted_fen": remaining, "borne_by": row["guarantee_policy"],
                            "reason": reason})
        fresh = await _row(ctx, contract_ref)
    assert fresh is not None
    return _view(fresh)


async def contract_terminated(ctx: TenantContext, contract_ref: str, *, reason: str) -> AdvanceView | None:
    """A terminated contract with principal outstanding defaults its advance (contracts call this);
    nothing to do without an outstanding advance."""
    async with tenant_scope(ctx):
        row = await _row(ctx, contract_ref)
    if row is None or row["state"] not in rules.OUTSTANDING_STATES:
        return None
    return await mark_default(ctx, contract_ref, reason=f"contract terminated: {reason}"[:MAX_REASON])


ENDED_KEYS = ("contract-terminated:", "contract-cancelled:")


async def default_ended_contracts(ctx: TenantContext) -> list[AdvanceView]:
    """Default every outstanding advance whose contract ended early: the contracts domain posts
    ``contract-terminated:<contract>`` (termination) or ``contract-cancelled:<contract>``
    (cooling-off cancellation) on the contract's receivable, so no later debit will repay it.
    The daily settlement job calls it; never raises."""
    async with tenant_scope(ctx):
        rows = await Advance.raw(
            "SELECT contract_ref FROM advance WHERE tenant_id = {} AND state IN ('funded', 'repaying') "
            "ORDER BY requested_at", ctx.tenant_id)
    out = []
    for r in rows:
        ref = r["contract_ref"]
        try:
            page, _ = await ledger.entries(ctx, account_code=f"customer_receivable:{ref}", limit=200)
            ended = [e for e in page if e.idempotency_key in {f"{k}{ref}" for k in ENDED_KEYS}]
            if ended:
                why = "terminated" if ended[0].idempotency_key.startswith("contract-terminated:") else "cancelled"
                done = await contract_terminated(ctx, ref, reason=f"the contract was {why}")
                if done is not None:
                    out.append(done)
        except SplitInFlight:
            continue  # a split awaits the provider's answer: the next day's job tries again
        except Exception:
            log.exception("defaulting an ended contract's advance failed", extra={"tenant_id": str(ctx.tenant_id)})
    return out


# --- reading --------------------------------------------------------------------------------------


async def get_advance(ctx: TenantContext, contract_ref: str) -> AdvanceView:
    async with tenant_scope(ctx):
        row = await _row(ctx, contract_ref)
    if row is None:
        raise NotFound("advance not found", contract_ref=contract_ref)
    return _view(row)


async def list_advances(ctx: TenantContext, *, state: str | None = None, limit: int = 50,
                        offset: int = 0) -> tuple[list[AdvanceView], int]:
    """The store's advances, newest first."""
    async with tenant_scope(ctx):
        where: Any = Advance.tenant_id == ctx.tenant_id
        if state:
            where = where & (Advance.state == state)
        rows = await Advance.select().where(where).order_by(Advance.requested_at, ascending=False).limit(
            limit).offset(offset)
        total = await Advance.count().where(where)
    return [_view(r) for r in rows], int(total)


@dataclass(frozen=True, slots=True)
class AdvanceTotals:
    tenant_id: uuid.UUID
    tenant_name: str
    count: int
    funded_count: int
    principal_fen: int
    fee_fen: int
    repaid_fen: int
    outstanding_fen: int
    defaulted_fen: int


_TOTALS_SQL = (
    "SELECT a.tenant_id, COALESCE(t.name, '') AS tenant_name, COUNT(*) AS n, "
    "COUNT(*) FILTER (WHERE state IN ('funded', 'repaying', 'repaid', 'defaulted')) AS funded, "
    "COALESCE(SUM(principal_fen) FILTER (WHERE state IN ('funded', 'repaying', 'repaid', 'defaulted')), 0) AS p, "
    "COALESCE(SUM(fee_fen) FILTER (WHERE state IN ('funded', 'repaying', 'repaid', 'defaulted')), 0) AS f, "
    "COALESCE(SUM(repaid_fen), 0) AS r, COALESCE(SUM(defaulted_fen), 0) AS d, "
    "COALESCE(SUM(principal_fen + fee_fen - repaid_fen - defaulted_fen) "
    "FILTER (WHERE state IN ('funded', 'repaying')), 0) AS o "
    "FROM advance a LEFT JOIN tenant t ON t.id = a.tenant_id ")


def _totals(r: dict[str, Any]) -> AdvanceTotals:
    return AdvanceTotals(r["tenant_id"], r["tenant_name"], int(r["n"]), int(r["funded"]), int(r["p"]), int(r["f"]),
                         int(r["r"]), int(r["o"]), int(r["d"]))


async def store_totals(ctx: TenantContext) -> AdvanceTotals:
    async with tenant_scope(ctx):
        rows = await Advance.raw(_TOTALS_SQL + "WHERE a.tenant_id = {} GROUP BY a.tenant_id, t.name", ctx.tenant_id)
    if not rows:
        return AdvanceTotals(ctx.tenant_id, "", 0, 0, 0, 0, 0, 0, 0)
    return _totals(rows[0])


async def ops_totals(ctx: PlatformContext) -> list[AdvanceTotals]:
    """Every store's advances in sums (operators)."""
    async with platform_scope("advances: operators' totals per store", ctx):
        rows = await Advance.raw(_TOTALS_SQL + "GROUP BY a.tenant_id, t.name ORDER BY t.name")
    return [_totals(r) for r in rows]


async def ops_advances(ctx: PlatformContext, *, tenant_id: uuid.UUID | None = None, state: str | None = None,
                       limit: int = 50, offset: int = 0) -> tuple[list[AdvanceView], int]:
    """Every store's advances (or one store's), newest first, with store names."""
    async with platform_scope("advances: operators list advances", ctx):
        rows = await Advance.raw(
            "SELECT a.*, t.name AS tenant_name FROM advance a JOIN tenant t ON t.id = a.tenant_id "
            "WHERE ({}::uuid IS NULL OR a.tenant_id = {}::uuid) AND ({}::text IS NULL OR a.state = {}::text) "
            "ORDER BY a.requested_at DESC LIMIT {} OFFSET {}", tenant_id, tenant_id, state, state, limit, offset)
        total = await Advance.raw(
            "SELECT COUNT(*) AS n FROM advance WHERE ({}::uuid IS NULL OR tenant_id = {}::uuid) "
            "AND ({}::text IS NULL OR state = {}::text)", tenant_id, tenant_id, state, state)
    return [_view(r, r["tenant_name"]) for r in rows], int(total[0]["n"])


def as_store(ctx: PlatformContext, tenant_id: uuid.UUID) -> TenantContext:
    return TenantContext(tenant_id=tenant_id, actor_id=ctx.actor_id, actor_label=ctx.actor_label or "operator",
                         request_id=ctx.request_id)


async def ops_mark_default(ctx: PlatformContext, tenant_id: uuid.UUID, contract_ref: str, *,
                           reason: str) -> AdvanceView:
    """An operator marks a store's advance defaulted (with a reason)."""
    return await mark_default(as_store(ctx, tenant_id), contract_ref, reason=reason)


# --- the contract-signed hook ---------------------------------------------------------------------


async def on_contract_signed(tenant_id: uuid.UUID, contract_ref: str, total_fen: int, terms_version: int,
                             periods: int, first_due_on: date) -> AdvanceView | None:
    """The hook's work: request the advance where the terms allow it (a refusal by the terms is normal)."""
    ctx = TenantContext(tenant_id=tenant_id, actor_label="advances")
    try:
        return await request_advance_for_contract(ctx, contract_ref=contract_ref, total_fen=total_fen,
                                                  terms_version=terms_version, periods=periods,
                                                  first_due_on=first_due_on)
    except AdvanceNotAllowed:
        return None
    except Exception:
        log.exception("advance request after signing failed", extra={"tenant_id": str(tenant_id)})
        return None
