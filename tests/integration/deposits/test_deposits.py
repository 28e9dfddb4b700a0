"""Deposits against the real database: target from the store's terms and its history, releases
only by rule and within the balance, one store never touching another's deposit."""

from __future__ import annotations

import uuid

import pytest

from pawpay.platform.audit.services import AuditFilter, list_entries
from pawpay.platform.deposits import services as deposits
from pawpay.platform.deposits.errors import DepositInsufficient
from pawpay.platform.errors import NotFound, ValidationFailed
from pawpay.platform.merchants.services import current_terms
from pawpay.platform.tenancy.context import PlatformContext, TenantContext
from pawpay.platform.testing.plugin import create_store

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("pawpay_database")]


async def _ctx() -> TenantContext:
    store = await create_store()
    return TenantContext(tenant_id=store.tenant_id, actor_id=store.manager_id, actor_label=store.manager_email)


async def test_the_target_follows_the_monthly_fulfilment_with_history() -> None:
    ctx = await _ctx()
    empty = await deposits.get_deposit(ctx)
    assert (empty.target_fen, empty.balance_fen, empty.shortfall_fen) == (0, 0, 0)
    ratio = (await current_terms(ctx)).deposit_ratio_bp
    first = await deposits.set_monthly_fulfilment(ctx, 1_000_000, reason="C-1 signed")
    assert first.target_fen == -(-1_000_000 * ratio // 10_000)
    assert first.shortfall_fen == first.target_fen
    second = await deposits.set_monthly_fulfilment(ctx, 400_000, reason="C-1 completed")
    assert second.target_fen == -(-400_000 * ratio // 10_000)
    history, total = await deposits.history(ctx)
    assert total == 2
    assert [h.reason for h in history] == ["C-1 completed", "C-1 signed"]
    assert [h.monthly_fulfilment_fen for h in history] == [400_000, 1_000_000]
    audits, _ = await list_entries(ctx, AuditFilter(action="deposits.target_changed"))
    assert len(audits) == 2
    with pytest.raises(ValidationFailed):
        await deposits.set_monthly_fulfilment(ctx, -1, reason="x")
    with pytest.raises(ValidationFailed):
        await deposits.set_monthly_fulfilment(ctx, 1, reason=" ")


async def test_withholding_stops_at_the_target() -> None:
    ctx = await _ctx()
    assert await deposits.withholding(ctx, 30_000) == 0  # no target: nothing is kept
    await deposits.set_monthly_fulfilment(ctx, 100_000, reason="signed")
    assert await deposits.withholding(ctx, 30_000) == 30_000
    assert await deposits.withholding(ctx, 0) == 0


async def test_releases_need_a_rule_and_a_balance() -> None:
    ctx = await _ctx()
    with pytest.raises(ValidationFailed):
        await deposits.release_deposit(ctx, 100, rule="because", reason="x")
    with pytest.raises(DepositInsufficient):
        await deposits.release_deposit(ctx, 100, rule="operator_decision", reason="x")
    with pytest.raises(ValidationFailed):
        await deposits.release_deposit(ctx, 100, rule="operator_decision", reason="")


async def test_one_store_never_reaches_anothers_deposit() -> None:
    a, b = await _ctx(), await _ctx()
    await deposits.set_monthly_fulfilment(a, 1_000_000, reason="signed")
    assert (await deposits.get_deposit(b)).target_fen == 0
    assert (await deposits.history(b))[1] == 0
    ops = PlatformContext(actor_label="ops")
    assert (await deposits.store_deposit(ops, a.tenant_id)).monthly_fulfilment_fen == 1_000_000
    with pytest.raises(NotFound):
        await deposits.store_deposit(ops, uuid.uuid4())
    with pytest.raises(NotFound):
        await deposits.operator_release(ops, uuid.uuid4(), 100, reason="x")
