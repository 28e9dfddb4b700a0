"""Staff one-click actions (used by the dunning work queues): retry now, send a reminder now, move the
debit date; refused with a clear reason when they cannot be done."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from pawpay.platform.errors import BusinessRuleViolation, Conflict, ValidationFailed
from pawpay.tenants.billing import services as billing
from pawpay.tenants.contracts import services as contracts
from tests.integration.billing.conftest import local, move, new_store, run_debits

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("pawpay_database")]


async def test_retry_now_after_a_decline_is_a_new_attempt_and_refusals_say_why(clock: Any, jobs_stub: Any) -> None:
    store = await new_store()
    c = await store.sign(amount=29_801)
    first = (await contracts.installments(store.ctx, c.id))[0]
    due = local(first.due_on.year, first.due_on.month, first.due_on.day, 8, 5)
    move(clock, due)
    await run_debits(jobs_stub, due)
    noon = due + timedelta(hours=4)
    move(clock, noon)
    attempt = await billing.retry_now(store.ctx, first.id, reason="客户说已充值")
    assert (attempt.attempt_no, attempt.trigger, attempt.status) == (2, "staff", "failed"), "the planned retry, now"
    with pytest.raises(ValidationFailed):
        await billing.retry_now(store.ctx, first.id, reason=" ")
    night = local(first.due_on.year, first.due_on.month, first.due_on.day, 23, 0)
    move(clock, night)
    with pytest.raises(Conflict) as refused:
        await billing.retry_now(store.ctx, first.id, reason="夜间")
    assert refused.value.code == "DEBIT_OUTSIDE_HOURS"
    with pytest.raises(Conflict) as quiet:
        await billing.send_reminder_now(store.ctx, first.id, reason="夜间")
    assert quiet.value.code == "REMINDER_QUIET_HOURS"


async def test_retry_now_is_refused_while_an_attempt_is_in_flight_or_once_paid(clock: Any, jobs_stub: Any) -> None:
    store = await new_store()
    c = await store.sign(amount=29_804)  # UNKNOWN first
    first = (await contracts.installments(store.ctx, c.id))[0]
    due = local(first.due_on.year, first.due_on.month, first.due_on.day, 8, 5)
    move(clock, due)
    await run_debits(jobs_stub, due)
    with pytest.raises(Conflict) as in_flight:
        await billing.retry_now(store.ctx, first.id, reason="重试")
    assert in_flight.value.code == "DEBIT_IN_FLIGHT"
    later = due + timedelta(minutes=3)
    move(clock, later)
    await run_debits(jobs_stub, later)
    with pytest.raises(Conflict) as paid:
        await billing.retry_now(store.ctx, first.id, reason="重试")
    assert paid.value.code == "INSTALLMENT_NOT_OPEN"


async def test_move_the_debit_date_and_send_a_reminder_now(clock: Any, jobs_stub: Any) -> None:
    store = await new_store()
    c = await store.sign()
    first, second = (await contracts.installments(store.ctx, c.id))[:2]
    new_day = first.due_on + timedelta(days=4)
    await billing.move_debit_date(store.ctx, first.id, new_day, reason="客户发薪日")
    [attempt] = await billing.installment_debits(store.ctx, first.id)
    assert attempt.next_attempt_at == local(new_day.year, new_day.month, new_day.day, 8, 0)
    assert {(r.due_on, r.status) for r in await billing.installment_reminders(store.ctx, first.id)} == {
        (first.due_on, "skipped"), (new_day, "planned")}
    for bad in (first.due_on - timedelta(days=1), second.due_on, first.due_on + timedelta(days=8)):
        with pytest.raises(BusinessRuleViolation):
            await billing.move_debit_date(store.ctx, first.id, bad, reason="x")
    # The original due date passes without a debit; the new one is collected.
    old = local(first.due_on.year, first.due_on.month, first.due_on.day, 9, 0)
    move(clock, old)
    await run_debits(jobs_stub, old, reminders=True)
    assert (await billing.installment_debits(store.ctx, first.id))[0].status == "planned"
    remind = local(new_day.year, new_day.month, new_day.day, 8, 0) - timedelta(hours=48)
    move(clock, remind)
    await run_debits(jobs_stub, remind, reminders=True)
    assert {(r.due_on, r.status) for r in await billing.installment_reminders(store.ctx, first.id)} == {
        (first.due_on, "skipped"), (new_day, "sent")}
    at = local(new_day.year, new_day.month, new_day.day, 8, 5)
    move(clock, at)
    await run_debits(jobs_stub, at)
    assert (await billing.installment_debits(store.ctx, first.id))[0].status == "succeeded"
    await billing.send_reminder_now(store.ctx, second.id, reason="客户要求")
    notifier, npctx = await store.notifier()
    assert any(m.message_id.startswith("reminder-staff-") for m in notifier.inbox(npctx))


async def test_a_reminder_for_a_date_the_installment_moved_away_from_is_skipped(clock: Any, jobs_stub: Any,
                                                                                 owner: Any) -> None:
    store = await new_store()
    c = await store.sign()
    first = (await contracts.installments(store.ctx, c.id))[0]
    # As a pause does (contracts moves the due date later; billing plans the new date's reminder).
    await owner.execute("UPDATE installment SET due_on = due_on + 7 WHERE id = $1", first.id)
    moved = await contracts.get_installment(store.ctx, first.id)
    await billing.plan_installments(store.ctx, [moved])
    at = local(first.due_on.year, first.due_on.month, first.due_on.day, 8, 0) - timedelta(hours=48)
    move(clock, at)
    await run_debits(jobs_stub, at, reminders=True)
    assert {(r.due_on, r.status) for r in await billing.installment_reminders(store.ctx, first.id)} == {
        (first.due_on, "skipped"), (moved.due_on, "planned")}
    # The planned attempt re-times itself to the new due date.
    old = local(first.due_on.year, first.due_on.month, first.due_on.day, 8, 5)
    move(clock, old)
    await run_debits(jobs_stub, old)
    [attempt] = await billing.installment_debits(store.ctx, first.id)
    assert attempt.status == "planned"
    assert attempt.next_attempt_at == local(moved.due_on.year, moved.due_on.month, moved.due_on.day, 8, 0)
