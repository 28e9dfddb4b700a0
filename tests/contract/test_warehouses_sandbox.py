"""warehouses/sandbox honours the provider contract; its parcels move with the store's clock and
its scripted phones do what the docs say."""

from __future__ import annotations

import dataclasses
import json
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest

from pawpay.platform.hooks import (
    OrderLine,
    OutboundOrder,
    ParcelState,
    ProviderCatalog,
    ProviderContext,
    ProviderError,
    ProviderRegistrationError,
    ProviderStatus,
    Receiver,
    WebhookRejected,
)
from pawpay.platform.hooks._manager import build_plugin_manager
from pawpay.platform.testing.providers import DEFAULT_NOW, WarehouseProviderContract, WarehouseScenarios
from pawpay.plugins.warehouses.sandbox import plugin
from pawpay.plugins.warehouses.sandbox.provider import SandboxWarehouse, SandboxWarehouseConfig

pytestmark = pytest.mark.contract

CONFIG = {"app_key": "sandbox_store", "app_secret": "a" * 16, "webhook_secret": "s3cret-s3cret-s3cret"}


class TestSandboxWarehouseContract(WarehouseProviderContract):
    @pytest.fixture
    def provider(self) -> SandboxWarehouse:
        return SandboxWarehouse()

    @pytest.fixture
    def provider_config(self) -> dict[str, Any]:
        return dict(CONFIG)

    @pytest.fixture
    def scenarios(self) -> WarehouseScenarios:
        return WarehouseScenarios(
            delivered_after=timedelta(hours=40),
            make_webhook=lambda provider, ctx, order_id: provider.build_webhook(ctx, order_id),
        )


@pytest.fixture
def sandbox() -> SandboxWarehouse:
    return SandboxWarehouse()


TENANT = "7b0c7c2e-0000-4000-8000-000000000001"


def _ctx(after: timedelta = timedelta(0), tenant_id: str = TENANT) -> ProviderContext[SandboxWarehouseConfig]:
    now: datetime = DEFAULT_NOW + after
    return ProviderContext(tenant_id=tenant_id, config=SandboxWarehouseConfig(**CONFIG), test_mode=True,
                           clock_now=lambda: now)


def _order(phone: str = "13812345678", sku: str = "FOOD-2KG", quantity: int = 1) -> OutboundOrder:
    return OutboundOrder(
        order_id=f"ord-{uuid.uuid4().hex[:8]}", warehouse_code="WH1",
        receiver=Receiver("张三", phone, "上海市", "上海市", "浦东新区", "世纪大道 1 号"),
        lines=(OrderLine(sku, quantity),),
    )


async def _states(sandbox: SandboxWarehouse, order: OutboundOrder, hours: list[float]) -> list[ParcelState | None]:
    return [(await sandbox.query_outbound_order(_ctx(timedelta(hours=h)), order.order_id)).state for h in hours]


async def test_a_parcel_moves_through_the_normal_journey(sandbox: SandboxWarehouse) -> None:
    order = _order()
    assert (await sandbox.create_outbound_order(_ctx(), order)).status is ProviderStatus.SUCCEEDED
    assert await _states(sandbox, order, [0, 1.9, 2, 6, 12, 35, 36, 40, 400]) == [
        ParcelState.ACCEPTED, ParcelState.ACCEPTED, ParcelState.PICKED, ParcelState.SHIPPED,
        ParcelState.IN_TRANSIT, ParcelState.IN_TRANSIT, ParcelState.OUT_FOR_DELIVERY, ParcelState.DELIVERED,
        ParcelState.DELIVERED,
    ]
    before = await sandbox.query_outbound_order(_ctx(timedelta(hours=5)), order.order_id)
    assert (before.waybill_no, before.carrier_code) == (None, None)  # no waybill before pickup by the carrier
    after = await sandbox.query_outbound_order(_ctx(timedelta(hours=6)), order.order_id)
    assert after.carrier_code == "SF"
    assert after.waybill_no is not None
    assert after.waybill_no.startswith("SF")
    assert len(after.waybill_no) == 14


async def test_a_lost_parcel_stays_a_problem(sandbox: SandboxWarehouse) -> None:
    order = _order("13812345691")
    await sandbox.create_outbound_order(_ctx(), order)
    assert await _states(sandbox, order, [12, 24, 100]) == [
        ParcelState.IN_TRANSIT, ParcelState.PROBLEM, ParcelState.PROBLEM]


