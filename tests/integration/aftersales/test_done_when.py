"""Issue 8, done when: "a damaged-item ticket is reshipped in one click and closed within its SLA" —
over HTTP against the real app, in test mode, the shipment from a really debited period (sandbox rail,
billing's job) accepted by the sandbox warehouse; the reship goes out through the sandbox warehouse
once, however many times the button is clicked. (The same in Chromium: tests/browser/test_aftersales.py.)"""

from __future__ import annotations

from typing import Any

import pytest

from pawpay.platform.hooks import ProviderStatus
from pawpay.platform.jobs.services import advance_tenant_clock
from pawpay.platform.providers.services import provider_for
from pawpay.platform.testing.plugin import login
from pawpay.tenants.aftersales import services as aftersales
from pawpay.tenants.fulfilment import services as fulfilment
from tests.integration.aftersales.conftest import jpeg, paid_shipment, submit_reships

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("pawpay_database")]


async def test_a_damaged_item_is_reshipped_in_one_click_and_closed_within_its_sla(jobs_stub: Any, http: Any) -> None:
    paid = await paid_shipment(jobs_stub, "13912340801")
    await login(http, paid.store.s.store.manager_email)
    opened = await http.post("/admin/tickets/new", data={
        "_csrf": http.headers["x-csrftoken"], "contract_no": paid.contract.contract_no, "kind": "damaged",
        "shipment_id": str(paid.shipment.id), "description": "罐头到货时压扁漏液"},
        files=[("photos", ("box.jpg", jpeg(), "image/jpeg"))])
    assert opened.status_code == 303, opened.text
    ticket_url = opened.headers["location"]
    [ticket], _ = await aftersales.list_tickets(paid.ctx, contract_id=paid.contract.id)
    assert ticket_url == f"/admin/tickets/{ticket.id}"
    page = await http.get(ticket_url)
    assert 'data-testid="reship"' in page.text
    assert len(await aftersales.photos(paid.ctx, ticket.id)) == 1

    await advance_tenant_clock(paid.ctx, 3 * 3600)
    for _click in range(2):  # a double click
        clicked = await http.post(f"{ticket_url}/reship", data={"postage": "12.00"})
        assert clicked.status_code == 303
    reshipped = await aftersales.get_ticket(paid.ctx, ticket.id)
    assert reshipped.reship_postage_fen == 1200
    assert reshipped.state == "in_progress"
    reships = [s for s in (await fulfilment.list_shipments(paid.ctx, contract_id=paid.contract.id))[0]
               if s.kind == "reship"]
    assert len(reships) == 1
    assert reships[0].id == reshipped.reship_shipment_id
    assert reships[0].ticket_id == ticket.id
    assert reships[0].reship_of == paid.shipment.id
    assert reships[0].postage_fen == 1200
    assert [e.kind for e in await aftersales.events(paid.ctx, ticket.id)].count("reshipped") == 1
    page = await http.get(ticket_url)
    assert 'data-testid="reship"' not in page.text  # nothing left to click
    assert "12.00" in page.text

    # The warehouse job sends it out through the sandbox warehouse, once.
    # (The scheduler ticks for every store of the session's database: look at this reship only.)
    await submit_reships(jobs_stub)
    sent = await fulfilment.get_shipment(paid.ctx, reships[0].id)
    assert sent.status == "accepted"
    assert sent.attempts == 1
    warehouse, wctx = await provider_for(paid.ctx, "warehouses")
    assert (await warehouse.query_outbound_order(wctx, sent.order_id)).result.status is ProviderStatus.SUCCEEDED
    await submit_reships(jobs_stub)
    assert (await fulfilment.get_shipment(paid.ctx, reships[0].id)).attempts == 1  # sent once

    await advance_tenant_clock(paid.ctx, 20 * 3600)  # 23 h in: within the 48 h
    resolved = await http.post(f"{ticket_url}/act", data={"action": "resolve", "note": "已补发，运费门店承担"})
    assert resolved.status_code == 303
    closed = await http.post(f"{ticket_url}/act", data={"action": "close", "note": ""})
    assert closed.status_code == 303
    done = await aftersales.get_ticket(paid.ctx, ticket.id)
    assert done.state == "closed"
    assert done.sla_outcome == "met"
    assert done.sla_met_at is not None
    assert done.sla_met_at <= done.sla_deadline
    assert done.escalated_at is None
    kinds = [e.kind for e in await aftersales.events(paid.ctx, ticket.id)]
    assert kinds == ["opened", "reshipped", "resolve", "close"]
