"""Drive the shipments page in headless Chromium (phone-sized): a manager finds the box the warehouse
refused in the exception queue with its reason, retries it with one click (the flash says it goes
out under the same order number), and once the warehouse took it the shipment page shows it
accepted with its tracking."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pawpay.platform.tenancy.scope import tenant_scope
from pawpay.platform.testing.plugin import PASSWORD
from pawpay.tenants.fulfilment import services as fulfilment
from pawpay.tenants.fulfilment.tables import FulfilmentShipment
from tests.integration.fulfilment.conftest import pay, tick, world

CHROMIUM = "/usr/bin/chromium"
pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is not installed")]


async def test_a_manager_retries_a_refused_box_from_the_exception_queue(live_server: str, chromium: Any,
                                                                         jobs_stub: Any) -> None:
    w = await world()
    shipment = await pay(w)
    async with tenant_scope(w.ctx):  # the box's SKU is out of stock at the sandbox warehouse
        await FulfilmentShipment.update({
            FulfilmentShipment.lines: [{"sku": "OOS-KITTEN", "name": "幼猫粮", "quantity": 2}],
            FulfilmentShipment.contents_resolved: True, FulfilmentShipment.customer_id: w.contract.customer_id,
        }).where(FulfilmentShipment.id == shipment.id)
    await tick(jobs_stub)
    assert (await fulfilment.get_shipment(w.ctx, shipment.id)).status == "exception"
    context = await chromium.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = await context.new_page()
    try:
        await page.goto(f"{live_server}/login")
        await page.fill("input[name=email]", w.store.manager_email)
        await page.fill("input[name=password]", PASSWORD)
        async with page.expect_navigation():
            await page.click("form[action='/login'] button[type=submit]")
        await page.goto(f"{live_server}/admin/shipments")
        queue = await page.inner_text("#exception-queue")
        assert "OUT_OF_STOCK" in queue
        assert w.contract.contract_no in queue
        warehouse, _ = await w.warehouse()
        warehouse.restock(str(w.ctx.tenant_id), "OOS-KITTEN")
        async with page.expect_navigation():
            await page.click(f"button[data-retry='{shipment.id}']")
        assert "订单号不变，不会重复发货" in await page.inner_text("body")
        assert w.contract.contract_no not in await page.inner_text("#exception-queue")
        await tick(jobs_stub)  # the worker sends it again
        await page.goto(f"{live_server}/admin/shipments/{shipment.id}")
        main = await page.inner_text("main")
        assert "仓库已接单" in main
        assert shipment.order_id in main
        done = await fulfilment.get_shipment(w.ctx, shipment.id)
        assert (done.status, done.order_id, done.attempts) == ("accepted", shipment.order_id, 2)
    finally:
        await context.close()