async def test_a_refused_parcel_returns_to_the_warehouse(sandbox: SandboxWarehouse) -> None:
    order = _order("13812345692")
    await sandbox.create_outbound_order(_ctx(), order)
    assert await _states(sandbox, order, [36, 40, 96]) == [
        ParcelState.OUT_FOR_DELIVERY, ParcelState.PROBLEM, ParcelState.RETURNED]


async def test_busy_once_then_the_same_order_is_accepted(sandbox: SandboxWarehouse) -> None:
    order = _order("13812345693")
    busy = await sandbox.create_outbound_order(_ctx(), order)
    assert (busy.status, busy.error_code) == (ProviderStatus.NOT_SUBMITTED, "SYSTEM_BUSY")
    assert (await sandbox.query_outbound_order(_ctx(), order.order_id)).result.status is ProviderStatus.NOT_SUBMITTED
    assert (await sandbox.create_outbound_order(_ctx(), order)).status is ProviderStatus.SUCCEEDED


async def test_a_timeout_turns_out_to_have_reached_the_warehouse(sandbox: SandboxWarehouse) -> None:
    order = _order("13812345694")
    lost = await sandbox.create_outbound_order(_ctx(), order)
    assert (lost.status, lost.error_code) == (ProviderStatus.UNKNOWN, "TIMEOUT")
    info = await sandbox.query_outbound_order(_ctx(timedelta(hours=3)), order.order_id)
    assert (info.result.status, info.state) == (ProviderStatus.SUCCEEDED, ParcelState.PICKED)
    assert (await sandbox.create_outbound_order(_ctx(), order)).status is ProviderStatus.SUCCEEDED


async def test_an_unexpected_fault_raises(sandbox: SandboxWarehouse) -> None:
    order = _order("13812345698")
    with pytest.raises(ProviderError) as raised:
        await sandbox.create_outbound_order(_ctx(), order)
    assert raised.value.retryable
    assert (await sandbox.query_outbound_order(_ctx(), order.order_id)).result.status is ProviderStatus.NOT_SUBMITTED


@pytest.mark.parametrize(("sku", "quantity", "code"), [("OOS-FOOD", 1, "OUT_OF_STOCK"), ("FOOD", 0, "INVALID_ORDER")])
async def test_refused_orders_never_ship(sandbox: SandboxWarehouse, sku: str, quantity: int, code: str) -> None:
    order = _order(sku=sku, quantity=quantity)
    result = await sandbox.create_outbound_order(_ctx(), order)
    assert (result.status, result.error_code) == (ProviderStatus.FAILED, code)
    info = await sandbox.query_outbound_order(_ctx(timedelta(hours=48)), order.order_id)
    assert (info.result.status, info.state, info.events) == (ProviderStatus.FAILED, None, ())


async def test_cancel_before_picking_stops_the_parcel(sandbox: SandboxWarehouse) -> None:
    order = _order()
    await sandbox.create_outbound_order(_ctx(), order)
    assert (await sandbox.cancel_outbound_order(_ctx(timedelta(hours=1)), order.order_id, "退订")).status is (
        ProviderStatus.SUCCEEDED)
    info = await sandbox.query_outbound_order(_ctx(timedelta(hours=48)), order.order_id)
    assert [e.state for e in info.events] == [ParcelState.ACCEPTED, ParcelState.CANCELLED]
    assert (await sandbox.cancel_outbound_order(_ctx(timedelta(hours=2)), order.order_id, "again")).status is (
        ProviderStatus.SUCCEEDED)


async def test_cancel_after_picking_is_too_late(sandbox: SandboxWarehouse) -> None:
    order = _order()
    await sandbox.create_outbound_order(_ctx(), order)
    late = await sandbox.cancel_outbound_order(_ctx(timedelta(hours=2)), order.order_id, "退订")
    assert (late.status, late.error_code) == (ProviderStatus.FAILED, "TOO_LATE")
    unknown = await sandbox.cancel_outbound_order(_ctx(), "ord-none", "x")
    assert (unknown.status, unknown.error_code) == (ProviderStatus.NOT_SUBMITTED, "NOT_FOUND")


