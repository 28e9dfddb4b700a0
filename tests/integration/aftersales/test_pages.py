"""The staff pages and the JSON API over HTTP: the board (columns, SLA badges, filters, mine), opening a
ticket with photos, the ticket page's actions (bad input: 4xx and nothing changed), another store's ticket
a 404, and ``/api/v1/aftersales``."""

from __future__ import annotations

from typing import Any

import pytest

from pawpay.platform.jobs.services import advance_tenant_clock
from pawpay.platform.testing.plugin import login
from pawpay.tenants.aftersales import services as aftersales
from tests.integration.aftersales.conftest import jpeg, photo, shipped, world

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("pawpay_database")]


async def test_the_board_shows_columns_badges_and_filters(http: Any) -> None:
    w = await world(phone="13912340901")
    late = await aftersales.open_ticket(w.ctx, kind="complaint", contract_id=w.contract.id, description="太慢")
    await advance_tenant_clock(w.ctx, 20 * 3600)
    soon = await aftersales.open_ticket(w.ctx, kind="missing", contract_id=w.contract.id, description="少发")
    await aftersales.act(w.ctx, soon.id, "start")
    await advance_tenant_clock(w.ctx, 5 * 3600)  # the complaint is 1 h past its 24 h; the product issue has 43 h
    await login(http, w.s.store.manager_email)
    page = await http.get("/admin/tickets")
    assert page.status_code == 200
    html = page.text
    open_column = html.split('data-testid="column-open"')[1].split('data-testid="column-in_progress"')[0]
    assert late.ticket_no in open_column
    assert 'data-badge="overdue"' in open_column
    progress = html.split('data-testid="column-in_progress"')[1].split('data-testid="column-waiting_customer"')[0]
    assert soon.ticket_no in progress
    assert 'data-badge="ok"' in progress
    assert "售后工单" in html  # the nav item, in zh-CN
    only_missing = (await http.get("/admin/tickets?kind=missing")).text
    assert soon.ticket_no in only_missing
    assert late.ticket_no not in only_missing
    assert (await http.get("/admin/tickets?kind=bogus")).status_code == 422
    mine = (await http.get("/admin/tickets?mine=1")).text
    assert late.ticket_no not in mine
    await aftersales.assign(w.ctx, late.id, w.s.store.manager_id)
    assert late.ticket_no in (await http.get("/admin/tickets?mine=1")).text


async def test_staff_open_a_ticket_with_photos_and_bad_input_changes_nothing(http: Any) -> None:
    w = await world(phone="13912340902")
    await login(http, w.s.store.manager_email)
    form = await http.get(f"/admin/tickets/new?contract_no={w.contract.contract_no}")
    assert form.status_code == 200
    assert 'name="shipment_id"' in form.text
    assert (await http.get("/admin/tickets/new?contract_no=NOPE")).status_code == 422
    csrf = http.headers["x-csrftoken"]
    bad = await http.post("/admin/tickets/new", data={"_csrf": csrf, "contract_no": w.contract.contract_no,
                                                      "kind": "damaged", "description": "破损"},
                          files=[("photos", ("a.jpg", b"not an image", "image/jpeg"))])
    assert bad.status_code == 422
    assert "photos" in bad.text
    assert (await aftersales.list_tickets(w.ctx))[1] == 0
    no_text = await http.post("/admin/tickets/new", data={"_csrf": csrf, "contract_no": w.contract.contract_no,
                                                          "kind": "damaged", "description": ""})
    assert no_text.status_code == 422
    assert (await aftersales.list_tickets(w.ctx))[1] == 0
    ok = await http.post("/admin/tickets/new", data={"_csrf": csrf, "contract_no": w.contract.contract_no,
                                                     "kind": "damaged", "description": "纸箱破损"},
                         files=[("photos", ("a.jpg", jpeg(), "image/jpeg")), ("photos", ("b.jpg", jpeg("blue"),
                                                                                           "image/jpeg"))])
    assert ok.status_code == 303
    [_ticket], _ = await aftersales.list_tickets(w.ctx)
    page = (await http.get(ok.headers["location"])).text
    assert page.count('data-testid="photo"') == 2
    assert "/files/" in page


