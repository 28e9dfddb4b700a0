"""A paid period becomes one outbound order at the sandbox warehouse: released once per installment,
submitted by the job, and every warehouse failure handled safely (exception queue, retry with the
same order id, query after a timeout, backoff after a busy warehouse) — never two parcels."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from pawpay.platform.audit.services import AuditFilter, list_entries
from pawpay.platform.errors import Conflict, ValidationFailed
from pawpay.platform.hooks import InstallmentPaid, ProviderStatus
from pawpay.platform.jobs.services import tenant_now
from pawpay.platform.providers.services import set_store_provider
from pawpay.platform.tenancy.scope import tenant_scope
from pawpay.tenants.fulfilment import rules
from pawpay.tenants.fulfilment import services as fulfilment
from pawpay.tenants.fulfilment.tables import FulfilmentShipment
from tests.integration.dunning.conftest import move_to_local
from tests.integration.fulfilment.conftest import advance, pay, tick, world

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("pawpay_database")]


async def test_a_paid_period_is_released_once_and_accepted_by_the_warehouse(jobs_stub: Any) -> None:
    w = await world()
    first = await pay(w)
    again = await pay(w)  # a duplicate event / re-run listener
    assert again.id == first.id
    assert again.order_id == first.order_id
    assert first.status == "pending"
    assert first.kind == "period"
    assert first.sequence == 1
    assert first.ship_by - first.created_at == rules.SHIP_BY
    _, total = await fulfilment.list_shipments(w.ctx, contract_id=w.contract.id)
    assert total == 1
    assert (await tick(jobs_stub))["fulfilment.submit"] == 1
    view = await fulfilment.get_shipment(w.ctx, first.id)
    assert view.status == "accepted"
    assert view.customer_id == w.contract.customer_id
    assert view.pet_id == w.contract.pet_id
    assert view.lines
    assert all(line.quantity >= 1 for line in view.lines)
    assert view.attempts == 1
    assert not view.late
    warehouse, wctx = await w.warehouse()
    info = await warehouse.query_outbound_order(wctx, view.order_id)
    assert info.result.status is ProviderStatus.SUCCEEDED
    assert [m.template for m in await w.inbox()] == ["SMS_SHIPMENT_NOTICE"]  # ships by tomorrow
    assert (await tick(jobs_stub)).get("fulfilment.submit", 0) == 0  # nothing left to submit


async def test_a_busy_warehouse_is_retried_with_backoff_and_accepts_once(jobs_stub: Any) -> None:
    w = await world(phone="13912340093")  # sandbox: SYSTEM_BUSY the first time
    shipment = await pay(w)
    await tick(jobs_stub)
    busy = await fulfilment.get_shipment(w.ctx, shipment.id)
    assert (busy.status, busy.last_error_code, busy.attempts) == ("pending", "SYSTEM_BUSY", 1)
    await tick(jobs_stub)  # not due yet: the backoff waits a minute
    assert (await fulfilment.get_shipment(w.ctx, shipment.id)).attempts == 1
    await advance(w.ctx, minutes=2)
    await tick(jobs_stub)
    done = await fulfilment.get_shipment(w.ctx, shipment.id)
    assert (done.status, done.attempts) == ("accepted", 2)


async def test_a_timeout_after_the_warehouse_received_the_order_is_queried_not_resent(jobs_stub: Any) -> None:
    w = await world(phone="13912340094")  # sandbox: UNKNOWN TIMEOUT, but the order arrived
    shipment = await pay(w)
    await tick(jobs_stub)
    unknown = await fulfilment.get_shipment(w.ctx, shipment.id)
    assert (unknown.status, unknown.last_error_code) == ("pending", "TIMEOUT")
    await advance(w.ctx, minutes=2)
    await tick(jobs_stub)
    done = await fulfilment.get_shipment(w.ctx, shipment.id)
    assert done.status == "accepted"
    assert done.attempts == 1, "resolved by the query, not a second create"


async def test_a_rejected_order_waits_in_the_exception_queue_and_a_staff_retry_ships_it_once(jobs_stub: Any) -> None:
    w = await world()
    shipment = await pay(w)
    warehouse, wctx = await w.warehouse()
    # The box's SKU is out of stock at the warehouse (sandbox: SKUs starting OOS).
    async with tenant_scope(w.ctx):
        await FulfilmentShipment.update({FulfilmentShipment.lines: [{"sku": "OOS-KITTEN", "name": "幼猫粮",
                                                                    "quantity": 2}],
                                         FulfilmentShipment.contents_resolved: True,
                                         FulfilmentShipment.customer_id: w.contract.customer_id}).where(
            FulfilmentShipment.id == shipment.id)
    await tick(jobs_stub)
    queued, total = await fulfilment.list_shipments(w.ctx, status="exception")
    assert total == 1
    assert queued[0].id == shipment.id
    assert (queued[0].last_error_code, queued[0].attempts) == ("OUT_OF_STOCK", 1)
    await advance(w.ctx, hours=1)
    await tick(jobs_stub)  # an exception is never retried by itself
    assert (await fulfilment.get_shipment(w.ctx, shipment.id)).attempts == 1
    with pytest.raises(ValidationFailed):
        await fulfilment.retry_shipment(w.ctx, shipment.id, reason=" ")
    warehouse.restock(str(w.ctx.tenant_id), "OOS-KITTEN")
    retried = await fulfilment.retry_shipment(w.ctx, shipment.id, reason="仓库已补货")
    assert retried.status == "pending"
    assert retried.order_id == shipment.order_id
    with pytest.raises(Conflict):
        await fulfilment.retry_shipment(w.ctx, shipment.id, reason="again")
    await tick(jobs_stub)
    done = await fulfilment.get_shipment(w.ctx, shipment.id)
    assert (done.status, done.order_id) == ("accepted", shipment.order_id)
    assert (await warehouse.query_outbound_order(wctx, done.order_id)).result.status is ProviderStatus.SUCCEEDED
    entries, _ = await list_entries(w.ctx, AuditFilter(target_type="shipment", target_id=str(shipment.id)))
    assert {"fulfilment.exception", "fulfilment.retry", "fulfilment.accepted"} <= {e.action for e in entries}


async def test_a_warehouse_that_keeps_faulting_ends_in_the_exception_queue(jobs_stub: Any) -> None:
    w = await world(phone="13912340098")  # sandbox: raises SANDBOX_FAULT every time
    shipment = await pay(w)
    for _ in range(30):
        await tick(jobs_stub)
        view = await fulfilment.get_shipment(w.ctx, shipment.id)
        if view.status == "exception":
            break
        await advance(w.ctx, hours=6)
    assert view.status == "exception"
    assert view.last_error_code == "PROVIDER_FAULT"
    assert view.attempts == len(rules.RETRY_BACKOFF) + 1


async def test_orders_go_out_only_in_the_warehouses_order_hours(jobs_stub: Any) -> None:
    w = await world()
    await set_store_provider(w.ctx, "warehouses", "sandbox", {"order_hours": "09:00-18:00"})
    await move_to_local(w.ctx, 20)  # paid at 20:00 Beijing time: the warehouse is closed
    shipment = await pay(w)
    await tick(jobs_stub)
    waiting = await fulfilment.get_shipment(w.ctx, shipment.id)
    assert (waiting.status, waiting.attempts) == ("pending", 0), "nobody was called"
    warehouse, _ = await w.warehouse()
    assert shipment.order_id not in warehouse.orders(str(w.ctx.tenant_id))
    await advance(w.ctx, hours=12)  # 08:00: still closed
    await tick(jobs_stub)
    assert (await fulfilment.get_shipment(w.ctx, shipment.id)).attempts == 0
    await advance(w.ctx, hours=1, minutes=1)  # 09:01
    await tick(jobs_stub)
    opened = await fulfilment.get_shipment(w.ctx, shipment.id)
    assert (opened.status, opened.attempts) == ("accepted", 1)


async def test_a_period_whose_contents_cannot_be_chosen_waits_in_the_exception_queue(jobs_stub: Any) -> None:
    w = await world()
    orphan = await fulfilment.release_period(w.ctx, InstallmentPaid(
        installment_id=str(uuid.uuid4()), contract_id=str(uuid.uuid4()), contract_no="PP-GONE", sequence=1,
        amount_fen=100, paid_at=await tenant_now(w.ctx), attempt_id="dbt-orphan"))
    await tick(jobs_stub)  # the contract is not found: nothing goes to the warehouse, staff see why
    view = await fulfilment.get_shipment(w.ctx, orphan.id)
    assert (view.status, view.last_error_code, view.attempts) == ("exception", "CONTENTS_UNAVAILABLE", 0)
