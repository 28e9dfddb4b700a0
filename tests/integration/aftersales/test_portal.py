"""The customer's portal ``/sign/{store_slug}/my`` over HTTP: signing in with the phone code, their
contracts, shipments (with tracking) and tickets, opening a ticket with photos, replying, answering a
pause proposal, the JSON API — and never another customer's data."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from pawpay.tenants.aftersales import services as aftersales
from tests.integration.aftersales.conftest import jpeg, shipped
from tests.integration.contracts.conftest import add_customer, setup, signed
from tests.integration.dunning.conftest import move_to_local
from tests.integration.signing.conftest import last_code

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("pawpay_database")]


def _client(pawpay_app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=pawpay_app, client=("203.0.113.9", 50001)),
                             base_url="http://pawpay.test")


async def _sign_in(client: httpx.AsyncClient, ctx: Any, slug: str, phone: str) -> None:
    sent = await client.post(f"/sign/{slug}/my/code", data={"phone": phone})
    assert sent.status_code == 200, sent.text
    logged = await client.post(f"/sign/{slug}/my/login", data={"phone": phone, "code": await last_code(ctx, phone)})
    assert logged.status_code == 303
    assert logged.headers["location"] == f"/sign/{slug}/my"


def _csrf(html: str) -> str:
    return html.split('name="_csrf" value="')[1].split('"', maxsplit=1)[0]


async def test_a_customer_sees_and_acts_on_their_own_data_only(pawpay_app: Any, jobs_stub: Any) -> None:
    s = await setup(phone="13912341001", openid="")
    await move_to_local(s.ctx, 10)
    mine = await signed(s)
    other_customer, other_pet = await add_customer(s.ctx, phone="13912341002")
    theirs = await signed(s, customer=other_customer, pet=other_pet)
    my_shipment = await shipped(jobs_stub, s.ctx, mine)
    their_shipment = await shipped(jobs_stub, s.ctx, theirs)
    their_ticket = await aftersales.open_customer_ticket(s.ctx, other_customer.id, kind="complaint",
                                                         contract_id=theirs.id, description="他人的工单")
    slug = s.store.slug

    async with _client(pawpay_app) as anonymous:
        assert 'data-testid="send-code"' in (await anonymous.get(f"/sign/{slug}/my")).text
    async with _client(pawpay_app) as client:
        await _sign_in(client, s.ctx, slug, "13912341001")
        home = await client.get(f"/sign/{slug}/my")
        assert home.status_code == 200
        assert mine.contract_no in home.text
        assert theirs.contract_no not in home.text
        assert home.text.count('data-testid="shipment"') == 1
        assert their_ticket.ticket_no not in home.text
        assert "我的订单与售后" in home.text  # zh-CN
        tracking = await client.get(f"/sign/{slug}/my/shipments/{my_shipment.id}")
        assert tracking.status_code == 200
        assert (await client.get(f"/sign/{slug}/my/shipments/{their_shipment.id}")).status_code == 404

        form = await client.get(f"/sign/{slug}/my/tickets/new?shipment={my_shipment.id}")
        csrf = _csrf(form.text)
        # Another customer's contract or shipment: refused, nothing created.
        for fields in ({"contract_id": str(theirs.id)}, {"shipment_id": str(their_shipment.id)}):
            refused = await client.post(f"/sign/{slug}/my/tickets", data={
                "_csrf": csrf, "kind": "damaged", "description": "x", **fields})
            assert refused.status_code == 422
        stale = await client.post(f"/sign/{slug}/my/tickets", data={
            "_csrf": "wrong", "kind": "damaged", "contract_id": str(mine.id), "description": "x"})
        assert stale.status_code == 422
        assert (await aftersales.list_tickets(s.ctx, customer_id=s.customer.id))[1] == 0
        made = await client.post(f"/sign/{slug}/my/tickets", data={
            "_csrf": csrf, "kind": "damaged", "contract_id": str(mine.id), "shipment_id": str(my_shipment.id),
            "description": "猫砂袋破了"}, files=[("photos", ("bag.jpg", jpeg(), "image/jpeg"))])
        assert made.status_code == 303, made.text
        [ticket], _ = await aftersales.list_tickets(s.ctx, customer_id=s.customer.id)
        assert ticket.opened_by_kind == "customer"
        assert ticket.shipment_id == my_shipment.id
        page = await client.get(made.headers["location"])
        assert page.text.count('data-testid="photo"') == 1

        # Their ticket: a 404 to read, reply or answer.
        assert (await client.get(f"/sign/{slug}/my/tickets/{their_ticket.id}")).status_code == 404
        assert (await client.post(f"/sign/{slug}/my/tickets/{their_ticket.id}/reply",
                                  data={"_csrf": csrf, "note": "hi"})).status_code == 404
        assert [e.kind for e in await aftersales.events(s.ctx, their_ticket.id)] == ["opened"]

        await aftersales.act(s.ctx, ticket.id, "wait_customer", note="请拍一张外箱照片")
        replied = await client.post(f"/sign/{slug}/my/tickets/{ticket.id}/reply", data={
            "_csrf": csrf, "note": "已上传"}, files=[("photos", ("box.jpg", jpeg("green"), "image/jpeg"))])
        assert replied.status_code == 303
        after = await aftersales.get_ticket(s.ctx, ticket.id)
        assert after.state == "in_progress"
        assert len(await aftersales.photos(s.ctx, ticket.id)) == 2

        # The JSON API: the same rules.
        api = f"/sign/{slug}/my/api/tickets"
        assert [t["id"] for t in (await client.get(api)).json()] == [str(ticket.id)]
        body = {"kind": "complaint", "contract_id": str(mine.id), "description": "客服没回复"}
        assert (await client.post(api, json=body)).status_code == 403  # no form token
        headers = {"x-csrftoken": csrf}
        assert (await client.post(api, json={**body, "contract_id": str(theirs.id)},
                                  headers=headers)).status_code == 404
        assert (await client.post(api, json={**body, "kind": "nope"}, headers=headers)).status_code == 422
        created = await client.post(api, json=body, headers=headers)
        assert created.status_code == 201
        assert "customer_id" not in created.json()
    assert (await aftersales.list_tickets(s.ctx, customer_id=s.customer.id))[1] == 2
    assert (await aftersales.list_tickets(s.ctx, customer_id=other_customer.id))[1] == 1
    async with _client(pawpay_app) as nobody:
        assert (await nobody.get(f"/sign/{slug}/my/api/tickets")).status_code == 401


async def test_the_customer_agrees_to_a_pause_in_the_portal_and_staff_apply_it(pawpay_app: Any) -> None:
    from pawpay.tenants.dunning import endings

    s = await setup(phone="13912341003", openid="")
    await move_to_local(s.ctx, 10)
    contract = await signed(s)
    ticket = await aftersales.open_ticket(s.ctx, kind="pet_health", contract_id=contract.id, description="猫瘟")
    await aftersales.propose_pause(s.ctx, ticket.id, periods=2, reason="宠物生病治疗")
    async with _client(pawpay_app) as client:
        await _sign_in(client, s.ctx, s.store.slug, "13912341003")
        page = await client.get(f"/sign/{s.store.slug}/my/tickets/{ticket.id}")
        assert 'data-testid="pause-proposal"' in page.text
        agreed = await client.post(f"/sign/{s.store.slug}/my/tickets/{ticket.id}/agree_pause",
                                   data={"_csrf": _csrf(page.text)})
        assert agreed.status_code == 303
        again = await client.post(f"/sign/{s.store.slug}/my/tickets/{ticket.id}/agree_pause",
                                  data={"_csrf": _csrf(page.text)})
        assert again.status_code == 409
        shown = await client.get(f"/sign/{s.store.slug}/my/tickets/{ticket.id}")
        assert "客户已同意" in shown.text
        assert 'data-testid="pause-proposal"' not in shown.text
    assert await endings.list_pauses(s.ctx, contract.id) == []  # agreed, not applied yet
    applied = await aftersales.apply_pause(s.ctx, ticket.id)
    [pause] = await endings.list_pauses(s.ctx, contract.id)
    assert pause.periods == 2
    assert "自助页面同意" in pause.agreement
    assert applied.pause_proposal["pause_id"] == str(pause.id)
