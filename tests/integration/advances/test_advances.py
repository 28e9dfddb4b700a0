"""Advances against the real database, the sandbox partner and the sandbox rail: eligibility from
the contract's pinned terms, the partner's fee, ledger postings, repayment by split in the
settlement batch's releases until repaid, defaults by guarantee policy, the signing hook,
idempotency, another store never reaching it, and the API."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from pawpay.platform.advances import services as advances
from pawpay.platform.advances.errors import AdvanceMismatch, AdvanceNotAllowed, AdvanceNotOutstanding
from pawpay.platform.errors import NotFound
from pawpay.platform.settlement import services as settlement
from tests.integration.money_books import OPS, beijing, new_books

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("pawpay_database")]

FIRST_DUE = date(2026, 10, 14)


async def _advance(books: Any, contract: str = "C-1", total: int = 240_000, periods: int = 12) -> Any:
    await books.sign(contract, total)
    return await advances.request_advance_for_contract(
        books.ctx, contract_ref=contract, total_fen=total, terms_version=books.terms_version, periods=periods,
        first_due_on=FIRST_DUE)


async def test_an_advance_is_funded_split_from_releases_and_repaid(frozen: Any) -> None:
    books = await new_books()
    view = await _advance(books)
    # 45 % of 240 000, rounded down; the sandbox partner's fee 6 % rounded up.
    assert (view.state, view.principal_fen, view.fee_fen) == ("funded", 108_000, 6_480)
    assert view.outstanding_fen == 114_480
    b = await books.balances()
    assert (b["advance_received"], b["advance_fee"], b["advance_outstanding"]) == (108_000, 6_480, 114_480)
    # Again: the same advance, nothing new.
    again = await advances.request_advance_for_contract(
        books.ctx, contract_ref="C-1", total_fen=240_000, terms_version=books.terms_version, periods=12,
        first_due_on=FIRST_DUE)
    assert again.id == view.id
    assert (await books.balances())["advance_outstanding"] == 114_480
    # 5 collections of 20 000 (fee 600) in one batch: each release splits its whole net to the partner.
    for hour in range(9, 14):
        await books.collect("C-1", 20_000, beijing(2026, 10, 14, hour), fee=600)
    first = await settlement.run_settlement_batch(books.ctx, date(2026, 10, 15))
    assert (first.status, first.item_count, first.release_fen) == ("completed", 5, 0)
    view = await advances.get_advance(books.ctx, "C-1")
    assert (view.state, view.repaid_fen, view.outstanding_fen) == ("repaying", 97_000, 17_480)
    # Two more: the first splits only what is still owed and releases the rest, the second is not split.
    await books.collect("C-1", 20_000, beijing(2026, 10, 15, 9), fee=600)
    await books.collect("C-1", 20_000, beijing(2026, 10, 15, 10), fee=600)
    second = await settlement.run_settlement_batch(books.ctx, date(2026, 10, 16))
    assert second.release_fen == 1_920 + 19_400
    view = await advances.get_advance(books.ctx, "C-1")
    assert (view.state, view.repaid_fen, view.outstanding_fen) == ("repaid", 114_480, 0)
    b = await books.balances()
    assert (b["advance_outstanding"], b["store_funds_held"]) == (0, 0)
    assert b["store_funds_released"] == 7 * 19_400 - 114_480
    assert await books.funds() == {"held_fen": 0, "released_fen": 7 * 19_400 - 114_480, "split_fen": 114_480}
    # The statement lines carry the splits.
    statement = await settlement.get_statement(books.ctx, second.id)
    assert sorted((line.split_fen, line.release_fen, line.split_ref) for line in statement.lines) == [
        (0, 19_400, ""), (17_480, 1_920, "adv-C-1")]
    from pawpay.platform.settlement import statements

    assert "17480" in statements.statement_csv(statement).decode("utf-8-sig")
    # Re-running changes nothing.
    assert (await settlement.run_settlement_batch(books.ctx, date(2026, 10, 16))).id == second.id
    assert (await advances.get_advance(books.ctx, "C-1")).repaid_fen == 114_480


async def test_terms_that_do_not_allow_advances_refuse(frozen: Any) -> None:
    books = await new_books(advances=False)
    with pytest.raises(AdvanceNotAllowed):
        await _advance(books)
    assert (await advances.list_advances(books.ctx))[1] == 0


async def test_too_small_an_advance_is_refused_and_another_amount_conflicts(frozen: Any) -> None:
    books = await new_books()
    with pytest.raises(AdvanceNotAllowed):
        await _advance(books, "C-small", total=20_000)
    await _advance(books, "C-2", total=100_000)
    with pytest.raises(AdvanceMismatch):
        await advances.request_advance_for_contract(
            books.ctx, contract_ref="C-2", total_fen=120_000, terms_version=books.terms_version, periods=12,
            first_due_on=FIRST_DUE)


async def test_a_declined_advance_is_recorded_without_postings(frozen: Any) -> None:
    books = await new_books()
    # 45 % of 222 447 = 100 101.15 -> 100 101: ends in 01, the sandbox partner declines.
    view = await _advance(books, "C-dec", total=222_447)
    assert (view.principal_fen, view.state, view.error_code) == (100_101, "declined", "DECLINED")
    assert "advance_outstanding" not in await books.balances()


@pytest.mark.parametrize(("policy", "bearer"), [("store_bears", "advance_owed_by_store"),
                                                ("platform_guarantee", "advance_default_platform"),
                                                ("partner_bears", "advance_default_partner")])
async def test_a_default_follows_the_guarantee_policy(frozen: Any, policy: str, bearer: str) -> None:
    books = await new_books(policy=policy)
    await _advance(books, "C-d", total=200_000)  # 90 000 + 5 400
    await books.collect("C-d", 20_000, beijing(2026, 10, 14), fee=600)
    await settlement.run_settlement_batch(books.ctx, date(2026, 10, 15))
    view = await advances.ops_mark_default(OPS, books.ctx.tenant_id, "C-d", reason="customer vanished")
    assert (view.state, view.repaid_fen, view.defaulted_fen, view.defaulted_by) == (
        "defaulted", 19_400, 95_400 - 19_400, policy)
    b = await books.balances()
    assert b["advance_outstanding"] == 0
    assert b[bearer] == 95_400 - 19_400
    with pytest.raises(AdvanceNotOutstanding):
        await advances.mark_default(books.ctx, "C-d", reason="again")
    # No more splits after a default.
    await books.collect("C-d", 20_000, beijing(2026, 10, 15), fee=600)
    batch = await settlement.run_settlement_batch(books.ctx, date(2026, 10, 16))
    assert batch.release_fen == 19_400
    # Termination of a contract without an outstanding advance does nothing.
    assert await advances.contract_terminated(books.ctx, "C-none", reason="x") is None


async def test_the_contract_signed_hook_requests_the_advance(frozen: Any) -> None:
    from pawpay.platform.advances import plugin
    from pawpay.platform.hooks import ContractSigned
    from pawpay.platform.hooks._manager import get_plugin_manager

    # The advances plugin listens (its hookimpl returns the work the contracts domain awaits).
    assert plugin in get_plugin_manager().get_plugins()
    books = await new_books()
    await books.sign("C-hook", 300_000)
    await plugin.pawpay_contract_signed(tenant_id=str(books.ctx.tenant_id), contract=ContractSigned(
        contract_id="00000000-0000-0000-0000-000000000001", contract_no="C-hook", customer_ref="x",
        total_fen=300_000, periods=10, monthly_amount_fen=30_000, first_due_on=FIRST_DUE,
        terms_version=books.terms_version))
    view = await advances.get_advance(books.ctx, "C-hook")
    assert (view.state, view.principal_fen) == ("funded", 135_000)
    totals = await advances.store_totals(books.ctx)
    assert (totals.count, totals.principal_fen, totals.outstanding_fen) == (1, 135_000, 135_000 + 8_100)


async def test_another_store_never_sees_the_advance(frozen: Any) -> None:
    a, b = await new_books(), await new_books()
    await _advance(a, "C-x")
    with pytest.raises(NotFound):
        await advances.get_advance(b.ctx, "C-x")
    assert (await advances.list_advances(b.ctx))[1] == 0
    with pytest.raises(NotFound):
        await advances.mark_default(b.ctx, "C-x", reason="not mine")
    views, _ = await advances.ops_advances(OPS, tenant_id=a.ctx.tenant_id)
    assert [v.contract_ref for v in views] == ["C-x"]


async def test_a_pending_advance_is_asked_again_by_the_daily_job(frozen: Any) -> None:
    books = await new_books()
    # 45 % of 222 236 = 100 006.2 -> 100 006: ends in 06, the sandbox partner answers PENDING first.
    view = await _advance(books, "C-pend", total=222_236)
    assert (view.principal_fen, view.state) == (100_006, "requested")
    assert (await books.balances()).get("advance_outstanding", 0) == 0
    await books.collect("C-pend", 20_000, beijing(2026, 10, 14))
    from pawpay.platform.settlement.tables import SettlementSchedule
    from pawpay.platform.tenancy.scope import tenant_scope

    async with tenant_scope(books.ctx):
        row = await SettlementSchedule.select().where(SettlementSchedule.tenant_id == books.ctx.tenant_id).first()
    assert row is not None
    frozen(beijing(2026, 10, 15, 6))
    await settlement.run_due_batch(books.ctx.tenant_id, row["id"])
    view = await advances.get_advance(books.ctx, "C-pend")
    # Paid before the batch ran: today's release already repays it.
    assert (view.state, view.fee_fen, view.repaid_fen) == ("repaying", 6_001, 20_000)
    assert (await books.balances())["advance_outstanding"] == 106_007 - 20_000


async def test_a_terminated_contracts_advance_defaults_in_the_daily_job(frozen: Any) -> None:
    books = await new_books(policy="platform_guarantee")
    await _advance(books, "C-term", total=200_000)  # 90 000 + 5 400
    await books.collect("C-term", 20_000, beijing(2026, 10, 14), fee=600)
    # The contracts domain terminates the contract: it takes the unearned rest off the receivable.
    from pawpay.platform.ledger import services as ledger

    await ledger.post_entry(books.ctx, idempotency_key="contract-terminated:C-term", description="terminated",
                            postings=[("contract_sales", 100_000), ("customer_receivable:C-term", -100_000)])
    from pawpay.platform.settlement.tables import SettlementSchedule
    from pawpay.platform.tenancy.scope import tenant_scope

    async with tenant_scope(books.ctx):
        row = await SettlementSchedule.select().where(SettlementSchedule.tenant_id == books.ctx.tenant_id).first()
    assert row is not None
    frozen(beijing(2026, 10, 15, 6))
    batch = await settlement.run_due_batch(books.ctx.tenant_id, row["id"])
    assert batch is not None
    assert batch.release_fen == 19_400  # defaulted before the batch: no split any more
    view = await advances.get_advance(books.ctx, "C-term")
    assert (view.state, view.defaulted_fen, view.defaulted_by) == ("defaulted", 95_400, "platform_guarantee")
    assert "terminated" in view.reason
    assert (await books.balances())["advance_default_platform"] == 95_400
