"""Issue 7's "done when", as one test: a store in test mode, advanced through four months by its test clock
with the real scheduler and worker (billing's debits and reminders, the dunning ladder, pauses and
penalties, the daily settlement batch), shows

* on-time payers paid (one whose messages cannot be delivered gets "remind by phone" tasks instead),
* a payer who fails and recovers on retry (one mandate for three pets: the third debit of the day hits the
  rail's daily cap and the retry the next day succeeds),
* a payer who walks the ladder to day 30 (failure SMS, day-1 SMS, day-3 follow-up, day-7 extension,
  day-30 escalation — each step once),
* a paused contract (illness, one period: the schedule moves a month) and
* a terminated one with the right penalty (charged once, debits stopped, mandate terminated),

with every message in the sandbox inbox (reminders 48 h before, receipts, ladder SMS; never 22:00-08:00),
every task in the queues (also on the /admin/queues page), every staff action logged and every cent in
the ledger equal to the sandbox's own record of the money.
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest

from pawpay.platform.audit.services import AuditFilter, list_entries
from pawpay.platform.hooks import AgreementState
from pawpay.platform.jobs.services import advance_tenant_clock, tenant_now
from pawpay.platform.ledger import services as ledger
from pawpay.platform.providers.services import provider_for
from pawpay.platform.settlement.due import DAILY_SETTLEMENT, SETTLEMENT_QUEUE
from pawpay.tenants.billing import services as billing
from pawpay.tenants.billing.due import BILLING_QUEUE, DEBIT_ATTEMPTS, DEBIT_REMINDERS
from pawpay.tenants.contracts import services as contracts
from pawpay.tenants.customers import services as customers
from pawpay.tenants.dunning import endings, rules
from pawpay.tenants.dunning import penalty as penalties
from pawpay.tenants.dunning import services as dunning
from pawpay.tenants.dunning.due import DUE_WORK, DUNNING_QUEUE
from tests.integration.billing.conftest import new_store
from tests.integration.contracts.conftest import add_customer, evidence, plan_for
from tests.integration.dunning.conftest import SHANGHAI, move_to_local
from tests.integration.dunning.test_penalty import signed_termination

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("pawpay_database")]

STEP = timedelta(hours=3)
ZONE = "Asia/Shanghai"
PERIODS = 12


async def _sign(ctx: Any, plan: Any, customer: Any, pet: Any, agreement: str) -> Any:
    draft = await contracts.create_draft(ctx, customer_id=customer.id, pet_id=pet.id, plan_id=plan.id,
                                         plan_version=plan.version, debit_day=10, channel="h5", started_by="customer")
    await contracts.mark_pending_signature(ctx, draft.id)
    return await contracts.activate(ctx, draft.id, evidence=evidence(payment_agreement_reference=agreement))


async def _payer(ctx: Any, amount: int, phone: str, openid: str = "") -> Any:
    plan = await plan_for(ctx, periods=PERIODS, amount=amount)
    customer, pet = await add_customer(ctx, phone=phone, openid=openid)
    return await _sign(ctx, plan, customer, pet, f"agr-{uuid.uuid4().hex[:16]}")


def _local(at: datetime) -> datetime:
    return at.astimezone(SHANGHAI)


async def _at_local(ctx: Any, day: date, hour: int) -> None:
    """Move the store clock forward to ``day`` ``hour``:00 Beijing time (never backwards)."""
    target = datetime.combine(day, time(hour), tzinfo=SHANGHAI)
    now = await tenant_now(ctx)
    if target > now:
        await advance_tenant_clock(ctx, int((target - now).total_seconds()) + 1)


async def test_four_months_of_collections_on_the_store_clock(  # noqa: PLR0912 - one story, told in order
        jobs_stub: Any, new_browser: Any) -> None:
    store = await new_store()
    ctx = store.ctx
    await move_to_local(ctx, 10)

    # --- the payers -----------------------------------------------------------------------------------
    on_time = await _payer(ctx, 29_800, "13912347001", openid="ox_four_months_a")
    unreachable = await _payer(ctx, 19_900, "13800000008")  # the SMS gateway faults on this number: no contact
    family_customer, first_pet = await add_customer(ctx, phone="13912347003", openid="ox_four_months_f")
    family_agreement = f"agr-family-{uuid.uuid4().hex[:12]}"
    family = []
    for amount in (200_000, 200_000, 100_100):  # 5,001 CNY a day on one mandate: over the 5,000 daily cap
        pet = first_pet if not family else await customers.add_pet(
            ctx, family_customer.id, name=f"小{len(family)}", species="cat", breed="英短", birthday=date(2026, 3, 1),
            adoption_date=date(2026, 6, 1))
        family.append(await _sign(ctx, await plan_for(ctx, periods=PERIODS, amount=amount), family_customer, pet,
                                  family_agreement))
    walker = await _payer(ctx, 29_801, "13912347004")  # every debit declined (INSUFFICIENT_FUNDS)
    paused = await _payer(ctx, 29_800, "13912347005")
    terminated = await _payer(ctx, 29_800, "13912347006", openid="ox_four_months_t")
    everyone = [on_time, unreachable, *family, walker, paused, terminated]
    original = {c.id: await contracts.installments(ctx, c.id) for c in everyone}
    due = [i.due_on for i in original[on_time.id][:4]]  # the four debit days (the 10th of four months)
    assert all(original[c.id][0].due_on == due[0] for c in everyone)
    end = datetime.combine(due[3] + timedelta(days=8), time(10), tzinfo=SHANGHAI)

    # --- four months on the store's test clock ---------------------------------------------------------------
    scheduler = jobs_stub.scheduler([DEBIT_ATTEMPTS, DEBIT_REMINDERS, *DUE_WORK, DAILY_SETTLEMENT])

    async def run_due_work() -> None:
        await scheduler.tick(datetime.now(UTC))
        for queue in (BILLING_QUEUE, DUNNING_QUEUE, SETTLEMENT_QUEUE):
            await jobs_stub.join(queue)

    # Nothing is due until the first reminders: the admin's "advance 1 day" button, a day at a time.
    while _local(await tenant_now(ctx)).date() < due[0] - timedelta(days=4):
        await billing.advance_clock(ctx, "day")
        await run_due_work()
    staff_done: dict[str, bool] = {"pause": False, "call": False, "termination": False}
    while (now := await tenant_now(ctx)) < end:
        here = _local(now)
        if not staff_done["pause"] and here.date() >= due[0] + timedelta(days=5) and 10 <= here.hour < 20:
            # The pet is ill: one period paused by agreement, the schedule moves a month.
            await endings.pause_for_illness(ctx, paused.id, periods=1, reason="猫咪肠胃炎住院",
                                            agreement="店长与客户电话约定暂停一期")
            staff_done["pause"] = True
        if not staff_done["call"] and here.date() >= due[0] + timedelta(days=4) and 10 <= here.hour < 20:
            # The day-3 follow-up: staff call the walker and note it on the installment.
            await dunning.record_call(ctx, original[walker.id][0].id, note="客户称本月资金紧张", outcome="reached")
            staff_done["call"] = True
        if not staff_done["termination"] and here.date() >= due[1] + timedelta(days=5) and 10 <= here.hour < 20:
            signing = await signed_termination(ctx, terminated.id, reason="客户搬家到外地")
            ending = await endings.complete_termination(ctx, signing.id)
            staff_done["termination"] = True
        await run_due_work()
        await advance_tenant_clock(ctx, int(STEP.total_seconds()))
    await run_due_work()
    assert all(staff_done.values()), staff_done

    async def statuses(contract: Any) -> list[str]:
        return [i.status for i in await contracts.installments(ctx, contract.id)][:5]

    async def attempts(contract: Any, sequence: int) -> list[Any]:
        inst = (await contracts.installments(ctx, contract.id))[sequence - 1]
        return await billing.installment_debits(ctx, inst.id)

    # --- on-time payers: four periods paid, each by its first attempt ------------------------------------------
    for c in (on_time, unreachable):
        assert await statuses(c) == ["paid"] * 4 + ["due"]
        for n in range(1, 5):
            assert [(a.attempt_no, a.status) for a in await attempts(c, n)] == [(1, "succeeded")]

    # --- the family: the daily cap declines one debit a month, the retry 24 h later collects it ---------------
    failed_by_month: Counter[int] = Counter()
    for c in family:
        assert await statuses(c) == ["paid"] * 4 + ["due"]
        for n in range(1, 5):
            tries = await attempts(c, n)
            assert tries[-1].status == "succeeded"
            if len(tries) > 1:
                assert [(a.attempt_no, a.status, a.error_code) for a in tries] == [
                    (1, "failed", "DAILY_LIMIT_EXCEEDED"), (2, "succeeded", "")]
                assert tries[1].resolved_at - tries[0].resolved_at >= timedelta(hours=24)
                failed_by_month[n] += 1
                case = await dunning.get_case(ctx, tries[0].installment_id)
                assert case is not None
                assert (case.status, case.failures) == ("closed", 1)
    assert failed_by_month == {1: 1, 2: 1, 3: 1, 4: 1}, "exactly one family debit a month hits the cap"

    # --- the walker: every debit declined, the first installment walked the ladder to day 30 ---------------
    assert await statuses(walker) == ["failed"] * 4 + ["due"]
    retry_offsets = await billing.retry_schedule(ctx)
    for n in range(1, 5):
        assert [a.status for a in await attempts(walker, n)] == ["failed"] * (1 + len(retry_offsets))
    walker_inst = await contracts.installments(ctx, walker.id)
    first_case = await dunning.get_case(ctx, walker_inst[0].id)
    assert first_case is not None
    assert first_case.status == "open"
    assert first_case.steps_done == [0, 0, 1, 3, 7, 30]
    for inst in walker_inst[1:4]:
        case = await dunning.get_case(ctx, inst.id)
        assert case is not None
        assert len(case.steps_done) == len(set(case.steps_done)) + 1, "each step once (day 0 has two)"
        assert case.steps_done[:5] == [0, 0, 1, 3, 7]
    overdue = dict(await dunning.overdue_by_step(ctx))
    assert walker_inst[0].id in [r.installment_id for r in overdue[30]]

    # --- the paused contract: no debit in month 2, the schedule one month later --------------------------------
    now_paused = await contracts.installments(ctx, paused.id)
    assert [i.status for i in now_paused][:4] == ["paid", "paid", "paid", "due"]
    assert [i.due_on for i in now_paused[1:4]] == [due[2], due[3], rules.add_months(due[3], 1)]
    assert not [a for a in await attempts(paused, 2) if a.resolved_at and _local(a.resolved_at).date() < due[2]]
    [pause] = await endings.list_pauses(ctx, paused.id)
    assert (pause.status, pause.periods) == ("ended", 1)
    assert (await contracts.get_contract(ctx, paused.id)).end_on == rules.add_months(
        (await contracts.get_contract(ctx, on_time.id)).end_on, 1)

    # --- the terminated contract: penalty charged once, debits stopped, mandate terminated ----------------------
    remaining = (PERIODS - 2) * 29_800
    expected_penalty = (remaining * 1000 * 2 + 10_000) // 20_000  # 10%, half up to the fen
    assert ending.penalty_fen == expected_penalty == 29_800
    assert await statuses(terminated) == ["paid", "paid", "cancelled", "cancelled", "cancelled"]
    assert (await contracts.get_contract(ctx, terminated.id)).state == "terminated"
    [pen] = await penalties.list_penalties(ctx, contract_id=terminated.id)
    assert (pen.status, pen.amount_fen, pen.mandate, pen.charge_at) == ("succeeded", 29_800, "succeeded", None)
    assert (await endings.get_ending(ctx, ending.id)).agreement_result == "succeeded"
    sandbox, pctx = await store.sandbox(), await store.pctx()
    tenant = str(ctx.tenant_id)
    assert (await sandbox.query_agreement(pctx, "agr_terminated_check")).state is AgreementState.NOT_FOUND
    evidence_t = await contracts.get_evidence(ctx, terminated.id)
    assert (await sandbox.query_agreement(pctx, evidence_t.payment_agreement_reference)).state is \
        AgreementState.TERMINATED
    charged_after = [a for n in range(3, 6) for a in await attempts(terminated, n) if a.submitted_at is not None]
    assert charged_after == [], "no debit after the termination"

    # --- the sandbox's record of the money -------------------------------------------------------------------------
    charges = [c for c in sandbox.charges(tenant) if c["status"] == "succeeded"]
    made = [d for d in sandbox.debits if d[0] == tenant]
    assert len(made) == len({d[1] for d in made}) == len(charges), "each attempt charged once"
    assert [d[1] for d in made if d[1].startswith("pen-")] == [pen.attempt_id]
    paid_installments = 0
    for c in everyone:
        paid_installments += sum(i.amount_fen for i in await contracts.installments(ctx, c.id) if i.status == "paid")
    assert sum(c["amount_fen"] for c in charges) == paid_installments + 29_800

    # --- every cent in the ledger ------------------------------------------------------------------------------------
    books = {b.code: b.balance_fen for b in await ledger.balances(ctx)}
    funds = sandbox.funds(tenant)
    fees = sum(c["platform_fee_fen"] for c in charges)
    assert books["platform_fee"] == fees
    assert books["store_funds_held"] + books.get("deposit_held", 0) + books.get("store_funds_released", 0) == \
        funds["held_fen"] + funds["released_fen"] == paid_installments + 29_800 - fees
    assert books.get("store_funds_released", 0) == funds["released_fen"]
    for c in everyone:
        owed = sum(i.amount_fen for i in await contracts.installments(ctx, c.id) if i.status in ("due", "failed",
                                                                                              "paused"))
        assert books[f"customer_receivable:{c.contract_no}"] == owed, c.contract_no
    totals = sum(c.total_fen for c in everyone)
    assert books["contract_sales"] == totals - remaining
    assert books[penalties.PENALTY_INCOME] == 29_800
    assert books[f"customer_receivable:{terminated.contract_no}:penalty"] == 0
    # The penalty is a collection like a debit: the settlement batch holds and releases it on T+N.
    from pawpay.platform.settlement import services as settlement

    item = await settlement.get_item(ctx, pen.attempt_id)
    assert (item.amount_fen, item.contract_ref) == (29_800, f"{terminated.contract_no}:penalty")
    by_attempt = {c["attempt_id"]: c for c in charges}
    december = await settlement.get_item(ctx, (await attempts(on_time, 1))[0].id)
    assert (december.status, by_attempt[december.attempt_id]["released"]) == ("released", True), "the batch ran"
    # Collected the same month as the terminated contract's second debit: settled the same way (a 2027
    # day waits while the test database's business calendar does not cover that year).
    january = await settlement.get_item(ctx, (await attempts(terminated, 2))[0].id)
    assert item.status == january.status
    assert by_attempt[pen.attempt_id]["released"] == by_attempt[january.attempt_id]["released"] == (
        item.status == "released")

    # --- every message in the sandbox inbox, none in the quiet hours ----------------------------------------------
    notifier, npctx = await provider_for(ctx, "notifications")
    inbox = notifier.inbox(npctx)
    for message in inbox:
        assert not rules.is_quiet(message.sent_at, ZONE), message
    assert len({m.message_id for m in inbox}) == len(inbox), "no message twice"

    def sms(phone: str, template: str) -> list[Any]:
        return [m for m in inbox if m.recipient == phone and m.template == template]

    for c, phone, months in ((on_time, "13912347001", 4), (walker, "13912347004", 4), (paused, "13912347005", 3),
                             (terminated, "13912347006", 2)):
        reminders = sorted(sms(phone, billing.REMINDER_SMS_TEMPLATE), key=lambda m: m.sent_at)
        assert len(reminders) == months, (c.contract_no, len(reminders))
        for message in reminders:  # 48 hours before the debit day, in the daytime
            debit_on = date.fromisoformat(message.params["debit_on"])
            assert _local(message.sent_at).date() == debit_on - timedelta(days=2)
    assert len(sms("13912347001", billing.RECEIPT_SMS_TEMPLATE)) == 4
    assert Counter(m.template for m in inbox if m.recipient == "ox_four_months_a") == {
        "contract_signed": 1, billing.REMINDER_MP_TEMPLATE: 4, billing.RECEIPT_MP_TEMPLATE: 4}, "by mini-program too"
    assert len(sms("13912347003", billing.REMINDER_SMS_TEMPLATE)) == 12
    assert len(sms("13912347003", billing.RECEIPT_SMS_TEMPLATE)) == 12
    assert len(sms("13912347003", "DUNNING_FAILED_SMS")) == 4
    assert len(sms("13912347004", billing.RECEIPT_SMS_TEMPLATE)) == 0
    assert Counter(m.params["sequence"] for m in sms("13912347004", "DUNNING_FAILED_SMS")) == {
        "1": 1, "2": 1, "3": 1, "4": 1}
    assert Counter(m.params["sequence"] for m in sms("13912347004", "DUNNING_DAY1_SMS")) == {
        "1": 1, "2": 1, "3": 1, "4": 1}
    assert Counter(m.params["sequence"] for m in sms("13912347004", "DUNNING_EXTENSION_SMS")) == {
        "1": 1, "2": 1, "3": 1, "4": 1}
    assert len(sms("13912347005", billing.RECEIPT_SMS_TEMPLATE)) == 3
    assert len(sms("13912347006", billing.RECEIPT_SMS_TEMPLATE)) == 2
    [receipt] = sms("13912347006", penalties.RECEIPT_SMS_TEMPLATE)
    assert receipt.params["amount"] == "298.00"
    assert not [m for m in inbox if m.recipient == "13800000008"], "nothing reached the unreachable payer"

    # --- every task in the queues -----------------------------------------------------------------------------------
    tasks = await dunning.list_tasks(ctx, status=None)
    by_kind = Counter((t.kind, t.contract_id) for t in tasks)
    assert by_kind[("remind_by_phone", unreachable.id)] == 4, "each undelivered reminder: a phone task"
    assert by_kind[("follow_up", walker.id)] == 4
    # Day 30 came for the first three periods (the fourth failed eight days before the end).
    assert sorted(t.installment_id for t in tasks if t.kind == "escalation") == sorted(i.id for i in walker_inst[:3])
    assert sorted(t.installment_id for t in tasks if t.kind == "follow_up") == sorted(i.id for i in walker_inst[:4])
    assert not [t for t in tasks if t.contract_id in {c.id for c in (on_time, *family, paused, terminated)}]
    browser = await new_browser()
    await browser.sign_in(store.s.store.manager_email)
    page = await browser.get("/admin/queues")
    assert page.status_code == 200
    assert walker.contract_no in page.text
    assert unreachable.contract_no in page.text
    for t in tasks:
        if t.status == "open" and t.note:
            assert t.note.split("，")[0][:12] in page.text, t.note

    # --- every staff action logged -----------------------------------------------------------------------------------
    actions = [(a.kind, a.contract_id) for a in await dunning.list_actions(ctx, limit=500)]
    for kind, contract_id in (("illness_pause", paused.id), ("call_recorded", walker.id),
                              ("retention_offered", terminated.id), ("retention_declined", terminated.id),
                              ("termination_signing_started", terminated.id), ("terminated", terminated.id),
                              ("penalty_collected", terminated.id)):
        assert (kind, contract_id) in actions, kind
    audited, _ = await list_entries(ctx, AuditFilter(action="dunning.terminated"))
    assert len(audited) == 1
