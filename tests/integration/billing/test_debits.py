"""Debits on the due date through the store's provider: once, with ledger, points, the paid event and a
receipt; failures retried on the store's schedule; unknown outcomes queried before anything else."""

from __future__ import annotations

from typing import Any

import pytest

from pawpay.platform.ledger import services as ledger
from pawpay.tenants.billing import services as billing
from pawpay.tenants.contracts import services as contracts
from pawpay.tenants.customers import services as customers
from tests.integration.billing.conftest import local, move, new_store, run_debits

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("pawpay_database")]


async def _first(store: Any, contract: Any) -> Any:
    return (await contracts.installments(store.ctx, contract.id))[0]


async def test_signing_plans_every_installment_and_its_reminder(clock: Any) -> None:
    store = await new_store()
    c = await store.sign(periods=12)
    schedule = await contracts.installments(store.ctx, c.id)
    for inst in schedule:
        [attempt] = await billing.installment_debits(store.ctx, inst.id)
        assert (attempt.status, attempt.attempt_no, attempt.amount_fen) == ("planned", 1, 29_800)
        assert attempt.id == billing.attempt_id_for(inst.id, 1)
        assert attempt.next_attempt_at == local(inst.due_on.year, inst.due_on.month, inst.due_on.day, 8, 0)
        [reminder] = await billing.installment_reminders(store.ctx, inst.id)
        assert reminder.send_at == local(inst.due_on.year, inst.due_on.month, inst.due_on.day - 2, 8, 0)
    assert await billing.plan_contract(store.ctx, c.id) == 0, "planning again adds nothing"
    assert await billing.plan_store(store.ctx) == 0


async def test_an_on_time_debit_is_collected_once(clock: Any, jobs_stub: Any, paid_listener: Any) -> None:
    store = await new_store()
    c = await store.sign(periods=12)
    first = await _first(store, c)
    day_before = local(first.due_on.year, first.due_on.month, first.due_on.day - 1, 12, 0)
    move(clock, day_before)
    await run_debits(jobs_stub, day_before)
    assert (await billing.installment_debits(store.ctx, first.id))[0].status == "planned", "not due yet"
    due = local(first.due_on.year, first.due_on.month, first.due_on.day, 8, 5)
    move(clock, due)
    await run_debits(jobs_stub, due)
    [attempt] = await billing.installment_debits(store.ctx, first.id)
    assert attempt.status == "succeeded", attempt
    assert attempt.fee_fen == 29_800 * 300 // 10_000
    assert (await contracts.get_installment(store.ctx, first.id)).status == "paid"
    assert await billing.points_balance(store.ctx, c.customer_id) == 298
    balances = {b.code: b.balance_fen for b in await ledger.balances(store.ctx)}
    assert balances[f"customer_receivable:{c.contract_no}"] == 29_800 * 11
    sandbox = await store.sandbox()
    assert [d for d in sandbox.debits if d[0] == str(store.ctx.tenant_id)] == [
        (str(store.ctx.tenant_id), attempt.id, 29_800)]
    assert sandbox.funds(str(store.ctx.tenant_id))["held_fen"] == balances["store_funds_held"]
    assert [(t, e.sequence, e.attempt_id) for t, e in paid_listener.paid if e.contract_no == c.contract_no] == [
        (str(store.ctx.tenant_id), 1, attempt.id)]
    messages = await customers.list_messages(store.ctx, c.customer_id)
    assert any("扣款成功" in m.body and m.channel == "sms" for m in messages)
    # Ticking again (a duplicate message, a re-run) charges nothing more.
    await run_debits(jobs_stub, after_minutes(due, 10))
    await billing.process_attempt(store.ctx, attempt.id)
    assert len([d for d in sandbox.debits if d[0] == str(store.ctx.tenant_id)]) == 1
    assert len([e for _, e in paid_listener.paid if e.contract_no == c.contract_no]) == 1


def after_minutes(at: Any, minutes: int) -> Any:
    from datetime import timedelta

    return at + timedelta(minutes=minutes)


async def test_a_decline_is_retried_on_the_store_schedule_then_left_to_dunning(clock: Any, jobs_stub: Any) -> None:
    store = await new_store()
    await billing.set_retry_schedule(store.ctx, [24, 48], reason="test")
    c = await store.sign(amount=29_801, periods=12)
    first = await _first(store, c)
    due = local(first.due_on.year, first.due_on.month, first.due_on.day, 8, 5)
    move(clock, due)
    await run_debits(jobs_stub, due)
    attempts = await billing.installment_debits(store.ctx, first.id)
    assert [(a.attempt_no, a.status, a.error_code) for a in attempts] == [
        (1, "failed", "INSUFFICIENT_FUNDS"), (2, "planned", "")]
    assert attempts[1].next_attempt_at == after_minutes(due, 24 * 60)
    assert attempts[1].id != attempts[0].id
    assert (await contracts.get_installment(store.ctx, first.id)).status == "failed"
    for hours in (24, 24 + 48):
        at = after_minutes(due, hours * 60 + 1)
        move(clock, at)
        await run_debits(jobs_stub, at)
    attempts = await billing.installment_debits(store.ctx, first.id)
    assert [(a.attempt_no, a.status, a.trigger) for a in attempts] == [
        (1, "failed", "schedule"), (2, "failed", "retry"), (3, "failed", "retry")], "no retry beyond the schedule"
    assert [f.installment_id for f in await billing.failed_debits(store.ctx)] == [first.id]
    sandbox = await store.sandbox()
    assert not [d for d in sandbox.debits if d[0] == str(store.ctx.tenant_id)]


