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
from dataclasses import dataclass, field
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


@dataclass
class Story:
    """The store and its six payers' eight contracts (the family payer has three, on one mandate)."""

    store: Any
    on_time: Any
    unreachable: Any
    family: list[Any]
    walker: Any
    paused: Any
    terminated: Any
    due: list[date] = field(default_factory=list)  # the four debit days
    ending: Any = None

    @property
    def ctx(self) -> Any:
        return self.store.ctx

    @property
    def everyone(self) -> list[Any]:
        return [self.on_time, self.unreachable, *self.family, self.walker, self.paused, self.terminated]

    async def statuses(self, contract: Any) -> list[str]:
        return [i.status for i in await contracts.installments(self.ctx, contract.id)][:5]

    async def attempts(self, contract: Any, sequence: int) -> list[Any]:
        inst = (await contracts.installments(self.ctx, contract.id))[sequence - 1]
        return await billing.installment_debits(self.ctx, inst.id)


async def _sign_everyone() -> Story:
    store = await new_store()
    ctx = store.ctx
    await move_to_local(ctx, 10)
    on_time = await _payer(ctx, 29_800, "13912347001", openid="ox_four_months_a")
    unreachable = await _payer(ctx, 19_900, "13800000008")  # the SMS gateway faults on this number: no contact
    family_customer, first_pet = await add_customer(ctx, phone="13912347003", openid="ox_four_months_f")
    family_agreement = f"agr-family-{uuid.uuid4().hex[:12]}"
    family: list[Any] = []
    for amount in (200_000, 200_000, 100_100):  # 5,001 CNY a day on one mandate: over the 5,000 daily cap
        pet = first_pet if not family else await customers.add_pet(
            ctx, family_customer.id, name=f"小{len(family)}", species="cat", breed="英短", birthday=date(2026, 3, 1),
            adoption_date=date(2026, 6, 1))
        family.append(await _sign(ctx, await plan_for(ctx, periods=PERIODS, amount=amount), family_customer, pet,
                                  family_agreement))
    story = Story(store, on_time, unreachable, family,
                  walker=await _payer(ctx, 29_801, "13912347004"),  # every debit declined (INSUFFICIENT_FUNDS)
                  paused=await _payer(ctx, 29_800, "13912347005"),
                  terminated=await _payer(ctx, 29_800, "13912347006", openid="ox_four_months_t"))
    firsts = [(await contracts.installments(ctx, c.id))[0].due_on for c in story.everyone]
    assert len(set(firsts)) == 1
    story.due = [i.due_on for i in (await contracts.installments(ctx, on_time.id))[:4]]
    return story


async def _live_four_months(story: Story, jobs: Any, browser: Any) -> None:
    """The store's clock moves a day at a time until the first reminders, then 3 hours at a time (through
    the nights) until eight days after the fourth debit day; staff act on the days they would."""
    ctx = story.ctx
    scheduler = jobs.scheduler([DEBIT_ATTEMPTS, DEBIT_REMINDERS, *DUE_WORK, DAILY_SETTLEMENT])

    async def run_due_work() -> None:
        await scheduler.tick(datetime.now(UTC))
        for queue in (BILLING_QUEUE, DUNNING_QUEUE, SETTLEMENT_QUEUE):
            await jobs.join(queue)

    async def call_the_walker() -> None:
        # The day-3 follow-up, through the queue page: the call noted on the installment.
        path = f"/admin/queues/installments/{(await contracts.installments(ctx, story.walker.id))[0].id}"
        done = await browser.submit(f"{path}/call", {"outcome": "reached", "note": "客户称本月资金紧张"},
                                    csrf_from=path)
        assert done.status_code == 303, done.text

    async def pause_the_ill_pet() -> None:
        await endings.pause_for_illness(ctx, story.paused.id, periods=1, reason="猫咪肠胃炎住院",
                                        agreement="店长与客户电话约定暂停一期")

    async def terminate() -> None:
        signing = await signed_termination(ctx, story.terminated.id, reason="客户搬家到外地")
        story.ending = await endings.complete_termination(ctx, signing.id)

    staff = [(story.due[0] + timedelta(days=4), call_the_walker), (story.due[0] + timedelta(days=5), pause_the_ill_pet),
             (story.due[1] + timedelta(days=5), terminate)]
    # Nothing is due until the first reminders: the admin's "advance 1 day", a day at a time.
    while _local(await tenant_now(ctx)).date() < story.due[0] - timedelta(days=4):
        await billing.advance_clock(ctx, "day")
        await run_due_work()
    end = datetime.combine(story.due[3] + timedelta(days=8), time(10), tzinfo=SHANGHAI)
    while (now := await tenant_now(ctx)) < end:
        here = _local(now)
        while staff and here.date() >= staff[0][0] and 10 <= here.hour < 20:
            await staff.pop(0)[1]()
        await run_due_work()
        await advance_tenant_clock(ctx, int(STEP.total_seconds()))
    await run_due_work()
    assert not staff, "every staff action happened"


