"""The shipped event reports the shipping to a payment rail that settles only after it (capability
``SHIPPING_INFO``, WeChat's mini-program rule): once, with the debit's attempt id, the waybill, the
masked phone and the payer's openid; a rail that is unreachable is asked again by the poll job; a
rail without the gate and a reship need nothing.

The rail here is the payments sandbox with the shipping gate switched on: a fake of the vendor,
registered under its own name for this module."""

from __future__ import annotations

import contextlib
import uuid
from typing import Any, ClassVar

import pytest

from pawpay.platform.hooks import Capabilities, Capability, ProviderResult, ProviderStatus, ShippingInfo
from pawpay.platform.hooks._manager import get_plugin_manager
from pawpay.platform.hooks.registry import ProviderRegistrationError
from pawpay.platform.providers.services import set_store_provider
from pawpay.plugins.payments.sandbox.provider import SandboxPayments
from pawpay.tenants.fulfilment import services as fulfilment
from tests.integration.fulfilment.conftest import World, advance, pay, tick, world

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("pawpay_database")]


class ShippingGateSandbox(SandboxPayments):
    """The sandbox rail, holding funds until the shipping is reported (like a WeChat mini-program)."""

    capabilities: ClassVar[Capabilities] = frozenset({*SandboxPayments.capabilities, Capability.SHIPPING_INFO})

    def __init__(self) -> None:
        super().__init__()
        self.reported: list[tuple[str, ShippingInfo]] = []
        self.unreachable: set[str] = set()  # tenants whose next upload is refused at the door

    async def upload_shipping_info(self, ctx: Any, info: ShippingInfo) -> ProviderResult:
        if ctx.tenant_id in self.unreachable:
            self.unreachable.discard(ctx.tenant_id)
            return ProviderResult(ProviderStatus.NOT_SUBMITTED, error_code="SYSTEM_BUSY")
        self.reported.append((ctx.tenant_id, info))
        return ProviderResult(ProviderStatus.SUCCEEDED)


class NoGateSandbox(SandboxPayments):
    """A rail that settles without any shipping report."""

    capabilities: ClassVar[Capabilities] = SandboxPayments.capabilities - {Capability.SHIPPING_INFO}


@pytest.fixture(scope="module")
def gate() -> ShippingGateSandbox:
    catalog = get_plugin_manager().providers()
    for name, factory in (("shipgate_sandbox", ShippingGateSandbox), ("nogate_sandbox", NoGateSandbox)):
        with contextlib.suppress(ProviderRegistrationError):  # registered by an earlier run in this process
            catalog.for_plugin("fulfilment-tests").add("payments", name, factory)
    provider: ShippingGateSandbox = catalog.get("payments", "shipgate_sandbox").provider
    return provider


async def _gated_world(gate: ShippingGateSandbox, rail: str = "shipgate_sandbox") -> World:
    w = await world()
    await set_store_provider(w.ctx, "payments", rail, {
        "merchant_id": "m_fulfilment", "webhook_secret": "whsec-fulfilment-" + uuid.uuid4().hex})
    return w


async def _ship(w: World, jobs: Any) -> Any:
    shipment = await pay(w)
    await tick(jobs)
    await advance(w.ctx, hours=4, minutes=1)
    await tick(jobs)  # picked
    await advance(w.ctx, hours=4, minutes=1)
    await tick(jobs)  # shipped
    view = await fulfilment.get_shipment(w.ctx, shipment.id)
    assert view.status == "shipped"
    return view


def _reports(gate: ShippingGateSandbox, w: World) -> list[ShippingInfo]:
    return [info for tenant, info in gate.reported if tenant == str(w.ctx.tenant_id)]


async def test_a_shipped_period_is_reported_to_the_rail_once(gate: ShippingGateSandbox, jobs_stub: Any) -> None:
    w = await _gated_world(gate)
    view = await _ship(w, jobs_stub)
    [info] = _reports(gate, w)
    assert (info.attempt_id, info.waybill_no, info.carrier_code) == (view.attempt_id, view.waybill_no, "SF")
    assert info.shipped_at == view.shipped_at
    assert info.receiver_phone_masked == f"{w.phone[:3]}****{w.phone[-4:]}"
    assert info.item_desc
    assert (await fulfilment.get_shipment(w.ctx, view.id)).shipping_info_status == "uploaded"
    assert await fulfilment.upload_shipping_info(w.ctx, view.id) == "uploaded"  # a replayed event: nothing sent
    await advance(w.ctx, hours=40)
    await tick(jobs_stub)
    assert len(_reports(gate, w)) == 1


async def test_an_unreachable_rail_is_asked_again_by_the_poll(gate: ShippingGateSandbox, jobs_stub: Any) -> None:
    w = await _gated_world(gate)
    gate.unreachable.add(str(w.ctx.tenant_id))
    view = await _ship(w, jobs_stub)
    assert _reports(gate, w) == []
    assert (await fulfilment.get_shipment(w.ctx, view.id)).shipping_info_status == "pending"
    await advance(w.ctx, hours=4, minutes=1)
    await tick(jobs_stub)
    assert len(_reports(gate, w)) == 1
    assert (await fulfilment.get_shipment(w.ctx, view.id)).shipping_info_status == "uploaded"


async def test_a_rail_without_the_gate_and_a_reship_need_nothing(gate: ShippingGateSandbox, jobs_stub: Any) -> None:
    plain = await _gated_world(gate, rail="nogate_sandbox")
    view = await _ship(plain, jobs_stub)
    assert (await fulfilment.get_shipment(plain.ctx, view.id)).shipping_info_status == "not_needed"
    w = await _gated_world(gate)
    original = await _ship(w, jobs_stub)
    again = await fulfilment.reship(w.ctx, original.id, reason="破损", ticket_id=uuid.uuid4())
    await tick(jobs_stub)
    for _ in range(2):
        await advance(w.ctx, hours=4, minutes=1)
        await tick(jobs_stub)
    reshipped = await fulfilment.get_shipment(w.ctx, again.id)
    assert reshipped.shipped_at is not None
    assert reshipped.shipping_info_status == "not_needed"
    assert [i.attempt_id for i in _reports(gate, w)] == [original.attempt_id]
