"""``/admin/shipments``: the list with its filters, the exception queue with the warehouse's reason and
the retry button (same order number, ships once), the late queue, a shipment's tracking timeline;
finance reads but cannot retry; another store gets 404."""

from __future__ import annotations

from typing import Any

import pytest

from pawpay.platform.identity.roles import FINANCE
from pawpay.platform.tenancy.scope import tenant_scope
from pawpay.platform.testing.plugin import create_store
from pawpay.tenants.fulfilment import services as fulfilment
from pawpay.tenants.fulfilment.tables import FulfilmentShipment
from tests.integration.fulfilment.conftest import advance, pay, tick, world

pytestmark = pytest.mark.integration


async def _refused(w: Any, jobs: Any) -> Any:
    """A shipment the warehouse refused (its SKU is out of stock at the sandbox warehouse)."""
    shipment = await pay(w)
    async with tenant_scope(w.ctx):
        await FulfilmentShipment.update({
            FulfilmentShipment.lines: [{"sku": "OOS-KITTEN", "name": "幼猫粮", "quantity": 2}],
            FulfilmentShipment.contents_resolved: True, FulfilmentShipment.customer_id: w.contract.customer_id,
        }).where(FulfilmentShipment.id == shipment.id)
    await tick(jobs)
    assert (await fulfilment.get_shipment(w.ctx, shipment.id)).status == "exception"
    return shipment


async def test_the_exception_queue_shows_the_reason_and_a_retry_ships_once(new_browser: Any, jobs_stub: Any) -> None:
    w = await world()
    shipment = await _refused(w, jobs_stub)
    browser = await new_browser("zh_CN")
    await browser.sign_in(w.store.manager_email)
    page = await browser.get("/admin/shipments")
    assert page.status_code == 200
    assert 'href="/admin/shipments"' in page.text  # the nav entry
    assert "异常队列" in page.text  # zh-CN
    assert "OUT_OF_STOCK" in page.text
    assert f'data-retry="{shipment.id}"' in page.text
    filtered = await browser.get("/admin/shipments", params={"status": "exception"})
    assert w.contract.contract_no in filtered.text
    assert (await browser.get("/admin/shipments", params={"status": "lost"})).status_code == 422
    assert (await browser.get("/admin/shipments", params={"stage": "dragon"})).status_code == 422
    warehouse, _ = await w.warehouse()
    warehouse.restock(str(w.ctx.tenant_id), "OOS-KITTEN")
    done = await browser.submit(f"/admin/shipments/{shipment.id}/retry",
                                {"reason": "仓库已补货", "back": "/admin/shipments"}, csrf_from="/admin/shipments")
    assert done.status_code == 303
    again = await browser.submit(f"/admin/shipments/{shipment.id}/retry",
                                 {"reason": "仓库已补货"}, csrf_from="/admin/shipments")
    assert again.status_code == 303  # refused with a flash: it is not in the queue any more
    await tick(jobs_stub)
    view = await fulfilment.get_shipment(w.ctx, shipment.id)
    assert view.status == "accepted"
    assert view.order_id == shipment.order_id
    detail = await browser.get(f"/admin/shipments/{shipment.id}")
    assert detail.status_code == 200
    assert shipment.order_id in detail.text
    assert "仓库已接单" in detail.text  # the tracking timeline
    contract_page = await browser.get(f"/admin/contracts/{w.contract.id}")
    assert f'href="/admin/shipments/{shipment.id}"' in contract_page.text  # the contract lists its boxes


async def test_late_shipments_are_flagged_and_queued(new_browser: Any, jobs_stub: Any) -> None:
    w = await world()
    shipment = await _refused(w, jobs_stub)
    await advance(w.ctx, hours=25)
    browser = await new_browser()
    await browser.sign_in(w.store.manager_email)
    late = await browser.get("/admin/shipments", params={"late": "yes", "status": "exception"})
    assert late.status_code == 200
    assert f'href="/admin/shipments/{shipment.id}"' in late.text.split('id="all-shipments"')[1]
    on_time = await browser.get("/admin/shipments", params={"late": "no", "status": "exception"})
    assert f'href="/admin/shipments/{shipment.id}"' not in on_time.text.split('id="all-shipments"')[1]


async def test_roles_and_other_stores(new_browser: Any, make_staff: Any, jobs_stub: Any) -> None:
    w = await world()
    shipment = await _refused(w, jobs_stub)
    finance = await make_staff(w.ctx.tenant_id, FINANCE)
    browser = await new_browser()
    await browser.sign_in(finance)
    page = await browser.get("/admin/shipments")
    assert page.status_code == 200
    assert f'data-retry="{shipment.id}"' not in page.text
    denied = await browser.submit(f"/admin/shipments/{shipment.id}/retry", {"reason": "x"},
                                  csrf_from="/admin/shipments")
    assert denied.status_code == 403
    other = await create_store()
    stranger = await new_browser()
    await stranger.sign_in(other.manager_email)
    assert (await stranger.get(f"/admin/shipments/{shipment.id}")).status_code == 404
    assert w.contract.contract_no not in (await stranger.get("/admin/shipments")).text
