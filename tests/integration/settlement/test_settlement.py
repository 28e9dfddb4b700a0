"""Settlement against the real database and the sandbox rail: T+1/T+7 across weekends and the
National Day holiday, the calendar that cannot classify (alert, then release once covered),
deposit withholding, idempotent re-runs, an UNKNOWN release resolved by asking again, refunds
netted, statements as CSV/XLSX, and one store never reaching another's."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, timedelta
from typing import Any

import chinese_calendar
import pytest
from openpyxl import load_workbook

from pawpay.platform.deposits import services as deposits
from pawpay.platform.errors import NotFound, ValidationFailed
from pawpay.platform.identity.roles import OPS_ADMIN
from pawpay.platform.settlement import services as settlement
from pawpay.platform.settlement import statements
from pawpay.platform.settlement.errors import CollectionMismatch, RefundExceedsFunds
from pawpay.platform.tenancy.context import PlatformContext

from .conftest import beijing, new_money  # type: ignore[import-not-found]

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("pawpay_database")]


def _nth_workday(start: date, n: int) -> date:
    day, found = start, 0
    while found < n:
        day += timedelta(days=1)
        if chinese_calendar.is_workday(day):
            found += 1
    return day


async def test_t_plus_1_over_a_weekend_releases_on_monday_and_rerun_changes_nothing(frozen: Any) -> None:
    money = await new_money()
    item = await money.collect(29_800, beijing(2026, 9, 11), fee=600)  # a Friday
    assert item.releasable_on == date(2026, 9, 14)
    assert item.status == "held"
    # Not yet on Saturday (nothing releasable): an empty batch.
    saturday = await settlement.run_settlement_batch(money.ctx, date(2026, 9, 12))
    assert (saturday.item_count, saturday.status) == (0, "completed")
    batch = await settlement.run_settlement_batch(money.ctx, date(2026, 9, 14))
    assert (batch.status, batch.item_count, batch.release_fen, batch.fee_fen) == ("completed", 1, 29_200, 600)
    books = await money.balances()
    assert books["store_funds_released"] == 29_200
    assert books["store_funds_held"] == 0
    assert books["platform_fee"] == 600
    assert await money.funds() == {"held_fen": 0, "released_fen": 29_200, "split_fen": 0}
    # Twice = once: same batch, same books, the provider asked nothing new.
    again = await settlement.run_settlement_batch(money.ctx, date(2026, 9, 14))
    assert again.id == batch.id
    assert again.release_fen == 29_200
    assert await money.balances() == books
    assert await money.funds() == {"held_fen": 0, "released_fen": 29_200, "split_fen": 0}
    statement = await settlement.get_statement(money.ctx, batch.id)
    assert [line.status for line in statement.lines] == ["succeeded"]
    assert statement.lines[0].asks == 1


async def test_t_plus_1_and_t_plus_7_across_national_day(frozen: Any) -> None:
    money = await new_money()
    t1 = await money.collect(30_000, beijing(2026, 9, 30), days=1)
    t7 = await money.collect(40_000, beijing(2026, 9, 30), days=7)
    assert t1.releasable_on == date(2026, 10, 8) == _nth_workday(date(2026, 9, 30), 1)
    assert t7.releasable_on == _nth_workday(date(2026, 9, 30), 7)
    assert t7.releasable_on > date(2026, 10, 8)
    # During the holiday nothing is released.
    holiday = await settlement.run_settlement_batch(money.ctx, date(2026, 10, 5))
    assert holiday.item_count == 0
    first = await settlement.run_settlement_batch(money.ctx, date(2026, 10, 8))
    assert (first.item_count, first.release_fen) == (1, 30_000)
    assert t7.releasable_on is not None
    day_before = await settlement.run_settlement_batch(money.ctx, t7.releasable_on - timedelta(days=1))
    assert day_before.item_count == 0
    second = await settlement.run_settlement_batch(money.ctx, t7.releasable_on)
    assert (second.item_count, second.release_fen) == (1, 40_000)
    assert (await money.balances())["store_funds_released"] == 70_000


async def test_an_unclassifiable_day_waits_alerts_and_releases_once_covered(frozen: Any) -> None:
    money = await new_money()
    item = await money.collect(25_000, beijing(2027, 3, 2), days=1)  # 2027: past chinese_calendar's data
    assert (item.status, item.releasable_on) == ("calendar_pending", None)
    batch = await settlement.run_settlement_batch(money.ctx, date(2027, 3, 4))
    assert (batch.item_count, batch.pending_calendar_count) == (0, 1)
    from pawpay.platform.alerts.services import list_alerts

    alerts, _ = await list_alerts(PlatformContext(roles=frozenset({OPS_ADMIN})), open_only=True,
                                  tenant_id=money.ctx.tenant_id, limit=10, offset=0)
    assert [a.kind for a in alerts] == ["settlement.calendar_pending"]
    # Running again while still uncovered updates the same alert (no duplicate).
    await settlement.run_settlement_batch(money.ctx, date(2027, 3, 5))
    alerts, _ = await list_alerts(PlatformContext(roles=frozenset({OPS_ADMIN})), open_only=True,
                                  tenant_id=money.ctx.tenant_id, limit=10, offset=0)
    assert len(alerts) == 1
    from pawpay.platform.business_calendar.services import set_override

    await set_override(PlatformContext(roles=frozenset({OPS_ADMIN}), actor_label="ops"), date(2027, 3, 3),
                       is_business_day=True, note="test: 2027 published")
    later = await settlement.run_settlement_batch(money.ctx, date(2027, 3, 8))
    assert (later.item_count, later.release_fen, later.pending_calendar_count) == (1, 25_000, 0)
    assert (await settlement.get_item(money.ctx, item.attempt_id)).releasable_on == date(2027, 3, 3)


async def test_deposit_is_built_to_target_then_released_by_rule(frozen: Any) -> None:
    money = await new_money()
    view = await deposits.set_monthly_fulfilment(money.ctx, 200_000, reason="contracts signed")
    ratio = view.ratio_bp
    assert ratio >= 3000
    assert view.target_fen == -(-200_000 * ratio // 10_000)
    for _ in range(4):
        await money.collect(30_000, beijing(2026, 9, 14), days=1)
    batch = await settlement.run_settlement_batch(money.ctx, date(2026, 9, 15))
    deposit = await deposits.get_deposit(money.ctx)
    assert deposit.balance_fen >= deposit.target_fen
    assert deposit.shortfall_fen == 0
    assert deposit.balance_fen - deposit.target_fen < 30_000  # overshoot < one debit
    assert batch.deposit_fen == deposit.balance_fen
    assert batch.release_fen == 120_000 - deposit.balance_fen
    funds = await money.funds()
    assert funds == {"held_fen": deposit.balance_fen, "released_fen": batch.release_fen, "split_fen": 0}
    history, _ = await deposits.history(money.ctx)
    assert {h.kind for h in history} == {"target_changed", "withheld"}
    # Release by rule only, whole debits.
    with pytest.raises(ValidationFailed):
        await deposits.release_deposit(money.ctx, 30_000, rule="because", reason="x")
    event = await deposits.release_deposit(money.ctx, 30_000, rule="operator_decision", reason="store closed a line")
    assert event.amount_fen == 30_000
    assert event.kind == "released"
    after = await deposits.get_deposit(money.ctx)
    assert after.balance_fen == deposit.balance_fen - 30_000
    funds = await money.funds()
    assert funds["held_fen"] == after.balance_fen
    assert funds["released_fen"] == batch.release_fen + 30_000


async def test_an_unknown_release_is_asked_again_and_never_released_twice(frozen: Any) -> None:
    money = await new_money()
    item = await money.collect(29_809, beijing(2026, 9, 14))  # 09: the first release answers UNKNOWN
    first = await settlement.run_settlement_batch(money.ctx, date(2026, 9, 15))
    assert (first.status, first.unknown_count, first.release_fen) == ("incomplete", 1, 0)
    assert (await settlement.get_item(money.ctx, item.attempt_id)).status == "releasing"
    assert (await money.balances())["store_funds_released"] == 0
    # The provider did release; the ledger waits for the answer. A refund waits too.
    from pawpay.platform.settlement.errors import ReleaseInProgress

    with pytest.raises(ReleaseInProgress):
        await settlement.record_refund(money.ctx, refund_id="r-wait", attempt_id=item.attempt_id, amount_fen=100,
                                       refunded_at=beijing(2026, 9, 15))
    # The next day's batch asks again (same release id) before anything else.
    second = await settlement.run_settlement_batch(money.ctx, date(2026, 9, 16))
    assert second.item_count == 0
    resolved = await settlement.run_settlement_batch(money.ctx, date(2026, 9, 15))
    assert (resolved.status, resolved.release_fen, resolved.unknown_count) == ("completed", 29_809, 0)
    assert (await money.balances())["store_funds_released"] == 29_809
    assert await money.funds() == {"held_fen": 0, "released_fen": 29_809, "split_fen": 0}
    lines = (await settlement.get_statement(money.ctx, first.id)).lines
    assert [(line.status, line.asks) for line in lines] == [("succeeded", 2)]


async def test_refunds_are_netted_and_checked(frozen: Any) -> None:
    money = await new_money()
    item = await money.collect(30_000, beijing(2026, 9, 14), fee=500)
    with pytest.raises(RefundExceedsFunds):
        await settlement.record_refund(money.ctx, refund_id="r-big", attempt_id=item.attempt_id, amount_fen=29_501,
                                       refunded_at=beijing(2026, 9, 14, 15))
    provider = await money.sandbox()
    from pawpay.platform.hooks import RefundRequest
    from pawpay.platform.providers.services import provider_for

    _, pctx = await provider_for(money.ctx, "payments")
    await provider.refund(pctx, RefundRequest(refund_id="r-1", attempt_id=item.attempt_id, amount_fen=10_000,
                                              charge_amount_fen=30_000))
    refund = await settlement.record_refund(money.ctx, refund_id="r-1", attempt_id=item.attempt_id,
                                            amount_fen=10_000, refunded_at=beijing(2026, 9, 14, 15))
    assert refund.from_account == "store_funds_held"
    assert await settlement.record_refund(money.ctx, refund_id="r-1", attempt_id=item.attempt_id, amount_fen=10_000,
                                          refunded_at=beijing(2026, 9, 14, 15)) == refund
    batch = await settlement.run_settlement_batch(money.ctx, date(2026, 9, 15))
    assert (batch.gross_fen, batch.fee_fen, batch.refund_fen, batch.release_fen) == (30_000, 500, 10_000, 19_500)
    books = await money.balances()
    assert (books["refunds"], books["store_funds_released"], books["store_funds_held"]) == (10_000, 19_500, 0)
    assert await money.funds() == {"held_fen": 0, "released_fen": 19_500, "split_fen": 0}
    with pytest.raises(CollectionMismatch):
        await settlement.record_collection(money.ctx, attempt_id=item.attempt_id, contract_ref="C1",
                                           amount_fen=1, fee_fen=0, collected_at=item.collected_at,
                                           settlement_days=1, provider_name="sandbox")


async def test_statements_download_as_csv_and_xlsx(frozen: Any) -> None:
    money = await new_money()
    await money.collect(30_000, beijing(2026, 9, 14), fee=600, contract="=HYPERLINK")
    await money.collect(20_000, beijing(2026, 9, 14), fee=400)
    batch = await settlement.run_settlement_batch(money.ctx, date(2026, 9, 15))
    view = await settlement.get_statement(money.ctx, batch.id)
    rows = list(csv.reader(io.StringIO(statements.statement_csv(view).decode("utf-8-sig"))))
    assert rows[1][0] == "放款编号"
    assert rows[2][0] == "release_id"
    assert len(rows) == 3 + 2 + 1
    assert rows[-1][5:10] == ["50000", "1000", "0", "0", "49000"]
    assert {r[2] for r in rows[3:5]} == {"'=HYPERLINK", "C1"}  # no formula injection
    book = load_workbook(io.BytesIO(statements.statement_xlsx(view)))
    sheet = book.active
    assert sheet is not None
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][:2] == ["结算日 business day", "2026-09-15"]
    assert values[-1][5:10] == [50_000, 1_000, 0, 0, 49_000]


async def test_one_store_never_reaches_anothers_settlement(frozen: Any) -> None:
    a, b = await new_money(), await new_money()
    item = await a.collect(30_000, beijing(2026, 9, 14))
    batch = await settlement.run_settlement_batch(a.ctx, date(2026, 9, 15))
    with pytest.raises(NotFound):
        await settlement.get_statement(b.ctx, batch.id)
    with pytest.raises(NotFound):
        await settlement.get_item(b.ctx, item.attempt_id)
    with pytest.raises(NotFound):
        await settlement.record_refund(b.ctx, refund_id="x", attempt_id=item.attempt_id, amount_fen=1,
                                       refunded_at=beijing(2026, 9, 15))
    assert (await settlement.list_batches(b.ctx))[1] == 0
    with pytest.raises(NotFound):
        await settlement.ops_statement(PlatformContext(), b.ctx.tenant_id, batch.id)


async def test_the_daily_job_runs_the_store_local_day_on_the_store_clock(frozen: Any) -> None:
    money = await new_money()
    await money.collect(30_000, beijing(2026, 9, 14))
    from pawpay.platform.settlement.tables import SettlementSchedule
    from pawpay.platform.tenancy.scope import tenant_scope

    async with tenant_scope(money.ctx):
        row = await SettlementSchedule.select().where(SettlementSchedule.tenant_id == money.ctx.tenant_id).first()
    assert row is not None
    assert row["next_run_at"] is not None
    frozen(beijing(2026, 9, 15, 6))
    batch = await settlement.run_due_batch(money.ctx.tenant_id, row["id"])
    assert batch is not None
    assert batch.business_day == date(2026, 9, 15)
    assert batch.release_fen == 30_000
    async with tenant_scope(money.ctx):
        after = await SettlementSchedule.select().where(SettlementSchedule.tenant_id == money.ctx.tenant_id).first()
    assert after is not None
    assert after["lease_until"] is None
    assert after["next_run_at"] == beijing(2026, 9, 16, 6)


async def test_the_daily_work_falls_due_on_the_stores_test_clock(frozen: Any) -> None:
    from pawpay.platform.jobs.services import advance_tenant_clock
    from pawpay.platform.settlement.due import DAILY_SETTLEMENT
    from pawpay.platform.tenancy.scope import platform_scope

    frozen(beijing(2026, 9, 14, 12))
    money = await new_money()
    await money.collect(30_000, beijing(2026, 9, 14))

    async def claimed() -> list[Any]:
        async with platform_scope("test: claim settlement work") as tx:
            items = await DAILY_SETTLEMENT.claim(beijing(2026, 9, 14, 12), 1_000)
            await tx.rollback()  # type: ignore[no-untyped-call]  # leave the leases untouched
        return [i for i in items if i.tenant_id == str(money.ctx.tenant_id)]

    assert await claimed() == []  # next run: tomorrow 06:00 store time
    await advance_tenant_clock(money.ctx, 24 * 3600)  # the store's test clock: tomorrow noon
    due = await claimed()
    assert len(due) == 1
    tenant_id, schedule_id = due[0].args
    batch = await settlement.run_due_batch(uuid.UUID(tenant_id), uuid.UUID(schedule_id))
    assert batch is not None
    assert (batch.business_day, batch.release_fen) == (date(2026, 9, 15), 30_000)