async def test_an_unknown_outcome_is_queried_before_anything_else(clock: Any, jobs_stub: Any) -> None:
    store = await new_store()
    c = await store.sign(amount=29_804, periods=12)  # sandbox: UNKNOWN TIMEOUT, the money was taken
    first = await _first(store, c)
    due = local(first.due_on.year, first.due_on.month, first.due_on.day, 8, 5)
    move(clock, due)
    await run_debits(jobs_stub, due)
    [attempt] = await billing.installment_debits(store.ctx, first.id)
    assert (attempt.status, attempt.error_code) == ("unknown", "TIMEOUT")
    assert (await contracts.get_installment(store.ctx, first.id)).status == "due"
    later = after_minutes(due, 3)
    move(clock, later)
    await run_debits(jobs_stub, later)
    [attempt] = await billing.installment_debits(store.ctx, first.id)
    assert attempt.status == "succeeded", "resolved by query_charge with the same attempt id"
    sandbox = await store.sandbox()
    assert [d[1] for d in sandbox.debits if d[0] == str(store.ctx.tenant_id)] == [attempt.id]
    balances = {b.code: b.balance_fen for b in await ledger.balances(store.ctx)}
    assert sandbox.funds(str(store.ctx.tenant_id))["held_fen"] == balances["store_funds_held"]


async def test_an_unknown_decline_becomes_a_failure_and_only_then_a_new_attempt(clock: Any, jobs_stub: Any) -> None:
    store = await new_store()
    c = await store.sign(amount=29_805, periods=12)  # sandbox: UNKNOWN, the query says declined
    first = await _first(store, c)
    due = local(first.due_on.year, first.due_on.month, first.due_on.day, 8, 5)
    move(clock, due)
    await run_debits(jobs_stub, due)
    assert [a.status for a in await billing.installment_debits(store.ctx, first.id)] == ["unknown"]
    later = after_minutes(due, 3)
    move(clock, later)
    await run_debits(jobs_stub, later)
    assert [(a.status, a.error_code) for a in await billing.installment_debits(store.ctx, first.id)] == [
        ("failed", "INSUFFICIENT_FUNDS"), ("planned", "")]


async def test_a_paused_or_closed_installment_is_not_debited(clock: Any, jobs_stub: Any) -> None:
    store = await new_store()
    c = await store.sign(periods=12)
    first, second = (await contracts.installments(store.ctx, c.id))[:2]
    await contracts.set_installment_status(store.ctx, first.id, "paused", reason="illness")
    await contracts.set_installment_status(store.ctx, second.id, "waived", reason="goodwill")
    due = local(second.due_on.year, second.due_on.month, second.due_on.day, 9, 0)
    move(clock, due)
    await run_debits(jobs_stub, due)
    assert [a.status for a in await billing.installment_debits(store.ctx, first.id)] == ["planned"]
    assert [a.status for a in await billing.installment_debits(store.ctx, second.id)] == ["cancelled"]
    sandbox = await store.sandbox()
    assert not [d for d in sandbox.debits if d[0] == str(store.ctx.tenant_id)]


async def test_another_store_sees_nothing(clock: Any) -> None:
    a = await new_store()
    b = await new_store()
    c = await a.sign(periods=12)
    first = await _first(a, c)
    from pawpay.platform.errors import NotFound

    with pytest.raises(NotFound):
        await billing.installment_debits(b.ctx, first.id)
    with pytest.raises(NotFound):
        await billing.get_attempt(b.ctx, billing.attempt_id_for(first.id, 1))
    with pytest.raises(NotFound):
        await billing.retry_now(b.ctx, first.id, reason="x")
    assert await billing.installment_reminders(b.ctx, first.id) == []
    assert await billing.points_balance(b.ctx, c.customer_id) == 0
    assert await billing.process_attempt(b.ctx, billing.attempt_id_for(first.id, 1)) is None


async def test_the_periodic_planner_catches_up_on_unplanned_installments(clock: Any, owner: Any) -> None:
    store = await new_store()
    c = await store.sign()
    schedule = await contracts.installments(store.ctx, c.id)
    # As if the signing listener had failed: no attempts and no reminders for this contract.
    await owner.execute("DELETE FROM debit_reminder WHERE tenant_id = $1", store.ctx.tenant_id)
    await owner.execute("DELETE FROM debit_attempt WHERE tenant_id = $1", store.ctx.tenant_id)
    assert await billing.plan_store(store.ctx) == len(schedule)
    assert await billing.plan_store(store.ctx) == 0
    for inst in schedule:
        assert [a.attempt_no for a in await billing.installment_debits(store.ctx, inst.id)] == [1]
        assert len(await billing.installment_reminders(store.ctx, inst.id)) == 1


async def test_an_attempt_not_yet_sent_charges_what_the_installment_owes_now(clock: Any, jobs_stub: Any) -> None:
    """A prepayment after the attempt was planned reduces the installment: the debit charges the new amount."""
    from datetime import UTC, datetime

    store = await new_store()
    c = await store.sign(periods=12)
    first = await _first(store, c)
    [planned] = await billing.installment_debits(store.ctx, first.id)
    assert planned.amount_fen == 29_800
    # From the last installment backwards: the 11 later ones are covered, the first is reduced by 9,900.
    await contracts.apply_prepayment(store.ctx, c.id, 29_800 * 11 + 9_900, reference="test-prepayment",
                                     paid_at=datetime.now(UTC))
    assert (await contracts.get_installment(store.ctx, first.id)).amount_fen == 19_900
    due = local(first.due_on.year, first.due_on.month, first.due_on.day, 8, 5)
    move(clock, due)
    await run_debits(jobs_stub, due)
    [attempt] = await billing.installment_debits(store.ctx, first.id)
    assert (attempt.status, attempt.amount_fen) == ("succeeded", 19_900)
    sandbox = await store.sandbox()
    assert (str(store.ctx.tenant_id), attempt.id, 19_900) in sandbox.debits