async def test_reusing_an_order_id_for_other_contents_raises(sandbox: SandboxWarehouse) -> None:
    order = _order()
    await sandbox.create_outbound_order(_ctx(), order)
    with pytest.raises(ProviderError) as raised:
        await sandbox.create_outbound_order(_ctx(), dataclasses.replace(order, lines=(OrderLine("FOOD-2KG", 2),)))
    assert raised.value.code == "IDEMPOTENCY_MISMATCH"


async def test_the_tracking_webhook_reports_the_latest_state(sandbox: SandboxWarehouse) -> None:
    order = _order()
    await sandbox.create_outbound_order(_ctx(), order)
    ctx = _ctx(timedelta(hours=37))
    raw = sandbox.build_webhook(ctx, order.order_id)
    [event] = await sandbox.verify_webhook(ctx, raw)
    assert (event.kind, event.reference, event.raw["state"]) == ("parcel.moved", order.order_id, "out_for_delivery")
    assert event.occurred_at == DEFAULT_NOW + timedelta(hours=36)
    assert event.provider_reference == json.loads(raw.body)["waybill_no"]
    other = ProviderContext(ctx.tenant_id, SandboxWarehouseConfig(**{**CONFIG, "webhook_secret": "x" * 16}), True,
                            ctx.clock_now)
    with pytest.raises(WebhookRejected):
        await sandbox.verify_webhook(other, raw)
    assert json.loads(sandbox.webhook_ack(True).body) == {"result": True, "returnCode": "200", "message": "成功"}


@pytest.mark.parametrize(("app_key", "status"), [
    ("sandbox_bad_credentials", ProviderStatus.FAILED),
    ("sandbox_unreachable", ProviderStatus.NOT_SUBMITTED),
])
async def test_scripted_connection_failures(sandbox: SandboxWarehouse, app_key: str, status: ProviderStatus) -> None:
    config = SandboxWarehouseConfig(**{**CONFIG, "app_key": app_key})
    assert (await sandbox.test_connection(ProviderContext("t", config, True, lambda: DEFAULT_NOW))).status is status


def test_the_plugin_registers_the_sandbox() -> None:
    catalog = build_plugin_manager(load_entry_points=False, extra_plugins=[plugin]).providers()
    assert isinstance(catalog.get("warehouses", "sandbox").provider, SandboxWarehouse)
    assert isinstance(catalog.create("warehouses", "sandbox", CONFIG).config, SandboxWarehouseConfig)


async def test_the_sandbox_needs_no_settings() -> None:
    # The platform falls back to a settings-free sandbox for a store that chose nothing.
    catalog = build_plugin_manager(load_entry_points=False, extra_plugins=[plugin]).providers()
    configured = catalog.create("warehouses", "sandbox", {})
    assert isinstance(configured.config, SandboxWarehouseConfig)
    ctx = configured.context(tenant_id=str(uuid.uuid4()), test_mode=True, clock_now=lambda: DEFAULT_NOW)
    assert (await configured.provider.test_connection(ctx)).status is ProviderStatus.SUCCEEDED



def test_the_protocol_requires_a_webhook_ack() -> None:
    # The webhook endpoint answers with the provider's own reply, so the contract asks for it.
    without_ack = type("WithoutAck", (), {k: v for k, v in vars(SandboxWarehouse).items()
                                           if k not in ("webhook_ack", "__slots__", "__dict__", "__weakref__")})
    assert not hasattr(without_ack(), "webhook_ack")
    with pytest.raises(ProviderRegistrationError, match="webhook_ack"):
        ProviderCatalog().add("warehouses", "no_ack", without_ack)


async def test_a_refused_order_sent_again_after_a_restock_ships_once(sandbox: SandboxWarehouse) -> None:
    order = _order(sku="OOS-KITTEN-2KG")
    assert (await sandbox.create_outbound_order(_ctx(), order)).error_code == "OUT_OF_STOCK"
    assert (await sandbox.create_outbound_order(_ctx(), order)).error_code == "OUT_OF_STOCK"  # still out
    sandbox.restock(TENANT, "OOS-KITTEN-2KG")
    accepted = await sandbox.create_outbound_order(_ctx(), order)
    assert accepted.status is ProviderStatus.SUCCEEDED
    again = await sandbox.create_outbound_order(_ctx(timedelta(hours=1)), order)
    assert again == accepted  # the same order id is the same parcel
    other_store = await sandbox.create_outbound_order(_ctx(tenant_id="another-store"), order)
    assert other_store.error_code == "OUT_OF_STOCK"  # restocked for one store only
