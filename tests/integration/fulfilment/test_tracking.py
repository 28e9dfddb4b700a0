"""Tracking: warehouse webhooks through the platform's pipeline (duplicates and re-ordered events
change nothing), polling as the fallback on the store clock, the shipped event once, the customer
told at acceptance, shipping and delivery, and the 24 h ship-by target (late queue)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from piccolo.querystring import QueryString

from pawpay.platform.db.engine import get_engine
from pawpay.platform.hooks import RawWebhook, hookimpl
from pawpay.platform.hooks._manager import get_plugin_manager
from pawpay.platform.tenancy.scope import platform_scope
from pawpay.platform.webhooks.services import process_event, receive
from pawpay.plugins.warehouses.sandbox.provider import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign_webhook
from pawpay.tenants.fulfilment import services as fulfilment
from tests.integration.fulfilment.conftest import World, advance, pay, tick, world

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("pawpay_database")]


class ShippedListener:
    def __init__(self) -> None:
        self.told: list[tuple[str, Any]] = []

    @hookimpl
    def pawpay_shipment_shipped(self, tenant_id: str, shipment: Any) -> None:
        self.told.append((tenant_id, shipment))

    def of(self, w: World) -> list[Any]:
        """What this test's store was told (other tests' stores keep moving on the shared scheduler)."""
        return [s for t, s in self.told if t == str(w.ctx.tenant_id)]


@pytest.fixture
def shipped() -> Any:
    pm = get_plugin_manager()
    listener = ShippedListener()
    pm.register(listener)
    try:
        yield listener
    finally:
        pm.unregister(listener)


async def _process_all(tenant_id: Any) -> int:
    async with platform_scope("test: pending webhook events"):
        rows = await get_engine().run_querystring(QueryString(
            "SELECT id FROM webhook_event WHERE tenant_id = {} AND processed_at IS NULL ORDER BY received_at",
            tenant_id))
    return sum([await process_event(tenant_id, row["id"]) for row in rows])


async def _webhook(w: World, order_id: str) -> RawWebhook:
    warehouse, wctx = await w.warehouse()  # a fresh context: the store clock as it is now
    return warehouse.build_webhook(wctx, order_id)


async def _old_event(w: World, order_id: str, state: str, at: Any, event_id: str = "") -> RawWebhook:
    """A freshly signed webhook for an earlier state, delivered late (vendors do not keep order)."""
    _, wctx = await w.warehouse()
    now = wctx.now()
    body = json.dumps({"id": event_id or f"evt_{order_id}_{state}_late", "type": "parcel.moved", "order_id": order_id,
                       "carrier_code": "SF", "waybill_no": None, "state": state, "description": "旧事件",
                       "at": at.isoformat()}, separators=(",", ":"), ensure_ascii=False).encode()
    ts = str(int(now.timestamp()))
    headers = {TIMESTAMP_HEADER: ts, SIGNATURE_HEADER: sign_webhook(wctx.config, ts, body),
               "content-type": "application/json"}
    return RawWebhook("POST", f"/webhooks/warehouses/sandbox/{w.ctx.tenant_id}", "", headers, body, "127.0.0.1", now)


async def _accepted(jobs: Any) -> tuple[World, Any]:
    w = await world()
    shipment = await pay(w)
    await tick(jobs)
    assert (await fulfilment.get_shipment(w.ctx, shipment.id)).status == "accepted"
    return w, shipment


async def test_duplicate_and_reordered_tracking_webhooks_change_nothing(jobs_stub: Any, shipped: Any) -> None:
    w, shipment = await _accepted(jobs_stub)
    await advance(w.ctx, hours=7)  # sandbox: shipped at 6 h
    raw = await _webhook(w, shipment.order_id)
    for _ in range(3):  # the vendor retries its delivery
        await receive("warehouses", "sandbox", w.ctx.tenant_id, raw)
    assert await _process_all(w.ctx.tenant_id) == 1
    view = await fulfilment.get_shipment(w.ctx, shipment.id)
    assert view.status == "shipped"
    assert view.carrier_code == "SF"
    assert view.waybill_no
    assert not view.late
    timeline = await fulfilment.tracking(w.ctx, shipment.id)
    assert [t.state for t in timeline] == ["accepted", "shipped"]
    assert view.shipped_at == timeline[1].at  # when the carrier took it, not when we heard
    assert timeline[1].at - timeline[0].at > timedelta(hours=5)
    assert [s.shipment_id for s in shipped.of(w)] == [str(shipment.id)]
    assert shipped.of(w)[0].attempt_id == view.attempt_id
    assert shipped.of(w)[0].waybill_no == view.waybill_no
    await advance(w.ctx, hours=6)  # 13 h: in transit
    await receive("warehouses", "sandbox", w.ctx.tenant_id, await _webhook(w, shipment.order_id))
    # An older event ("picked" at 2 h) arrives after the newer ones.
    await receive("warehouses", "sandbox", w.ctx.tenant_id,
                  await _old_event(w, shipment.order_id, "picked", view.created_at + timedelta(hours=2)))
    # and the shipped event yet again, re-signed by the vendor's retry
    await receive("warehouses", "sandbox", w.ctx.tenant_id, await _old_event(
        w, shipment.order_id, "shipped", view.shipped_at, event_id=f"evt_{shipment.order_id}_shipped"))
    await _process_all(w.ctx.tenant_id)
    after = await fulfilment.get_shipment(w.ctx, shipment.id)
    assert after.status == "in_transit", "an earlier state never overwrites a later one"
    assert after.shipped_at == view.shipped_at
    assert [t.state for t in await fulfilment.tracking(w.ctx, shipment.id)] == [
        "accepted", "picked", "shipped", "in_transit"]
    assert len(shipped.of(w)) == 1, "shipped is told once"
    assert sorted(m.template for m in await w.inbox()) == ["SMS_SHIPMENT_NOTICE", "SMS_SHIPMENT_SHIPPED"]


async def test_a_webhook_for_an_unknown_order_changes_nothing(jobs_stub: Any) -> None:
    w, shipment = await _accepted(jobs_stub)
    await advance(w.ctx, hours=7)
    raw = await _webhook(w, shipment.order_id)
    forged = RawWebhook(raw.method, raw.path, raw.query, raw.headers, raw.body.replace(b"shp-", b"xxx-"),
                        raw.remote_ip, raw.received_at)
    await receive("warehouses", "sandbox", w.ctx.tenant_id, forged)  # bad signature: refused
    await _process_all(w.ctx.tenant_id)
    assert (await fulfilment.get_shipment(w.ctx, shipment.id)).status == "accepted"


async def test_polling_follows_the_parcel_when_webhooks_are_missed(jobs_stub: Any, shipped: Any) -> None:
    w, shipment = await _accepted(jobs_stub)
    states = []
    for _ in range(12):  # every 4 h (store clock) for two days
        await advance(w.ctx, hours=4, minutes=1)
        await tick(jobs_stub)
        states.append((await fulfilment.get_shipment(w.ctx, shipment.id)).status)
    assert states[:3] == ["picked", "shipped", "in_transit"]
    assert states[-1] == "delivered"
    view = await fulfilment.get_shipment(w.ctx, shipment.id)
    at = {t.state: t.at for t in await fulfilment.tracking(w.ctx, shipment.id)}
    assert list(at) == ["accepted", "picked", "shipped", "in_transit", "out_for_delivery", "delivered"]
    assert view.delivered_at == at["delivered"]
    assert view.shipped_at == at["shipped"]
    assert at["delivered"] - at["accepted"] == timedelta(hours=40)
    assert len(shipped.of(w)) == 1
    assert sorted(m.template for m in await w.inbox()) == [
        "SMS_SHIPMENT_DELIVERED", "SMS_SHIPMENT_NOTICE", "SMS_SHIPMENT_SHIPPED"]
    await advance(w.ctx, hours=8)
    assert (await tick(jobs_stub)).get("fulfilment.poll", 0) == 0, "a delivered parcel is not polled any more"


async def test_a_shipment_not_shipped_within_24_hours_is_late(jobs_stub: Any) -> None:
    w = await world(phone="13912340094")
    slow = await pay(w)  # never submitted in this test: the warehouse has not got it
    await advance(w.ctx, hours=23)
    assert not (await fulfilment.get_shipment(w.ctx, slow.id)).late
    assert (await fulfilment.list_shipments(w.ctx, late=True, contract_id=w.contract.id))[1] == 0
    on_time, _ = await fulfilment.list_shipments(w.ctx, late=False, contract_id=w.contract.id)
    assert [s.id for s in on_time] == [slow.id]
    await advance(w.ctx, hours=2)
    assert (await fulfilment.get_shipment(w.ctx, slow.id)).late
    late, total = await fulfilment.list_shipments(w.ctx, late=True, contract_id=w.contract.id)
    assert total == 1
    assert late[0].id == slow.id
    assert (await fulfilment.list_shipments(w.ctx, late=False, contract_id=w.contract.id))[1] == 0


async def test_a_webhook_after_an_unknown_answer_settles_the_shipment_without_a_resend(jobs_stub: Any) -> None:
    w = await world(phone="13912340094")  # sandbox: UNKNOWN TIMEOUT, but the order arrived
    shipment = await pay(w)
    await tick(jobs_stub)
    assert (await fulfilment.get_shipment(w.ctx, shipment.id)).last_error_code == "TIMEOUT"
    await receive("warehouses", "sandbox", w.ctx.tenant_id, await _webhook(w, shipment.order_id))
    await _process_all(w.ctx.tenant_id)
    view = await fulfilment.get_shipment(w.ctx, shipment.id)
    assert (view.status, view.attempts) == ("accepted", 1)
    await advance(w.ctx, minutes=5)
    await tick(jobs_stub)  # no submission is due any more; the poll takes over
    assert (await fulfilment.get_shipment(w.ctx, shipment.id)).attempts == 1
    assert [m.template for m in await w.inbox()] == ["SMS_SHIPMENT_NOTICE"]
    await advance(w.ctx, hours=7)
    await tick(jobs_stub)
    assert (await fulfilment.get_shipment(w.ctx, shipment.id)).status == "shipped", "polled"