async def _check_installments(story: Story) -> None:
    ctx = story.ctx
    # On-time payers: four periods paid, each by its first attempt.
    for c in (story.on_time, story.unreachable):
        assert await story.statuses(c) == ["paid"] * 4 + ["due"]
        for n in range(1, 5):
            assert [(a.attempt_no, a.status) for a in await story.attempts(c, n)] == [(1, "succeeded")]
    # The family: the daily cap declines one debit a month, the retry 24 h later collects it.
    failed_by_month: Counter[int] = Counter()
    for c in story.family:
        assert await story.statuses(c) == ["paid"] * 4 + ["due"]
        for n in range(1, 5):
            tries = await story.attempts(c, n)
            assert tries[-1].status == "succeeded"
            if len(tries) == 1:
                continue
            assert [(a.attempt_no, a.status, a.error_code) for a in tries] == [
                (1, "failed", "DAILY_LIMIT_EXCEEDED"), (2, "succeeded", "")]
            assert tries[1].resolved_at - tries[0].resolved_at >= timedelta(hours=24)
            failed_by_month[n] += 1
            case = await dunning.get_case(ctx, tries[0].installment_id)
            assert case is not None
            assert (case.status, case.failures) == ("closed", 1)
    assert failed_by_month == {1: 1, 2: 1, 3: 1, 4: 1}, "exactly one family debit a month hits the cap"
    # The walker: every debit and retry declined; the first installment walked the ladder to day 30.
    assert await story.statuses(story.walker) == ["failed"] * 4 + ["due"]
    retries = len(await billing.retry_schedule(ctx))
    for n in range(1, 5):
        assert [a.status for a in await story.attempts(story.walker, n)] == ["failed"] * (1 + retries)
    walker_inst = await contracts.installments(ctx, story.walker.id)
    cases = [await dunning.get_case(ctx, i.id) for i in walker_inst[:4]]
    assert [(c.status, c.steps_done) for c in cases if c] == [
        ("open", [0, 0, 1, 3, 7, 30]), ("open", [0, 0, 1, 3, 7, 30]), ("open", [0, 0, 1, 3, 7, 30]),
        ("open", [0, 0, 1, 3, 7])], "each step once (day 0 has two: the customer and the store)"
    overdue = dict(await dunning.overdue_by_step(ctx))
    assert walker_inst[0].id in [r.installment_id for r in overdue[30]]
    # The paused contract: no debit in month 2, the schedule one month later.
    now_paused = await contracts.installments(ctx, story.paused.id)
    assert [i.status for i in now_paused][:4] == ["paid", "paid", "paid", "due"]
    assert [i.due_on for i in now_paused[1:4]] == [story.due[2], story.due[3], rules.add_months(story.due[3], 1)]
    month_two = [a for a in await story.attempts(story.paused, 2) if a.submitted_at is not None]
    assert [_local(a.submitted_at).date() for a in month_two] == [story.due[2]]
    [pause] = await endings.list_pauses(ctx, story.paused.id)
    assert (pause.status, pause.periods) == ("ended", 1)
    assert (await contracts.get_contract(ctx, story.paused.id)).end_on == rules.add_months(
        (await contracts.get_contract(ctx, story.on_time.id)).end_on, 1)


