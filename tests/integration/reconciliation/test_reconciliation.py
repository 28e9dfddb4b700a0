"""Reconciliation against the real database and the sandbox rail: a clean day (charges, a refund,
releases with an advance split), the sandbox's scripted differences (missing, extra, amount
mismatch, duplicate), resolution by an operator with a reason (audited, once), re-runs, the
daily job, and one store never seeing another's."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from pawpay.platform.errors import NotFound, ValidationFailed
from pawpay.platform.hooks import RefundRequest
from pawpay.platform.reconciliation import services as reconciliation
from pawpay.platform.reconciliation.errors import AlreadyResolved
from pawpay.platform.settlement import services as settlement
from tests.integration.money_books import OPS, beijing, new_books

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("pawpay_database")]


async def _refund(books: Any, attempt: str, amount: int, charge_amount: int, at: Any, frozen: Any) -> None:
    from pawpay.platform.providers.services import provider_for

    frozen(at)
    provider, pctx = await provider_for(books.ctx, "payments")
    result = await provider.refund(pctx, RefundRequest(refund_id=f"rf-{attempt}", attempt_id=attempt,
                                                       amount_fen=amount, charge_amount_fen=charge_amount))
    assert result.status.value == "succeeded"
    await settlement.record_refund(books.ctx, refund_id=f"rf-{attempt}", attempt_id=attempt, amount_fen=amount,
                                   refunded_at=at)


async def test_a_clean_day_then_scripted_differences_resolved_by_an_operator(frozen: Any) -> None:
    books = await new_books()
    await books.sign("C-1", 500_000)
    a = await books.collect("C-1", 30_000, beijing(2026, 10, 14, 9), fee=900)
    await books.collect("C-1", 20_000, beijing(2026, 10, 14, 10), fee=600)
    await _refund(books, a.attempt_id, 5_000, 30_000, beijing(2026, 10, 14, 15), frozen)
    frozen(beijing(2026, 10, 15, 6))
    batch = await settlement.run_settlement_batch(books.ctx, date(2026, 10, 15))
    assert batch.release_fen == 30_000 - 900 - 5_000 + 19_400
    day1 = await reconciliation.reconcile_day(books.ctx, date(2026, 10, 14))
    assert (day1.status, day1.statement_lines, day1.matched, day1.differences) == ("clean", 3, 3, 0)
    day2 = await reconciliation.reconcile_day(books.ctx, date(2026, 10, 15))
    assert (day2.status, day2.statement_lines, day2.matched) == ("clean", 2, 2)

    # The sandbox produces differences: 11 -> amount mismatch, 12 -> missing at the provider
    # (extra in the ledger), 13 -> duplicated line (missing in the ledger), scripted: an altered release.
    for hour, amount in ((9, 10_011), (10, 10_012), (11, 10_013)):
        await books.collect("C-1", amount, beijing(2026, 10, 16, hour))
    run = await reconciliation.reconcile_day(books.ctx, date(2026, 10, 16))
    assert (run.status, run.differences, run.open_differences, run.matched) == ("differences", 3, 3, 1)
    diffs = {d.kind: d for d in await reconciliation.store_differences(books.ctx, date(2026, 10, 16))}
    assert set(diffs) == {"amount_mismatch", "extra_in_ledger", "missing_in_ledger"}
    assert (diffs["amount_mismatch"].provider_fen, diffs["amount_mismatch"].ledger_fen) == (10_012, 10_011)
    assert (diffs["extra_in_ledger"].provider_fen, diffs["extra_in_ledger"].ledger_fen) == (None, 10_012)
    assert diffs["missing_in_ledger"].provider_fen == 10_013
    sandbox = await books.sandbox()
    release = (await settlement.get_statement(books.ctx, batch.id)).lines[0]
    sandbox.script_statement(str(books.ctx.tenant_id), alter={release.release_id: -1})
    again = await reconciliation.reconcile_day(books.ctx, date(2026, 10, 15))
    assert (again.status, again.differences, again.runs) == ("differences", 1, 2)

    # An operator resolves with a reason (audited), once.
    with pytest.raises(ValidationFailed):
        await reconciliation.resolve_difference(OPS, diffs["amount_mismatch"].id, reason="  ")
    done = await reconciliation.resolve_difference(OPS, diffs["amount_mismatch"].id, reason="provider rounding")
    assert (done.status, done.resolution, done.resolved_by) == ("resolved", "provider rounding", "ops-test")
    with pytest.raises(AlreadyResolved):
        await reconciliation.resolve_difference(OPS, diffs["amount_mismatch"].id, reason="again")
    # A re-run keeps it resolved; the others stay open.
    rerun = await reconciliation.reconcile_day(books.ctx, date(2026, 10, 16))
    assert (rerun.differences, rerun.open_differences) == (3, 2)
    _, total = await reconciliation.ops_differences(OPS, tenant_id=books.ctx.tenant_id)
    assert total == 3  # two of 16 Oct, the altered release of 15 Oct
    # The provider fixed its statement: the difference is resolved as no longer found.
    sandbox.script_statement(str(books.ctx.tenant_id), alter={release.release_id: 0})
    fixed = await reconciliation.reconcile_day(books.ctx, date(2026, 10, 15))
    assert (fixed.status, fixed.open_differences) == ("clean", 0)


async def test_the_daily_job_reconciles_yesterday_and_operators_run_a_day(frozen: Any) -> None:
    books = await new_books()
    await books.sign("C-1", 100_000)
    await books.collect("C-1", 20_000, beijing(2026, 10, 14, 9))
    from pawpay.platform.settlement.tables import SettlementSchedule
    from pawpay.platform.tenancy.scope import tenant_scope

    async with tenant_scope(books.ctx):
        row = await SettlementSchedule.select().where(SettlementSchedule.tenant_id == books.ctx.tenant_id).first()
    assert row is not None
    frozen(beijing(2026, 10, 15, 6))
    await settlement.run_due_batch(books.ctx.tenant_id, row["id"])
    runs, total = await reconciliation.store_runs(books.ctx)
    assert total == 1
    assert (runs[0].business_day, runs[0].status, runs[0].matched) == (date(2026, 10, 14), "clean", 1)
    outcomes = await reconciliation.run_all(OPS, date(2026, 10, 15))
    mine = [o for o in outcomes if o.tenant_id == books.ctx.tenant_id]
    assert mine[0].run is not None
    assert (mine[0].run.status, mine[0].run.matched) == ("clean", 1)
    listed, _ = await reconciliation.ops_runs(OPS, tenant_id=books.ctx.tenant_id)
    assert [r.business_day for r in listed] == [date(2026, 10, 15), date(2026, 10, 14)]


async def test_another_store_never_sees_the_runs(frozen: Any) -> None:
    a, b = await new_books(), await new_books()
    await a.sign("C-1", 100_000)
    await a.collect("C-1", 10_012, beijing(2026, 10, 14, 9))
    await reconciliation.reconcile_day(a.ctx, date(2026, 10, 14))
    assert await reconciliation.store_differences(b.ctx) == []
    assert (await reconciliation.store_runs(b.ctx))[1] == 0
    with pytest.raises(NotFound):
        await reconciliation.run_store(OPS, __import__("uuid").uuid4(), date(2026, 10, 14))
