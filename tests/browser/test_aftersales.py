"""Issue 8, done when — in headless Chromium: a customer whose first month was really debited (sandbox
rail, billing's job) and shipped (sandbox warehouse, fulfilment's job) reports the damaged box from
their phone with a photo (``/sign/{store}/my``); the store's after-sales staff reship it in one click
(the store pays the postage), resolve and close it within the 48 h; the reship goes out through the
sandbox warehouse once; the customer sees the ticket closed and the reship among their shipments."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

import pytest

from pawpay.platform.hooks import ProviderStatus
from pawpay.platform.jobs.services import advance_tenant_clock
from pawpay.platform.providers.services import provider_for
from pawpay.platform.testing.plugin import PASSWORD
from pawpay.tenants.aftersales import services as aftersales
from pawpay.tenants.fulfilment import services as fulfilment
from tests.integration.aftersales.conftest import jpeg, paid_shipment, submit_reships

CHROMIUM = "/usr/bin/chromium"
pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("pawpay_database"),
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is not installed")]
PHONE = {"width": 390, "height": 844}


async def _click(page: Any, selector: str) -> None:
    async with page.expect_navigation():
        await page.click(selector)


async def test_a_damaged_box_is_reshipped_in_one_click_and_closed_within_its_sla(
        live_server: str, chromium: Any, jobs_stub: Any) -> None:
    paid = await paid_shipment(jobs_stub, "13912341101")
    slug = paid.store.s.store.slug
    staff_context = await chromium.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    phone_context = await chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN")
    staff = await staff_context.new_page()
    customer = await phone_context.new_page()
    photo = Path(tempfile.mkdtemp(prefix="pawpay-aftersales-")) / "box.jpg"
    photo.write_bytes(jpeg())
    try:
        await staff.goto(f"{live_server}/login")
        await staff.fill("input[name=email]", paid.store.s.store.manager_email)
        await staff.fill("input[name=password]", PASSWORD)
        await _click(staff, "form[action='/login'] button[type=submit]")

        # The customer signs in on their phone and reports the damaged box of their first month.
        await customer.goto(f"{live_server}/sign/{slug}/my")
        assert await customer.get_attribute("html", "lang") == "zh-CN"
        await customer.fill("input[name=phone]", paid.phone)
        await _click(customer, "[data-testid=send-code]")
        await staff.goto(f"{live_server}/admin/sandbox/inbox?recipient={paid.phone}")
        code = re.search(r"code=(\d{6})", await staff.inner_text("main"))
        assert code, await staff.inner_text("main")
        await customer.fill("input[name=code]", code.group(1))
        await _click(customer, "[data-testid=login]")
        assert paid.contract.contract_no in await customer.inner_text("main")
        await _click(customer, "[data-testid=shipment] a")
        await _click(customer, "text=这单有问题，申请售后")
        await customer.select_option("select[name=kind]", "damaged")
        await customer.fill("textarea[name=description]", "罐头到货时压扁漏液")
        await customer.set_input_files("input[name=photos]", str(photo))
        await _click(customer, "[data-testid=submit-ticket]")
        [ticket], _ = await aftersales.list_tickets(paid.ctx, contract_id=paid.contract.id)
        assert ticket.shipment_id == paid.shipment.id
        assert ticket.opened_by_kind == "customer"
        assert await customer.locator("[data-testid=photo]").count() == 1

        # After-sales staff: the board, the ticket, one click to reship.
        await advance_tenant_clock(paid.ctx, 2 * 3600)
        await staff.goto(f"{live_server}/admin/tickets")
        assert ticket.ticket_no in await staff.inner_text("[data-testid=column-open]")
        await _click(staff, f"[data-testid=ticket-{ticket.ticket_no}] a")
        assert await staff.locator("[data-testid=photo]").count() == 1
        await staff.fill("input[name=postage]", "12.00")
        await _click(staff, "[data-testid=reship]")
        assert "已通过云仓补发" in await staff.inner_text("main")
        assert await staff.locator("[data-testid=reship]").count() == 0  # nothing left to click twice
        assert "¥12.00" in await staff.inner_text("[data-testid=reshipment]")
        await advance_tenant_clock(paid.ctx, 20 * 3600)
        await staff.fill("textarea[name=note]", "已补发新罐头，运费由门店承担")
        await _click(staff, "[data-testid=act-resolve]")
        await _click(staff, "[data-testid=act-close]")
        assert await staff.get_attribute("[data-testid=state]", "data-state") == "closed"
        assert await staff.get_attribute("[data-testid=sla-badge]", "data-badge") == "met"

        done = await aftersales.get_ticket(paid.ctx, ticket.id)
        assert done.state == "closed"
        assert done.sla_outcome == "met"
        assert done.reship_postage_fen == 1200
        reships = [s for s in (await fulfilment.list_shipments(paid.ctx, contract_id=paid.contract.id))[0]
                   if s.kind == "reship"]
        assert [s.id for s in reships] == [done.reship_shipment_id]
        await submit_reships(jobs_stub)
        sent = await fulfilment.get_shipment(paid.ctx, reships[0].id)
        assert sent.status == "accepted"
        assert sent.attempts == 1
        warehouse, wctx = await provider_for(paid.ctx, "warehouses")
        assert (await warehouse.query_outbound_order(wctx, sent.order_id)).result.status is ProviderStatus.SUCCEEDED

        # The customer sees it closed, with the resolution, and the reship among their shipments.
        await customer.goto(f"{live_server}/sign/{slug}/my/tickets/{ticket.id}")
        assert "已关闭" in await customer.inner_text("[data-testid=state]")
        assert "已补发新罐头" in await customer.inner_text("[data-testid=resolution]")
        await customer.goto(f"{live_server}/sign/{slug}/my")
        assert await customer.locator("[data-testid=shipment]").count() == 2
    finally:
        await staff_context.close()
        await phone_context.close()
