"""Done when: "a warehouse failure shows up, is retried and ships once", end to end on a store in test
mode. The store's test clock moves through the first debit day; the real scheduler runs billing's
debit (sandbox payments) and fulfilment's submission and tracking work; the paid period goes to the
sandbox warehouse, which fails, and the shipment is retried — automatically for a busy warehouse,
by staff from the exception queue for an out-of-stock refusal — and leaves the warehouse once."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from pawpay.platform.jobs.services import advance_tenant_clock, tenant_now
from pawpay.platform.providers.services import provider_for
from pawpay.tenants.billing.due import BILLING_QUEUE, DEBIT_ATTEMPTS, DEBIT_REMINDERS
from pawpay.tenants.catalog import services as catalog
from pawpay.tenants.contracts import services as contracts
from pawpay.tenants.fulfilment import services as fulfilment
from pawpay.tenants.fulfilment.due import DUE_WORK, FULFILMENT_QUEUE
from pawpay.tenants.plans import services as plans
from tests.integration.billing.conftest import new_store
from tests.integration.contracts.conftest import add_customer, evidence
from tests.integration.dunning.conftest import SHANGHAI, move_to_local

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("pawpay_database")]

STEP = timedelta(hours=1)


async def _signed(store: Any, *, phone: str, warehouse_sku: str) -> Any:
    """A contract on a plan whose box is one SKU, known to the warehouse as ``warehouse_sku``."""
    ctx = store.ctx
    sku = await catalog.create_sku(ctx, catalog.SkuInput(code=f"F{uuid.uuid4().hex[:6]}", name="幼猫粮 2kg",
                                                         kind="food", unit="袋", warehouse_sku_code=warehouse_sku))
    plan = await plans.create_plan(ctx, plans.PlanInput(
        name="幼猫月付套餐", species="cat", stage="kitten", periods=12, monthly_amount_fen=29_800,
        contents=[plans.ContentInput(item_type="sku", item_id=sku.id, quantity=2)], debit_days=(5, 10, 15)),
        confirm_amount_warning=True)
    customer, pet = await add_customer(ctx, phone=phone, openid="")
    draft = await contracts.create_draft(ctx, customer_id=customer.id, pet_id=pet.id, plan_id=plan.id,
                                         plan_version=plan.version, debit_day=10, channel="h5", started_by="customer")
    await contracts.mark_pending_signature(ctx, draft.id)
    return await contracts.activate(ctx, draft.id, evidence=evidence(
        payment_agreement_reference=f"agr-{draft.id.hex[:12]}"))


async def _run_until(store: Any, jobs: Any, done: Any, *, limit: timedelta) -> None:
    """The real scheduler (billing + fulfilment work) on the store clock, an hour at a time."""
    scheduler = jobs.scheduler([DEBIT_ATTEMPTS, DEBIT_REMINDERS, *DUE_WORK])
    end = (await tenant_now(store.ctx)) + limit
    while (await tenant_now(store.ctx)) < end:
        await scheduler.tick(datetime.now(UTC))
        await jobs.join(BILLING_QUEUE)
        await jobs.join(FULFILMENT_QUEUE)
        if await done():
            return
        await advance_tenant_clock(store.ctx, int(STEP.total_seconds()))


async def _to_the_eve_of_the_first_debit(store: Any, contract: Any) -> Any:
    first = (await contracts.installments(store.ctx, contract.id))[0]
    here = (await tenant_now(store.ctx)).astimezone(SHANGHAI)
    target = datetime.combine(first.due_on - timedelta(days=1), datetime.min.time(), tzinfo=SHANGHAI).replace(hour=20)
    await advance_tenant_clock(store.ctx, int((target - here).total_seconds()) + 1)
    return first


async def _shipment(store: Any, contract: Any) -> Any:
    found, _ = await fulfilment.list_shipments(store.ctx, contract_id=contract.id)
    return found[0] if found else None


async def test_a_busy_warehouse_is_retried_and_the_box_ships_once(jobs_stub: Any) -> None:
    store = await new_store()
    await move_to_local(store.ctx, 10)
    contract = await _signed(store, phone="13912348093", warehouse_sku="WH-KITTEN-2KG")  # 93: busy once
    first = await _to_the_eve_of_the_first_debit(store, contract)

    async def paid_and_failed() -> bool:
        s = await _shipment(store, contract)
        return s is not None and s.last_error_code == "SYSTEM_BUSY"

    await _run_until(store, jobs_stub, paid_and_failed, limit=timedelta(days=2))
    assert (await contracts.get_installment(store.ctx, first.id)).status == "paid"
    failed = await _shipment(store, contract)
    assert (failed.status, failed.attempts, failed.installment_id) == ("pending", 1, first.id)
    assert [(x.sku, x.quantity) for x in failed.lines] == [("WH-KITTEN-2KG", 2)]
    assert failed.stage == "junior"  # the pet (born 2026-03-01) is 9 months old on the ship day

    async def shipped() -> bool:
        s = await _shipment(store, contract)
        return s is not None and s.shipped_at is not None

    await _run_until(store, jobs_stub, shipped, limit=timedelta(days=2))
    done = await _shipment(store, contract)
    assert done.status == "shipped"
    assert done.attempts == 2, "the busy answer, then the retry with the same order"
    assert done.waybill_no
    assert not done.late, "shipped within 24 h of payment"
    warehouse, _ = await provider_for(store.ctx, "warehouses")
    assert warehouse.orders(str(store.ctx.tenant_id)) == [done.order_id], "one order at the warehouse"
    assert (await fulfilment.list_shipments(store.ctx, contract_id=contract.id))[1] == 1
    # The rail holds the debit's funds until the shipping is reported (the sandbox's shipping gate).
    rail, _ = await provider_for(store.ctx, "payments")
    [report] = rail.shipping_infos(str(store.ctx.tenant_id))
    assert (report.attempt_id, report.waybill_no) == (done.attempt_id, done.waybill_no)
    assert done.shipping_info_status == "uploaded"


async def test_an_out_of_stock_refusal_waits_in_the_queue_and_a_staff_retry_ships_once(jobs_stub: Any) -> None:
    store = await new_store()
    await move_to_local(store.ctx, 10)
    contract = await _signed(store, phone="13912348000", warehouse_sku="OOS-KITTEN-2KG")
    await _to_the_eve_of_the_first_debit(store, contract)

    async def refused() -> bool:
        s = await _shipment(store, contract)
        return s is not None and s.status == "exception"

    await _run_until(store, jobs_stub, refused, limit=timedelta(days=2))
    queue, total = await fulfilment.list_shipments(store.ctx, status="exception")
    assert total == 1
    assert (queue[0].last_error_code, queue[0].attempts) == ("OUT_OF_STOCK", 1)
    # Nothing happens by itself while the SKU is out of stock.
    await _run_until(store, jobs_stub, _false, limit=timedelta(hours=18))
    assert (await _shipment(store, contract)).attempts == 1
    warehouse, _ = await provider_for(store.ctx, "warehouses")
    assert warehouse.orders(str(store.ctx.tenant_id)) == []
    warehouse.restock(str(store.ctx.tenant_id), "OOS-KITTEN-2KG")
    await fulfilment.retry_shipment(store.ctx, queue[0].id, reason="仓库已补货")

    async def shipped() -> bool:
        s = await _shipment(store, contract)
        return s is not None and s.shipped_at is not None

    await _run_until(store, jobs_stub, shipped, limit=timedelta(days=1))
    done = await _shipment(store, contract)
    assert (done.status, done.attempts, done.order_id) == ("shipped", 2, queue[0].order_id)
    assert done.late, "refused and retried after the 24 h target: it shows in the late queue"
    assert warehouse.orders(str(store.ctx.tenant_id)) == [done.order_id], "one order at the warehouse"
    assert (await fulfilment.list_shipments(store.ctx, status="exception"))[1] == 0


async def _false() -> bool:
    return False
