"""Each store's deposit (履约保证金): a target of ``deposit_ratio_bp`` x its monthly fulfilment
amount, built by withholding whole held debits in the settlement batch, released only by rule.

The money never leaves the store's account at the provider: withheld debits simply stay held
(ARCHITECTURE §5a). The ledger's ``deposit_held`` account is the balance; this module keeps the
target and the history.

    from pawpay.platform.deposits import services as deposits

    await deposits.set_monthly_fulfilment(ctx, 1_000_000_00, reason="contract C-1 signed")
    kept = await deposits.withholding(ctx, available_fen=29_000)   # 29_000 or 0
    await deposits.release_deposit(ctx, 50_000, rule="operator_decision", reason="...")
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pawpay.platform.audit.services import record
from pawpay.platform.clock import utcnow
from pawpay.platform.deposits.errors import DepositInsufficient
from pawpay.platform.deposits.rules import check_amount, check_reason, check_rule, target_fen, withhold
from pawpay.platform.deposits.tables import DepositAccount, DepositEvent
from pawpay.platform.errors import NotFound
from pawpay.platform.ledger import services as ledger
from pawpay.platform.tenancy.context import PlatformContext, TenantContext
from pawpay.platform.tenancy.scope import platform_scope, tenant_scope

DEPOSIT_ACCOUNT = "deposit_held"


@dataclass(frozen=True, slots=True)
class DepositView:
    tenant_id: uuid.UUID
    monthly_fulfilment_fen: int
    ratio_bp: int
    target_fen: int
    balance_fen: int
    shortfall_fen: int
    updated_at: datetime | None


@dataclass(frozen=True, slots=True)
class DepositEventView:
    id: uuid.UUID
    kind: str
    amount_fen: int
    target_fen: int
    monthly_fulfilment_fen: int
    ratio_bp: int
    rule: str
    reason: str
    reference: str
    actor: str
    created_at: datetime


def _actor(ctx: TenantContext | PlatformContext) -> str:
    return (ctx.actor_label or (str(ctx.actor_id) if ctx.actor_id else ""))[:255]


def _event_view(row: dict[str, Any]) -> DepositEventView:
    return DepositEventView(id=row["id"], kind=row["kind"], amount_fen=int(row["amount_fen"]),
                            target_fen=int(row["target_fen"]),
                            monthly_fulfilment_fen=int(row["monthly_fulfilment_fen"]),
                            ratio_bp=int(row["ratio_bp"]), rule=row["rule"], reason=row["reason"],
                            reference=row["reference"], actor=row["actor"], created_at=row["created_at"])


async def _balance(ctx: TenantContext) -> int:
    await ledger.ensure_accounts(ctx, [DEPOSIT_ACCOUNT])
    return await ledger.balance(ctx, DEPOSIT_ACCOUNT)


async def _account(ctx: TenantContext) -> dict[str, Any] | None:
    row: dict[str, Any] | None = await DepositAccount.select().where(DepositAccount.tenant_id == ctx.tenant_id).first()
    return row


async def get_deposit(ctx: TenantContext) -> DepositView:
    """The store's deposit: target, balance (the ledger's ``deposit_held``) and shortfall."""
    async with tenant_scope(ctx):
        row = await _account(ctx)
        balance = await _balance(ctx)
    target = int(row["target_fen"]) if row else 0
    return DepositView(tenant_id=ctx.tenant_id, monthly_fulfilment_fen=int(row["monthly_fulfilment_fen"]) if row else 0,
                       ratio_bp=int(row["ratio_bp"]) if row else 0, target_fen=target, balance_fen=balance,
                       shortfall_fen=max(0, target - balance), updated_at=row["updated_at"] if row else None)


async def set_monthly_fulfilment(ctx: TenantContext, amount_fen: int, *, reason: str) -> DepositView:
    """Record the store's monthly fulfilment amount (the contracts domain calls it as contracts
    change) and recompute the target with the store's current ``deposit_ratio_bp``. Audited; the
    history keeps every change."""
    from pawpay.platform.merchants.services import current_terms

    amount = check_amount(amount_fen, allow_zero=True)
    why = check_reason(reason)
    ratio = int((await current_terms(ctx)).deposit_ratio_bp)
    target = target_fen(amount, ratio)
    now = utcnow()
    async with tenant_scope(ctx):
        before = await _account(ctx)
        await DepositAccount.raw(
            "INSERT INTO deposit_account (id, tenant_id, monthly_fulfilment_fen, ratio_bp, target_fen, updated_at) "
            "VALUES ({}, {}, {}, {}, {}, {}) ON CONFLICT ON CONSTRAINT deposit_account_uq_tenant DO UPDATE SET "
            "monthly_fulfilment_fen = EXCLUDED.monthly_fulfilment_fen, ratio_bp = EXCLUDED.ratio_bp, "
            "target_fen = EXCLUDED.target_fen, updated_at = EXCLUDED.updated_at",
            uuid.uuid4(), ctx.tenant_id, amount, ratio, target, now,
        )
        await _event(ctx, "target_changed", 0, target=target, monthly=amount, ratio=ratio, reason=why)
        await record(ctx, "deposits.target_changed", target_type="deposit_account", target_id=str(ctx.tenant_id),
                     before={"monthly_fulfilment_fen": int(before["monthly_fulfilment_fen"]),
                             "ratio_bp": int(before["ratio_bp"]), "target_fen": int(before["target_fen"])}
                     if before else None,
                     after={"monthly_fulfilment_fen": amount, "ratio_bp": ratio, "target_fen": target, "reason": why})
    return await get_deposit(ctx)


async def _event(ctx: TenantContext, kind: str, amount: int, *, target: int | None = None, monthly: int | None = None,
                 ratio: int | None = None, rule: str = "", reason: str = "", reference: str = "") -> None:
    if target is None or monthly is None or ratio is None:
        row = await _account(ctx)
        target = int(row["target_fen"]) if row else 0
        monthly = int(row["monthly_fulfilment_fen"]) if row else 0
        ratio = int(row["ratio_bp"]) if row else 0
    await DepositEvent.insert(DepositEvent(
        id=uuid.uuid4(), tenant_id=ctx.tenant_id, kind=kind, amount_fen=amount, target_fen=target,
        monthly_fulfilment_fen=monthly, ratio_bp=ratio, rule=rule, reason=reason, reference=reference[:128],
        actor=_actor(ctx), created_at=utcnow(),
    ))


async def target_and_balance(ctx: TenantContext) -> tuple[int, int]:
    async with tenant_scope(ctx):
        row = await _account(ctx)
        return (int(row["target_fen"]) if row else 0), await _balance(ctx)


async def withholding(ctx: TenantContext, available_fen: int) -> int:
    """How much of a debit's releasable ``available_fen`` the settlement batch keeps as deposit
    (the whole debit while the deposit is below target, else 0; see ``rules.withhold``)."""
    check_amount(available_fen, "available_fen", allow_zero=True)
    target, balance = await target_and_balance(ctx)
    return withhold(target, balance, available_fen)


async def record_withheld(ctx: TenantContext, amount_fen: int, *, reference: str) -> None:
    """History line for a debit the batch kept as deposit (settlement posts the ledger entry)."""
    async with tenant_scope(ctx):
        await _event(ctx, "withheld", amount_fen, reference=reference)


async def release_deposit(ctx: TenantContext, amount_fen: int, *, rule: str, reason: str) -> DepositEventView:
    """Release up to ``amount_fen`` of the deposit to the store, only by rule (``contract_completed``
    or ``operator_decision``) with a reason. The provider releases whole withheld debits, oldest
    first, as many as fit in ``amount_fen``; the event records the amount actually released.

    Raises:
        ValidationFailed: bad amount, rule or reason.
        DepositInsufficient: more than the balance.
        DepositReleaseTooSmall (settlement): no withheld debit fits in ``amount_fen``.
    """
    from pawpay.platform.settlement.services import release_withheld

    amount = check_amount(amount_fen)
    kind = check_rule(rule)
    why = check_reason(reason)
    async with tenant_scope(ctx):
        balance = await _balance(ctx)
    if amount > balance:
        raise DepositInsufficient("the deposit holds less than that", field="amount_fen", balance_fen=balance)
    released, reference = await release_withheld(ctx, amount, reason=f"{kind}: {why}")
    async with tenant_scope(ctx):
        event_id = uuid.uuid4()
        row = await _account(ctx)
        await DepositEvent.insert(DepositEvent(
            id=event_id, tenant_id=ctx.tenant_id, kind="released", amount_fen=released,
            target_fen=int(row["target_fen"]) if row else 0,
            monthly_fulfilment_fen=int(row["monthly_fulfilment_fen"]) if row else 0,
            ratio_bp=int(row["ratio_bp"]) if row else 0, rule=kind, reason=why, reference=reference[:128],
            actor=_actor(ctx), created_at=utcnow(),
        ))
        await record(ctx, "deposits.released", target_type="deposit_event", target_id=str(event_id),
                     after={"requested_fen": amount, "released_fen": released, "rule": kind, "reason": why})
        found = await DepositEvent.select().where(
            (DepositEvent.tenant_id == ctx.tenant_id) & (DepositEvent.id == event_id)).first()
    assert found is not None
    return _event_view(found)


async def history(ctx: TenantContext, *, limit: int = 50, offset: int = 0) -> tuple[list[DepositEventView], int]:
    """The store's deposit history, newest first, with the total count."""
    async with tenant_scope(ctx):
        rows = await DepositEvent.select().where(DepositEvent.tenant_id == ctx.tenant_id).order_by(
            DepositEvent.created_at, ascending=False).limit(limit).offset(offset)
        total = await DepositEvent.count().where(DepositEvent.tenant_id == ctx.tenant_id)
    return [_event_view(r) for r in rows], int(total)