async def _check_termination(story: Story) -> Any:
    ctx = story.ctx
    remaining = (PERIODS - 2) * 29_800
    assert story.ending.penalty_fen == (remaining * 1000 * 2 + 10_000) // 20_000 == 29_800  # 10%, half up
    assert await story.statuses(story.terminated) == ["paid", "paid", "cancelled", "cancelled", "cancelled"]
    assert (await contracts.get_contract(ctx, story.terminated.id)).state == "terminated"
    [pen] = await penalties.list_penalties(ctx, contract_id=story.terminated.id)
    assert (pen.status, pen.amount_fen, pen.mandate, pen.charge_at) == ("succeeded", 29_800, "succeeded", None)
    assert (await endings.get_ending(ctx, story.ending.id)).agreement_result == "succeeded"
    sandbox, pctx = await story.store.sandbox(), await story.store.pctx()
    evidence_t = await contracts.get_evidence(ctx, story.terminated.id)
    assert (await sandbox.query_agreement(pctx, evidence_t.payment_agreement_reference)).state is \
        AgreementState.TERMINATED
    sent = [a for n in range(3, 6) for a in await story.attempts(story.terminated, n) if a.submitted_at is not None]
    assert sent == [], "no debit after the termination"
    return pen


async def _check_money(story: Story, pen: Any) -> None:
    from pawpay.platform.settlement import services as settlement

    ctx = story.ctx
    sandbox = await story.store.sandbox()
    tenant = str(ctx.tenant_id)
    # The sandbox's record: each attempt charged once; the debits paid plus the penalty.
    charges = [c for c in sandbox.charges(tenant) if c["status"] == "succeeded"]
    made = [d for d in sandbox.debits if d[0] == tenant]
    assert len(made) == len({d[1] for d in made}) == len(charges), "each attempt charged once"
    assert [d[1] for d in made if d[1].startswith("pen-")] == [pen.attempt_id]
    schedules = {c.id: await contracts.installments(ctx, c.id) for c in story.everyone}
    paid = sum(i.amount_fen for s in schedules.values() for i in s if i.status == "paid")
    assert sum(c["amount_fen"] for c in charges) == paid + 29_800
    # Every cent in the ledger, equal to the sandbox's funds.
    books = {b.code: b.balance_fen for b in await ledger.balances(ctx)}
    funds = sandbox.funds(tenant)
    fees = sum(c["platform_fee_fen"] for c in charges)
    assert books["platform_fee"] == fees
    assert books["store_funds_held"] + books.get("deposit_held", 0) + books.get("store_funds_released", 0) == \
        funds["held_fen"] + funds["released_fen"] == paid + 29_800 - fees
    assert books.get("store_funds_released", 0) == funds["released_fen"]
    for c in story.everyone:
        owed = sum(i.amount_fen for i in schedules[c.id] if i.status in ("due", "failed", "paused"))
        assert books[f"customer_receivable:{c.contract_no}"] == owed, c.contract_no
    assert books["contract_sales"] == sum(c.total_fen for c in story.everyone) - (PERIODS - 2) * 29_800
    assert books[penalties.PENALTY_INCOME] == 29_800
    assert books[f"customer_receivable:{story.terminated.contract_no}:penalty"] == 0
    # The penalty is a collection like a debit: the daily settlement batch handles it like one.
    item = await settlement.get_item(ctx, pen.attempt_id)
    assert (item.amount_fen, item.contract_ref) == (29_800, f"{story.terminated.contract_no}:penalty")
    by_attempt = {c["attempt_id"]: c for c in charges}
    december = await settlement.get_item(ctx, (await story.attempts(story.on_time, 1))[0].id)
    assert (december.status, by_attempt[december.attempt_id]["released"]) == ("released", True), "the batch ran"
    # Collected the same month as the terminated contract's second debit: settled the same way (a 2027
    # day waits while the test database's business calendar does not cover that year).
    january = await settlement.get_item(ctx, (await story.attempts(story.terminated, 2))[0].id)
    assert item.status == january.status
    assert by_attempt[pen.attempt_id]["released"] == by_attempt[january.attempt_id]["released"] == (
        item.status == "released")