async def test_ticket_actions_refuse_bad_input_and_another_store_gets_404(http: Any) -> None:
    w = await world(phone="13912340903")
    other = await world(phone="13912340904")
    ticket = await aftersales.open_ticket(w.ctx, kind="pet_health", contract_id=w.contract.id,
                                          description="呕吐", photos=[photo()])
    await login(http, w.s.store.manager_email)
    url = f"/admin/tickets/{ticket.id}"
    assert (await http.get(url)).status_code == 200
    no_resolution = await http.post(f"{url}/act", data={"action": "resolve", "note": ""})
    assert no_resolution.status_code == 422
    assert (await http.post(f"{url}/act", data={"action": "reopen", "note": "x"})).status_code == 303  # flash
    assert (await http.post(f"{url}/coupon", data={"clinic": "瑞派", "discount_kind": "percent",
                                                   "discount_value": "abc", "code": "X",
                                                   "expires_on": "2030-01-01"})).status_code == 422
    assert (await http.post(f"{url}/pause/propose", data={"periods": "5", "reason": "病"})).status_code == 422
    assert (await http.post(f"{url}/reship", data={"postage": "-3"})).status_code == 422
    assert await aftersales.get_ticket(w.ctx, ticket.id) == ticket
    assert [e.kind for e in await aftersales.events(w.ctx, ticket.id)] == ["opened"]
    assert await aftersales.coupons(w.ctx, ticket.id) == []
    assert (await http.post(f"{url}/pause/propose", data={"periods": "1", "reason": "宠物生病"})).status_code == 303
    assert (await aftersales.get_ticket(w.ctx, ticket.id)).pause_proposal["status"] == "proposed"
    assert (await http.post(f"{url}/coupon", data={"clinic": "瑞派", "discount_kind": "amount",
                                                   "discount_value": "50", "code": "RP-9",
                                                   "expires_on": "2030-01-01"})).status_code == 303
    [coupon] = await aftersales.coupons(w.ctx, ticket.id)
    assert coupon.discount_value == 5000

    # The other store's manager: a 404 on every route with this ticket id.
    await login(http, other.s.store.manager_email)
    assert (await http.get(url)).status_code == 404
    assert (await http.post(f"{url}/act", data={"action": "start"})).status_code == 404
    assert (await http.post(f"{url}/reship", data={"postage": "0"})).status_code == 404
    assert (await http.get(f"/api/v1/aftersales/tickets/{ticket.id}")).status_code == 404
    assert (await aftersales.get_ticket(w.ctx, ticket.id)).state == "in_progress"


async def test_the_json_api(http: Any) -> None:
    w = await world(phone="13912340905")
    await login(http, w.s.store.manager_email)
    made = await http.post("/api/v1/aftersales/tickets", json={
        "kind": "wrong_item", "contract_id": str(w.contract.id), "description": "发成了狗粮"})
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["state"] == "open"
    assert body["sla_goal"] == "resolve"
    bad = await http.post("/api/v1/aftersales/tickets", json={"kind": "x", "contract_id": str(w.contract.id),
                                                              "description": "y"})
    assert bad.status_code == 422
    assert bad.json()["code"] == "VALIDATION_FAILED"
    unknown = await http.post("/api/v1/aftersales/tickets", json={"kind": "damaged", "contract_id": str(w.contract.id),
                                                                  "description": "y", "extra": 1})
    assert unknown.status_code == 422
    listed = await http.get("/api/v1/aftersales/tickets")
    assert [t["id"] for t in listed.json()] == [body["id"]]
    act = await http.post(f"/api/v1/aftersales/tickets/{body['id']}/actions", json={"action": "reopen"})
    assert act.status_code == 409
    assert act.json()["code"] == "AFTERSALES_INVALID_TRANSITION"
    reship = await http.post(f"/api/v1/aftersales/tickets/{body['id']}/reship", json={"postage_fen": 100})
    assert reship.status_code == 422
    assert reship.json()["code"] == "AFTERSALES_NOT_RESHIPPABLE"
    done = await http.post(f"/api/v1/aftersales/tickets/{body['id']}/actions",
                           json={"action": "resolve", "note": "换货"})
    assert done.json()["state"] == "resolved"
    detail = (await http.get(f"/api/v1/aftersales/tickets/{body['id']}")).json()
    assert [e["kind"] for e in detail["events"]] == ["opened", "resolve"]


async def test_a_missing_item_is_reshipped_alone(http: Any, jobs_stub: Any) -> None:
    from pawpay.tenants.fulfilment import services as fulfilment

    w = await world(phone="13912340906")
    shipment = await shipped(jobs_stub, w.ctx, w.contract)
    sku = shipment.lines[0].sku
    ticket = await aftersales.open_ticket(w.ctx, kind="missing", contract_id=w.contract.id, shipment_id=shipment.id,
                                          description="少了一袋")
    await login(http, w.s.store.manager_email)
    url = f"/admin/tickets/{ticket.id}"
    assert 'name="sku_0"' in (await http.get(url)).text
    bad = await http.post(f"{url}/reship", data={"postage": "8", "sku_0": sku, "qty_0": "500"})
    assert bad.status_code == 422
    nothing = await http.post(f"{url}/reship", data={"postage": "8", "sku_0": sku, "qty_0": "0"})
    assert nothing.status_code == 422
    assert (await aftersales.get_ticket(w.ctx, ticket.id)).reship_shipment_id is None
    ok = await http.post(f"{url}/reship", data={"postage": "8", "sku_0": sku, "qty_0": "1"})
    assert ok.status_code == 303
    done = await aftersales.get_ticket(w.ctx, ticket.id)
    reship = await fulfilment.get_shipment(w.ctx, done.reship_shipment_id)
    assert [(line.sku, line.quantity) for line in reship.lines] == [(sku, 1)]
    assert reship.postage_fen == 800
