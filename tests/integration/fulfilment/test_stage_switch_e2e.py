"""Done when: "in test mode, advancing the clock through a stage boundary ships the right contents",
end to end on a store in test mode. The pet turns junior between its first and second debit days;
the store's test clock moves through both; the real scheduler runs billing's debits (sandbox
payments) and fulfilment's submission work (sandbox warehouse). The first box carries kitten food,
the second the junior plan's food (the money unchanged), and the customer is told of the switch once."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from pawpay.platform.jobs.services import advance_tenant_clock, tenant_now
from pawpay.platform.providers.services import provider_for
from pawpay.tenants.billing.due import BILLING_QUEUE, DEBIT_ATTEMPTS, DEBIT_REMINDERS
from pawpay.tenants.contracts import services as contracts
from pawpay.tenants.customers import services as customers
from pawpay.tenants.fulfilment import services as fulfilment
from pawpay.tenants.fulfilment.due import DUE_WORK, FULFILMENT_QUEUE
from pawpay.tenants.plans import rules, stages
from tests.integration.contracts.conftest import evidence
from tests.integration.dunning.conftest import SHANGHAI, move_to_local
from tests.integration.plans.stage_support import chain, months_old, pet_born

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("pawpay_database")]

STEP = timedelta(hours=1)
PHONE = "13912347751"


async def _run_until(ctx: Any, jobs: Any, done: Any, *, limit: timedelta) -> None:
    """The real scheduler (billing + fulfilment work) on the store clock, an hour at a time."""
    scheduler = jobs.scheduler([DEBIT_ATTEMPTS, DEBIT_REMINDERS, *DUE_WORK])
    end = (await tenant_now(ctx)) + limit
    while (await tenant_now(ctx)) < end:
        await scheduler.tick(datetime.now(UTC))
        await jobs.join(BILLING_QUEUE)
        await jobs.join(FULFILMENT_QUEUE)
        if await done():
            return
        await advance_tenant_clock(ctx, int(STEP.total_seconds()))


async def _to_the_eve_of(ctx: Any, day: date) -> None:
    here = (await tenant_now(ctx)).astimezone(SHANGHAI)
    target = datetime.combine(day - timedelta(days=1), datetime.min.time(), tzinfo=SHANGHAI).replace(hour=20)
    await advance_tenant_clock(ctx, int((target - here).total_seconds()) + 1)


async def _shipped(ctx: Any, contract_id: uuid.UUID, sequence: int) -> Any:
    found, _ = await fulfilment.list_shipments(ctx, contract_id=contract_id)
    return next((s for s in found if s.sequence == sequence and s.shipped_at is not None), None)


async def test_the_period_after_the_stage_boundary_ships_the_next_stage(jobs_stub: Any) -> None:
    c = await chain(phone=PHONE, openid="")
    ctx = c.s.ctx
    await move_to_local(ctx, 10)
    pet = await pet_born(c, await months_old(c, 3), name="布丁")
    draft = await contracts.create_draft(ctx, customer_id=c.s.customer.id, pet_id=pet.id, plan_id=c.kitten.id,
                                         plan_version=c.kitten.version, debit_day=10, channel="h5",
                                         started_by="customer")
    await contracts.mark_pending_signature(ctx, draft.id)
    contract = await contracts.activate(ctx, draft.id, evidence=evidence(
        payment_agreement_reference=f"agr-{draft.id.hex[:12]}"))
    schedule = await contracts.installments(ctx, contract.id)
    first, second = schedule[0], schedule[1]
    # The pet turns junior ten days after the first debit day (its birthday set so), before the second.
    pet = await customers.update_pet(ctx, pet.id, name=pet.name, species="cat",
                                     birthday=rules.add_months(first.due_on, -6) + timedelta(days=10))
    junior_on = rules.stage_starts("cat", pet.birthday, None)[1][1]
    assert first.due_on < junior_on < second.due_on

    await _to_the_eve_of(ctx, first.due_on)

    async def first_shipped() -> bool:
        return await _shipped(ctx, contract.id, 1) is not None

    await _run_until(ctx, jobs_stub, first_shipped, limit=timedelta(days=2))
    box1 = await _shipped(ctx, contract.id, 1)
    assert box1 is not None
    assert box1.stage == "kitten"
    assert [(x.sku.split("-")[0], x.quantity) for x in box1.lines] == [("KIT", 2)]

    await _to_the_eve_of(ctx, second.due_on)

    async def second_shipped() -> bool:
        return await _shipped(ctx, contract.id, 2) is not None

    await _run_until(ctx, jobs_stub, second_shipped, limit=timedelta(days=2))
    box2 = await _shipped(ctx, contract.id, 2)
    assert box2 is not None
    assert box2.stage == "junior"
    assert [(x.sku.split("-")[0], x.quantity) for x in box2.lines] == [("JUN", 2)]
    # The money is as signed: both periods paid at the contract's monthly amount.
    paid = [await contracts.get_installment(ctx, i.id) for i in (first, second)]
    assert [(p.status, p.amount_fen) for p in paid] == [("paid", contract.monthly_amount_fen)] * 2
    # One box per period at the warehouse.
    warehouse, _ = await provider_for(ctx, "warehouses")
    assert sorted(warehouse.orders(str(ctx.tenant_id))) == sorted([box1.order_id, box2.order_id])
    # The switch is noted once, on period 2, and the customer told once (SMS, zh-CN).
    switches = await stages.list_switches(ctx, contract_id=contract.id)
    assert [(x.from_stage, x.to_stage, x.sequence) for x in switches] == [("kitten", "junior", 2)]
    notifier, pctx = await provider_for(ctx, "notifications")
    told = [m for m in notifier.inbox(pctx, recipient=PHONE) if m.template == stages.SMS_TEMPLATE]
    assert len(told) == 1
    logged = [m for m in await customers.list_messages(ctx, c.s.customer.id) if m.template == stages.SMS_TEMPLATE]
    assert len(logged) == 1
    assert "布丁已进入青年期" in logged[0].body
