"""Fault tests: duplicate and reordered provider webhooks change nothing; a late success settles the
same attempt once. Reminders 48 h before, once, never in quiet hours; undelivered → a phone task."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from pawpay.platform.ledger import services as ledger
from pawpay.platform.webhooks.services import receive
from pawpay.tenants.billing import services as billing
from pawpay.tenants.contracts import services as contracts
from pawpay.tenants.dunning import services as dunning
from tests.integration.billing.conftest import local, move, new_store, run_debits
from tests.integration.sandbox_webhooks import charge_webhook, process_pending_webhooks

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("pawpay_database")]

async def _pending_attempt(clock: Any, jobs: Any, store: Any) -> tuple[Any, Any, Any]:
    c = await store.sign(amount=29_806)  # sandbox: PENDING, success comes later (query or webhook)
    first = (await contracts.installments(store.ctx, c.id))[0]
    due = local(first.due_on.year, first.due_on.month, first.due_on.day, 8, 5)
    move(clock, due)
    await run_debits(jobs, due)
    [attempt] = await billing.installment_debits(store.ctx, first.id)
    assert attempt.status == "unknown"
    return c, first, attempt


async def _books(store: Any) -> dict[str, int]:
    return {b.code: b.balance_fen for b in await ledger.balances(store.ctx)}


async def test_a_late_success_webhook_settles_the_attempt_once(clock: Any, jobs_stub: Any,
                                                                 paid_listener: Any) -> None:
    store = await new_store()
    c, first, attempt = await _pending_attempt(clock, jobs_stub, store)
    sandbox, pctx = await store.sandbox(), await store.pctx()
    raw = sandbox.build_webhook(pctx, attempt.id)
    for _ in range(3):  # the vendor retries its delivery
        await receive("payments", "sandbox", store.ctx.tenant_id, raw)
    assert await process_pending_webhooks(store.ctx.tenant_id) == 1, "one event, the replays are duplicates"
    [after] = await billing.installment_debits(store.ctx, first.id)
    assert after.status == "succeeded"
    assert (await contracts.get_installment(store.ctx, first.id)).status == "paid"
    # The recheck the attempt had booked finds nothing to do.
    later = local(first.due_on.year, first.due_on.month, first.due_on.day, 8, 10)
    move(clock, later)
    await run_debits(jobs_stub, later)
    assert next(e for _, e in paid_listener.paid if e.contract_no == c.contract_no).attempt_id == attempt.id
    assert len([e for _, e in paid_listener.paid if e.contract_no == c.contract_no]) == 1
    assert [d[1] for d in sandbox.debits if d[0] == str(store.ctx.tenant_id)] == [attempt.id]
    books = await _books(store)
    assert sandbox.funds(str(store.ctx.tenant_id))["held_fen"] == books["store_funds_held"]
    assert await billing.points_balance(store.ctx, c.customer_id) == 298


@pytest.mark.parametrize("order", [("failed", "succeeded", "succeeded", "failed"),
                                   ("succeeded", "failed", "succeeded"),
                                   ("failed", "failed", "succeeded")])
async def test_reordered_and_duplicated_webhooks_change_nothing(clock: Any, jobs_stub: Any, order: Any) -> None:
    store = await new_store()
    c, first, attempt = await _pending_attempt(clock, jobs_stub, store)
    sandbox, pctx = await store.sandbox(), await store.pctx()
    sandbox.build_webhook(pctx, attempt.id)  # the vendor resolves the charge (succeeded)
    for status in order:
        raw = charge_webhook(store, pctx, attempt.id, status, 29_806)
        await receive("payments", "sandbox", store.ctx.tenant_id, raw)
        await process_pending_webhooks(store.ctx.tenant_id)
    # A failure event never settles by itself: it makes the attempt due for a query, which is authoritative.
    later = local(first.due_on.year, first.due_on.month, first.due_on.day, 8, 6)
    move(clock, later)
    await run_debits(jobs_stub, later)
    attempts = await billing.installment_debits(store.ctx, first.id)
    assert [(a.id, a.status) for a in attempts] == [(attempt.id, "succeeded")], "no second attempt"
    books = await _books(store)
    assert books[f"customer_receivable:{c.contract_no}"] == 29_806 * 11
    assert sandbox.funds(str(store.ctx.tenant_id))["held_fen"] == books["store_funds_held"]


async def test_reminder_48_hours_before_once_with_the_rails_notice(clock: Any, jobs_stub: Any) -> None:
    store = await new_store()
    c = await store.sign()
    first = (await contracts.installments(store.ctx, c.id))[0]
    at = local(first.due_on.year, first.due_on.month, first.due_on.day, 8, 0) - timedelta(hours=48)
    move(clock, at)
    await run_debits(jobs_stub, at, reminders=True)
    [reminder] = await billing.installment_reminders(store.ctx, first.id)
    assert reminder.status == "sent"
    assert reminder.outcomes == {"notice": "succeeded", "sms": "succeeded", "mini_program": "succeeded"}
    notifier, npctx = await store.notifier()
    person = await _contact(store, c.customer_id)
    inbox = [m for m in notifier.inbox(npctx, recipient=person.phone) if m.message_id.startswith("reminder-")]
    assert len(inbox) == 1
    again = at + timedelta(hours=3)
    move(clock, again)
    await run_debits(jobs_stub, again, reminders=True)
    await billing.process_reminder(store.ctx, reminder.id)
    assert len([m for m in notifier.inbox(npctx, recipient=person.phone)
                if m.message_id.startswith("reminder-")]) == 1, "never twice"


async def _contact(store: Any, customer_id: Any) -> Any:
    from pawpay.tenants.customers import services as customers

    return await customers.contact(store.ctx, customer_id)


async def test_reminders_wait_out_quiet_hours(clock: Any, jobs_stub: Any) -> None:
    store = await new_store()
    c = await store.sign()
    first = (await contracts.installments(store.ctx, c.id))[0]
    night = local(first.due_on.year, first.due_on.month, first.due_on.day, 23, 0) - timedelta(days=2)
    move(clock, night)
    await run_debits(jobs_stub, night, reminders=True)
    [reminder] = await billing.installment_reminders(store.ctx, first.id)
    assert reminder.status == "planned"
    assert reminder.send_at == local(first.due_on.year, first.due_on.month, first.due_on.day, 8, 0) - timedelta(
        days=1)
    morning = reminder.send_at
    move(clock, morning)
    await run_debits(jobs_stub, morning, reminders=True)
    assert (await billing.installment_reminders(store.ctx, first.id))[0].status == "sent"


async def test_an_undelivered_reminder_becomes_a_phone_task(clock: Any, jobs_stub: Any) -> None:
    store = await new_store()
    c = await store.sign(phone="13800000008", openid="")  # the sandbox SMS gateway faults; no mini-program
    first = (await contracts.installments(store.ctx, c.id))[0]
    at = local(first.due_on.year, first.due_on.month, first.due_on.day, 8, 0) - timedelta(hours=48)
    move(clock, at)
    await run_debits(jobs_stub, at, reminders=True)
    [reminder] = await billing.installment_reminders(store.ctx, first.id)
    assert reminder.status == "undelivered"
    tasks = await dunning.list_tasks(store.ctx, kind="remind_by_phone")
    assert [t.installment_id for t in tasks] == [first.id]