# --- operators -----------------------------------------------------------------------------------


async def store_deposit(ctx: PlatformContext, tenant_id: uuid.UUID) -> DepositView:
    """One store's deposit, for operators."""
    async with platform_scope("operator views a store's deposit", ctx):
        exists = await DepositAccount.raw("SELECT 1 FROM tenant WHERE id = {}", tenant_id)
    if not exists:
        raise NotFound("store not found")
    return await get_deposit(TenantContext(tenant_id=tenant_id, actor_id=ctx.actor_id, actor_label=ctx.actor_label,
                                           request_id=ctx.request_id))


async def store_history(ctx: PlatformContext, tenant_id: uuid.UUID, *, limit: int = 50,
                        offset: int = 0) -> tuple[list[DepositEventView], int]:
    await store_deposit(ctx, tenant_id)
    return await history(TenantContext(tenant_id=tenant_id, actor_id=ctx.actor_id, actor_label=ctx.actor_label),
                         limit=limit, offset=offset)


async def operator_release(ctx: PlatformContext, tenant_id: uuid.UUID, amount_fen: int, *,
                           reason: str) -> DepositEventView:
    """An operator's decision (with a reason) to release part of a store's deposit. Audited."""
    await store_deposit(ctx, tenant_id)
    tctx = TenantContext(tenant_id=tenant_id, actor_id=ctx.actor_id, actor_label=ctx.actor_label or "operator",
                         request_id=ctx.request_id)
    return await release_deposit(tctx, amount_fen, rule="operator_decision", reason=reason)


