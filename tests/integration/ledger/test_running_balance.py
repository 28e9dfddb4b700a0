"""The running balance per account: kept by the posting trigger (equal to the sum of the
account's postings), never writable by the application or even the owner, and concurrent
entries on the same account serialised so that together they cannot overdraw it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from pawpay.platform.ledger import services as ledger
from pawpay.platform.ledger.errors import InsufficientBalance
from pawpay.platform.ledger.tables import LedgerAccount
from pawpay.platform.tenancy.context import TenantContext
from pawpay.platform.tenancy.scope import tenant_scope
from pawpay.platform.testing.plugin import create_store

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("pawpay_database")]

ACCOUNTS = ["store_funds_held", "store_funds_released", "contract_sales", "customer_receivable:C1"]


async def _ctx() -> TenantContext:
    store = await create_store()
    ctx = TenantContext(tenant_id=store.tenant_id, actor_id=store.manager_id, actor_label="test")
    await ledger.ensure_accounts(ctx, ACCOUNTS)
    await ledger.post_entry(ctx, idempotency_key="sign", description="signed",
                            postings=[("customer_receivable:C1", 10_000), ("contract_sales", -10_000)])
    await ledger.post_entry(ctx, idempotency_key="debit", description="collected",
                            postings=[("store_funds_held", 10_000), ("customer_receivable:C1", -10_000)])
    return ctx


async def test_the_running_balance_is_the_sum_of_the_postings(owner: Any) -> None:
    ctx = await _ctx()
    await ledger.post_entry(ctx, idempotency_key="release", description="released",
                            postings=[("store_funds_released", 3_000), ("store_funds_held", -3_000)])
    rows = await owner.fetch(
        "SELECT a.code, a.balance_signed, COALESCE(SUM(p.amount_fen), 0) AS summed FROM ledger_account a "
        "LEFT JOIN ledger_posting p ON p.account_id = a.id WHERE a.tenant_id = $1 GROUP BY a.id", ctx.tenant_id)
    assert {r["code"]: (r["balance_signed"], r["summed"]) for r in rows} == {
        "contract_sales": (-10_000, -10_000), "customer_receivable:C1": (0, 0),
        "store_funds_held": (7_000, 7_000), "store_funds_released": (3_000, 3_000)}
    assert await ledger.balance(ctx, "store_funds_held") == 7_000


@pytest.mark.parametrize("statement", [
    "UPDATE ledger_account SET balance_signed = 10000000 WHERE tenant_id = $1",
    "UPDATE ledger_account SET may_go_negative = true WHERE tenant_id = $1",
    "DELETE FROM ledger_account WHERE tenant_id = $1",
])
async def test_nobody_writes_the_running_balance(statement: str, owner: Any) -> None:
    ctx = await _ctx()
    with pytest.raises(Exception, match="permission denied"):
        async with tenant_scope(ctx):
            await LedgerAccount.raw(statement.replace("$1", "{}"), ctx.tenant_id)
    with pytest.raises(Exception, match="append-only"):
        await owner.execute(statement, ctx.tenant_id)
    assert await ledger.balance(ctx, "store_funds_held") == 10_000


async def test_concurrent_entries_cannot_overdraw_an_account_together() -> None:
    ctx = await _ctx()

    async def release(key: str) -> Any:
        return await ledger.post_entry(ctx, idempotency_key=key, description="released",
                                       postings=[("store_funds_released", 8_000), ("store_funds_held", -8_000)])

    outcomes = await asyncio.gather(release("r1"), release("r2"), return_exceptions=True)
    assert sorted(type(o).__name__ for o in outcomes) == ["EntryView", "InsufficientBalance"]
    assert any(isinstance(o, InsufficientBalance) for o in outcomes)
    assert await ledger.balance(ctx, "store_funds_held") == 2_000
    assert await ledger.balance(ctx, "store_funds_released") == 8_000