async def _check_messages(story: Story) -> None:
    notifier, npctx = await provider_for(story.ctx, "notifications")
    inbox = notifier.inbox(npctx)
    for message in inbox:
        assert not rules.is_quiet(message.sent_at, ZONE), message
    assert len({m.message_id for m in inbox}) == len(inbox), "no message twice"

    def sms(phone: str, template: str) -> list[Any]:
        return [m for m in inbox if m.recipient == phone and m.template == template]

    for phone, months in (("13912347001", 4), ("13912347004", 4), ("13912347005", 3), ("13912347006", 2)):
        reminders = sms(phone, billing.REMINDER_SMS_TEMPLATE)
        assert len(reminders) == months, (phone, len(reminders))
        for message in reminders:  # 48 hours before the debit day, in the daytime
            assert _local(message.sent_at).date() == date.fromisoformat(message.params["debit_on"]) - timedelta(days=2)
    assert len(sms("13912347001", billing.RECEIPT_SMS_TEMPLATE)) == 4
    assert Counter(m.template for m in inbox if m.recipient == "ox_four_months_a") == {
        "contract_signed": 1, billing.REMINDER_MP_TEMPLATE: 4, billing.RECEIPT_MP_TEMPLATE: 4}, "by mini-program too"
    assert len(sms("13912347003", billing.REMINDER_SMS_TEMPLATE)) == 12
    assert len(sms("13912347003", billing.RECEIPT_SMS_TEMPLATE)) == 12
    assert len(sms("13912347003", "DUNNING_FAILED_SMS")) == 4
    assert len(sms("13912347004", billing.RECEIPT_SMS_TEMPLATE)) == 0
    for template in ("DUNNING_FAILED_SMS", "DUNNING_DAY1_SMS", "DUNNING_EXTENSION_SMS"):
        assert Counter(m.params["sequence"] for m in sms("13912347004", template)) == {
            "1": 1, "2": 1, "3": 1, "4": 1}, template
    assert len(sms("13912347005", billing.RECEIPT_SMS_TEMPLATE)) == 3
    assert len(sms("13912347006", billing.RECEIPT_SMS_TEMPLATE)) == 2
    [receipt] = sms("13912347006", penalties.RECEIPT_SMS_TEMPLATE)
    assert receipt.params["amount"] == "298.00"
    assert not [m for m in inbox if m.recipient == "13800000008"], "nothing reached the unreachable payer"


async def _check_tasks_and_actions(story: Story, browser: Any) -> None:
    ctx = story.ctx
    tasks = await dunning.list_tasks(ctx, status=None)
    walker_inst = await contracts.installments(ctx, story.walker.id)
    by_kind = Counter((t.kind, t.contract_id) for t in tasks)
    assert by_kind[("remind_by_phone", story.unreachable.id)] == 4, "each undelivered reminder: a phone task"
    assert sorted(t.installment_id for t in tasks if t.kind == "follow_up") == sorted(i.id for i in walker_inst[:4])
    # Day 30 came for the first three periods (the fourth failed eight days before the end).
    assert sorted(t.installment_id for t in tasks if t.kind == "escalation") == sorted(i.id for i in walker_inst[:3])
    calm = {c.id for c in (story.on_time, *story.family, story.paused, story.terminated)}
    assert not [t for t in tasks if t.contract_id in calm]
    page = await browser.get("/admin/queues")
    assert page.status_code == 200
    assert story.walker.contract_no in page.text
    assert story.unreachable.contract_no in page.text
    for t in tasks:
        if t.status == "open" and t.note:
            assert t.note.split("，")[0][:12] in page.text, t.note
    # Every staff action logged (and audited).
    actions = [(a.kind, a.contract_id) for a in await dunning.list_actions(ctx, limit=500)]
    for kind, contract_id in (("illness_pause", story.paused.id), ("call_recorded", story.walker.id),
                              ("retention_offered", story.terminated.id), ("retention_declined", story.terminated.id),
                              ("termination_signing_started", story.terminated.id),
                              ("terminated", story.terminated.id), ("penalty_collected", story.terminated.id)):
        assert (kind, contract_id) in actions, kind
        audited, _ = await list_entries(ctx, AuditFilter(action=f"dunning.{kind}"))
        assert audited, kind


async def test_four_months_of_collections_on_the_store_clock(jobs_stub: Any, new_browser: Any) -> None:
    story = await _sign_everyone()
    browser = await new_browser()
    await browser.sign_in(story.store.s.store.manager_email)
    await _live_four_months(story, jobs_stub, browser)
    await _check_installments(story)
    pen = await _check_termination(story)
    await _check_money(story, pen)
    await _check_messages(story)
    await _check_tasks_and_actions(story, browser)