@dataclass(frozen=True, slots=True)
class StoreDepositRow:
    tenant_id: uuid.UUID
    tenant_name: str
    target_fen: int
    balance_fen: int
    shortfall_fen: int


async def ops_overview(ctx: PlatformContext, *, limit: int = 50, offset: int = 0) -> tuple[list[StoreDepositRow], int]:
    """Every store with a deposit target or balance: target, balance, shortfall (by store name)."""
    async with platform_scope("deposits: operators' overview", ctx):
        where = (
            "FROM tenant t LEFT JOIN deposit_account d ON d.tenant_id = t.id "
            "LEFT JOIN ledger_account a ON a.tenant_id = t.id AND a.code = 'deposit_held' "
            "WHERE d.id IS NOT NULL OR COALESCE(a.balance_signed, 0) <> 0"
        )
        rows = await DepositAccount.raw(
            "SELECT t.id, t.name, COALESCE(d.target_fen, 0) AS target, COALESCE(a.balance_signed, 0) AS balance "
            f"{where} ORDER BY t.name, t.id LIMIT {{}} OFFSET {{}}", limit, offset)
        total = await DepositAccount.raw(f"SELECT COUNT(*) AS n {where}")
    return [StoreDepositRow(r["id"], r["name"], int(r["target"]), int(r["balance"]),
                            max(0, int(r["target"]) - int(r["balance"]))) for r in rows], int(total[0]["n"])
