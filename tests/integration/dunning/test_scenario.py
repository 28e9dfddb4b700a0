"""A store in test mode moves its own clock through a declining payer's month: the real scheduler runs
billing's debits and retries and the dunning ladder together; the customer is contacted at day 0, 1
and 7 — never between 22:00 and 08:00 store time, never twice for a step — staff get the day-3
follow-up and the day-30 escalation, and every contact is logged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from pawpay.platform.jobs.services import advance_tenant_clock, tenant_now
from pawpay.tenants.billing.due import BILLING_QUEUE, DEBIT_ATTEMPTS, DEBIT_REMINDERS
from pawpay.tenants.contracts import services as contracts
from pawpay.tenants.dunning import rules
from pawpay.tenants.dunning import services as dunning
from pawpay.tenants.dunning.due import DUE_WORK, DUNNING_QUEUE
from tests.integration.billing.conftest import new_store
from tests.integration.dunning.conftest import SHANGHAI, inbox, move_to_local

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("pawpay_database")]

STEP = timedelta(hours=3)


async def test_a_declining_payer_walks_the_ladder_on_the_store_clock(jobs_stub: Any) -> None:
    store = await new_store()
    await move_to_local(store.ctx, 10)
    c = await store.sign(amount=29_801, periods=12, phone="13912340601")
    first = (await contracts.installments(store.ctx, c.id))[0]
    # To the evening before the due date, then 3 hours at a time for 32 days.
    here = (await tenant_now(store.ctx)).astimezone(SHANGHAI)
    target = datetime.combine(first.due_on - timedelta(days=1), datetime.min.time(), tzinfo=SHANGHAI).replace(hour=20)
    await advance_tenant_clock(store.ctx, int((target - here).total_seconds()) + 1)
    scheduler = jobs_stub.scheduler([DEBIT_ATTEMPTS, DEBIT_REMINDERS, *DUE_WORK])
    end = target + timedelta(days=32)
    while (await tenant_now(store.ctx)) < end:
        await scheduler.tick(datetime.now(UTC))
        await jobs_stub.join(BILLING_QUEUE)
        await jobs_stub.join(DUNNING_QUEUE)
        await advance_tenant_clock(store.ctx, int(STEP.total_seconds()))
    case = await dunning.get_case(store.ctx, first.id)
    assert case is not None
    assert case.status == "open"
    assert case.steps_done == [0, 0, 1, 3, 7, 30]
    sent = [m for m in await inbox(store.ctx, "13912340601") if m.params.get("sequence") == "1"]
    templates = sorted(m.template for m in sent)
    assert templates == ["DUNNING_DAY1_SMS", "DUNNING_EXTENSION_SMS", "DUNNING_FAILED_SMS"]
    for message in await inbox(store.ctx):
        assert not rules.is_quiet(message.sent_at, "Asia/Shanghai"), message
    assert len(await dunning.list_tasks(store.ctx, kind="follow_up", installment_id=first.id)) == 1
    assert len(await dunning.list_tasks(store.ctx, kind="escalation", installment_id=first.id)) == 1
    channels = [x.channel for x in await dunning.list_contacts(store.ctx, installment_id=first.id)]
    assert channels.count("sms") == 3
    assert "store" in channels
    assert case.failures >= 1
    overdue = dict(await dunning.overdue_by_step(store.ctx))
    assert [r.installment_id for r in overdue[30]] == [first.id]  # the second period walks behind it
