"""The ladder against the real database, the real scheduler and worker and the sandbox notifier: a case
opens on a failed debit, each step fires once at its store-local time as the store's test clock moves,
quiet hours defer, recovery closes, extensions and promises to pay, and another store never sees a case."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from pawpay.platform.errors import NotFound
from pawpay.platform.jobs.services import tenant_now
from pawpay.platform.tenancy.context import TenantContext
from pawpay.platform.testing.plugin import create_store
from pawpay.tenants.dunning import services as dunning
from tests.integration.dunning.conftest import SHANGHAI, advance, fail, inbox, move_to_local, tick, world

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("pawpay_database")]


async def test_a_failure_opens_a_case_and_day_0_notifies_once(jobs_stub: Any) -> None:
    w = await world()
    inst = await fail(w)
    case = await dunning.get_case(w.ctx, inst.id)
    assert case is not None
    assert case.status == "open"
    assert case.failures == 1
    # The same failure reported twice changes nothing.
    await dunning.debit_failed(w.ctx, installment_id=inst.id, contract_id=w.contract.id, attempt_id="att-1",
                               error_code="INSUFFICIENT_FUNDS", failed_at=await tenant_now(w.ctx))
    assert (await dunning.get_case(w.ctx, inst.id)).failures == 1  # type: ignore[union-attr]
    await tick(jobs_stub)
    messages = await inbox(w.ctx)
    assert {m.template for m in messages} == {"DUNNING_FAILED_SMS", "DUNNING_FAILED_MP"}
    await tick(jobs_stub)  # nothing more is due today
    case = await dunning.get_case(w.ctx, inst.id)
    assert case is not None
    assert case.steps_done == [0, 0]
    contacts = await dunning.list_contacts(w.ctx, installment_id=inst.id)
    assert sorted(c.channel for c in contacts) == ["mini_program", "sms", "store"]
    assert all(c.outcome in ("recorded", "succeeded") for c in contacts)
    sms = next(c for c in contacts if c.channel == "sms")
    assert w.contract.contract_no in sms.body
    assert "征信" not in sms.body


async def test_the_ladder_walks_to_day_30_each_step_once(jobs_stub: Any) -> None:
    w = await world(phone="13912340001")
    inst = await fail(w)
    await tick(jobs_stub)
    await advance(w.ctx, days=1)
    await tick(jobs_stub)
    assert "DUNNING_DAY1_SMS" in {m.template for m in await inbox(w.ctx)}
    await advance(w.ctx, days=2)
    await tick(jobs_stub)
    tasks = await dunning.list_tasks(w.ctx, kind="follow_up")
    assert len(tasks) == 1
    assert tasks[0].installment_id == inst.id
    assert tasks[0].assignee_id == w.store.manager_id  # no front desk: the manager
    await advance(w.ctx, days=4)
    await tick(jobs_stub)
    assert "DUNNING_EXTENSION_SMS" in {m.template for m in await inbox(w.ctx)}
    case = await dunning.get_case(w.ctx, inst.id)
    assert case is not None
    assert case.extension_until is not None
    actions = await dunning.list_actions(w.ctx, installment_id=inst.id)
    assert "extension_offered" in [a.kind for a in actions]
    await advance(w.ctx, days=23)
    await tick(jobs_stub)
    escalations = await dunning.list_tasks(w.ctx, kind="escalation")
    assert len(escalations) == 1
    assert escalations[0].assignee_id == w.store.manager_id
    case = await dunning.get_case(w.ctx, inst.id)
    assert case is not None
    assert case.steps_done == [0, 0, 1, 3, 7, 30]
    assert case.next_run_at is None
    # Nothing runs twice, however often the scheduler ticks or the clock moves.
    await advance(w.ctx, days=5)
    await tick(jobs_stub)
    await dunning.run_case(w.ctx, case.id)  # a duplicate delivery
    templates = [m.template for m in await inbox(w.ctx)]
    assert sorted(templates) == sorted(["DUNNING_FAILED_SMS", "DUNNING_FAILED_MP", "DUNNING_DAY1_SMS",
                                        "DUNNING_EXTENSION_SMS"])
    assert len(await dunning.list_tasks(w.ctx, kind="follow_up", status=None)) == 1


async def test_quiet_hours_defer_to_eight_in_the_morning(jobs_stub: Any) -> None:
    w = await world(phone="13912340002")
    failed_at = await move_to_local(w.ctx, 23, 0)
    assert await dunning.is_quiet_time(w.ctx, failed_at)
    inst = await fail(w, at=failed_at)
    case = await dunning.get_case(w.ctx, inst.id)
    assert case is not None
    assert case.next_run_at is not None
    local = case.next_run_at.astimezone(SHANGHAI)
    assert (local.hour, local.minute) == (8, 0)
    assert local.date() == (failed_at.astimezone(SHANGHAI) +
                                                                     timedelta(days=1)).date()
    await tick(jobs_stub)
    assert await inbox(w.ctx) == []
    await advance(w.ctx, hours=8)  # 07:00
    await tick(jobs_stub)
    assert await inbox(w.ctx) == []
    await advance(w.ctx, hours=1)  # 08:00
    await tick(jobs_stub)
    sent = await inbox(w.ctx)
    assert sent
    assert all(not dunning.rules.is_quiet(m.sent_at, "Asia/Shanghai") for m in sent)


async def test_recovery_closes_the_case(jobs_stub: Any) -> None:
    w = await world(phone="13912340003")
    inst = await fail(w)
    await tick(jobs_stub)
    await dunning.debit_recovered(w.ctx, installment_id=inst.id)
    case = await dunning.get_case(w.ctx, inst.id)
    assert case is not None
    assert case.status == "closed"
    assert case.close_reason == "recovered"
    await advance(w.ctx, days=10)
    await tick(jobs_stub)
    assert "DUNNING_DAY1_SMS" not in {m.template for m in await inbox(w.ctx)}


async def test_an_extension_holds_the_ladder(jobs_stub: Any) -> None:
    w = await world(phone="13912340004")
    inst = await fail(w)
    await tick(jobs_stub)
    await advance(w.ctx, days=1)
    await tick(jobs_stub)
    await dunning.grant_extension(w.ctx, inst.id, days=7, reason="customer asked")
    await advance(w.ctx, days=3)
    await tick(jobs_stub)
    assert await dunning.list_tasks(w.ctx, kind="follow_up") == []
    await advance(w.ctx, days=5)
    await tick(jobs_stub)
    assert len(await dunning.list_tasks(w.ctx, kind="follow_up")) == 1
    assert "extension_granted" in [a.kind for a in await dunning.list_actions(w.ctx, installment_id=inst.id)]


async def test_a_call_with_a_promise_to_pay_becomes_a_task(jobs_stub: Any) -> None:
    w = await world(phone="13912340005")
    inst = await fail(w)
    today = await dunning.store_today(w.ctx)
    contact = await dunning.record_call(w.ctx, inst.id, note="客户说周五发工资后支付", outcome="promised",
                                        promised_on=today + timedelta(days=3))
    assert contact.channel == "phone"
    assert contact.outcome == "promised"
    promises = await dunning.list_tasks(w.ctx, kind="promise_to_pay")
    assert len(promises) == 1
    assert promises[0].promised_on == today + timedelta(days=3)
    assert promises[0].due_at.astimezone(SHANGHAI).hour == 10
    kinds = [a.kind for a in await dunning.list_actions(w.ctx, installment_id=inst.id)]
    assert kinds == ["call_recorded", "promise_to_pay"]
    done = await dunning.complete_task(w.ctx, promises[0].id, note="paid")
    assert done.status == "done"


async def test_a_staff_pause_stops_debits_and_steps(jobs_stub: Any) -> None:
    w = await world(phone="13912340006")
    inst = await fail(w)
    await tick(jobs_stub)
    await dunning.pause_collection(w.ctx, inst.id, days=5, reason="customer in hospital")
    assert await dunning.installment_paused(w.ctx, inst.id)
    await advance(w.ctx, days=3)
    await tick(jobs_stub)
    assert await dunning.list_tasks(w.ctx, kind="follow_up") == []
    await advance(w.ctx, days=3)
    assert not await dunning.installment_paused(w.ctx, inst.id)
    await tick(jobs_stub)
    assert len(await dunning.list_tasks(w.ctx, kind="follow_up")) == 1


async def test_a_remind_by_phone_task_from_billing() -> None:
    w = await world(phone="13912340007")
    task = await dunning.create_task(w.ctx, kind="remind_by_phone", installment_id=w.installments[0].id,
                                     contract_id=None, due_at=await tenant_now(w.ctx), note="SMS undeliverable")
    assert task.contract_id == w.contract.id
    assert task.assignee_id == w.store.manager_id
    assert [t.id for t in await dunning.list_tasks(w.ctx, assignee_id=w.store.manager_id)] == [task.id]


async def test_another_store_gets_not_found() -> None:
    w = await world(phone="13912340008")
    inst = await fail(w)
    other = await create_store()
    octx = TenantContext(tenant_id=other.tenant_id, actor_id=other.manager_id, actor_label="other")
    assert await dunning.get_case(octx, inst.id) is None
    with pytest.raises(NotFound):
        await dunning.record_call(octx, inst.id, note="x", outcome="reached")
    with pytest.raises(NotFound):
        await dunning.grant_extension(octx, inst.id, days=7)
    with pytest.raises(NotFound):
        await dunning.create_task(octx, kind="follow_up", installment_id=inst.id, contract_id=None,
                                  due_at=await tenant_now(octx))
    task = (await dunning.list_tasks(w.ctx, status=None) or [None])[0]
    if task is not None:
        with pytest.raises(NotFound):
            await dunning.get_task(octx, task.id)
    assert await dunning.list_cases(octx) == []
    assert await dunning.list_contacts(octx, installment_id=inst.id) == []


async def test_an_undeliverable_sms_becomes_a_phone_task(jobs_stub: Any) -> None:
    w = await world(phone="13800000008")  # the sandbox notifier faults on this number
    inst = await fail(w)
    await tick(jobs_stub)
    contacts = [c for c in await dunning.list_contacts(w.ctx, installment_id=inst.id) if c.channel == "sms"]
    assert len(contacts) == 1
    assert contacts[0].outcome not in ("succeeded", "pending")
    tasks = await dunning.list_tasks(w.ctx, kind="remind_by_phone")
    assert [t.installment_id for t in tasks] == [inst.id]
    store_notice = next(c for c in await dunning.list_contacts(w.ctx, installment_id=inst.id) if c.channel == "store")
    assert w.contract.contract_no in store_notice.body
    assert "INSUFFICIENT_FUNDS" in store_notice.detail


async def test_two_workers_on_one_case_contact_once() -> None:
    import asyncio

    w = await world(phone="13912340009")
    inst = await fail(w)
    case = await dunning.get_case(w.ctx, inst.id)
    assert case is not None
    await asyncio.gather(dunning.run_case(w.ctx, case.id), dunning.run_case(w.ctx, case.id),
                         dunning.run_case(w.ctx, case.id))
    assert sorted(m.template for m in await inbox(w.ctx)) == ["DUNNING_FAILED_MP", "DUNNING_FAILED_SMS"]
    again = await dunning.get_case(w.ctx, inst.id)
    assert again is not None
    assert again.steps_done == [0, 0]
    assert len([c for c in await dunning.list_contacts(w.ctx, installment_id=inst.id) if c.channel == "sms"]) == 1


async def test_a_reopened_case_spaces_its_remaining_steps_from_the_new_failure(jobs_stub: Any) -> None:
    w = await world(phone="13912340010")
    inst = await fail(w)
    await tick(jobs_stub)
    await dunning.close_case(w.ctx, inst.id, reason="paused")
    await advance(w.ctx, days=40)
    await dunning.debit_failed(w.ctx, installment_id=inst.id, contract_id=w.contract.id, attempt_id="att-2",
                               error_code="INSUFFICIENT_FUNDS", failed_at=await tenant_now(w.ctx))
    await tick(jobs_stub)
    case = await dunning.get_case(w.ctx, inst.id)
    assert case is not None
    assert case.status == "open"
    assert case.steps_done == [0, 0]  # nothing piled up: day 1 follows tomorrow
    await advance(w.ctx, days=1)
    await tick(jobs_stub)
    again = await dunning.get_case(w.ctx, inst.id)
    assert again is not None
    assert again.steps_done == [0, 0, 1]
