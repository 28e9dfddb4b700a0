"""Reships (idempotent per ticket, postage recorded and audited, bad input changes nothing) and the
``/api/v1/fulfilment`` API through litestar: filters, tracking, retry from the exception queue,
roles, another store gets 404."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from pawpay.platform.audit.services import AuditFilter, list_entries
from pawpay.platform.errors import Conflict, NotFound, ValidationFailed
from pawpay.platform.identity.roles import FINANCE
from pawpay.platform.tenancy.scope import tenant_scope
from pawpay.platform.testing.plugin import create_store
from pawpay.tenants.fulfilment import services as fulfilment
from pawpay.tenants.fulfilment.tables import FulfilmentShipment
from tests.integration.fulfilment.conftest import pay, tick, world

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("pawpay_database")]


async def test_a_reship_is_idempotent_per_ticket_and_records_the_postage(jobs_stub: Any) -> None:
    w = await world()
    original = await pay(w)
    with pytest.raises(Conflict):  # contents not chosen yet (the submission job does that)
        await fulfilment.reship(w.ctx, original.id, reason="破损", ticket_id=uuid.uuid4())
    await tick(jobs_stub)
    box = await fulfilment.get_shipment(w.ctx, original.id)
    sku = box.lines[0].sku
    ticket = uuid.uuid4()
    for bad in ({"reason": " "}, {"reason": "破损", "postage_fen": -1},
                {"reason": "破损", "lines": [("NOT-IN-BOX", 1)]}, {"reason": "破损", "lines": [(sku, 0)]},
                {"reason": "破损", "lines": []}):
        with pytest.raises(ValidationFailed):
            await fulfilment.reship(w.ctx, original.id, ticket_id=ticket, **bad)
    assert (await fulfilment.list_shipments(w.ctx, contract_id=w.contract.id))[1] == 1, "bad input changes nothing"
    with pytest.raises(NotFound):
        await fulfilment.reship(w.ctx, uuid.uuid4(), reason="破损", ticket_id=ticket)
    first = await fulfilment.reship(w.ctx, original.id, reason="外箱破损，猫粮漏了", ticket_id=ticket,
                                    lines=[(sku, 1)], postage_fen=1_200)
    second = await fulfilment.reship(w.ctx, original.id, reason="again", ticket_id=ticket, postage_fen=9_900)
    assert second.id == first.id
    assert (first.kind, first.reship_of, first.ticket_id, first.postage_fen) == ("reship", original.id, ticket, 1_200)
    assert [(x.sku, x.quantity) for x in first.lines] == [(sku, 1)]
    assert first.order_id != original.order_id
    assert first.customer_id == box.customer_id
    await tick(jobs_stub)
    assert (await fulfilment.get_shipment(w.ctx, first.id)).status == "accepted"
    entries, _ = await list_entries(w.ctx, AuditFilter(target_type="shipment", target_id=str(first.id)))
    [reshipped] = [e for e in entries if e.action == "fulfilment.reship"]
    assert reshipped.after["postage_fen"] == 1_200
    assert (await fulfilment.list_shipments(w.ctx, contract_id=w.contract.id))[1] == 2
    assert (await fulfilment.list_shipments(w.ctx, customer_id=box.customer_id))[1] == 2


async def test_the_fulfilment_api(jobs_stub: Any, signed_in: Any, make_staff: Any) -> None:
    w = await world()
    shipment = await pay(w)
    await tick(jobs_stub)
    async with tenant_scope(w.ctx):  # put it in the exception queue as a warehouse refusal would
        await FulfilmentShipment.update({FulfilmentShipment.status: "exception",
                                         FulfilmentShipment.last_error_code: "OUT_OF_STOCK"}).where(
            FulfilmentShipment.id == shipment.id)
    async with signed_in(w.store.manager_email) as c:
        page = (await c.get("/api/v1/fulfilment/shipments", params={"status": "exception"})).json()
        assert [s["id"] for s in page["items"]] == [str(shipment.id)]
        assert page["items"][0]["last_error_code"] == "OUT_OF_STOCK"
        assert (await c.get("/api/v1/fulfilment/shipments", params={"status": "lost"})).status_code == 422
        assert (await c.get("/api/v1/fulfilment/shipments", params={"late": "true"})).json()["total"] == 0
        one = await c.get(f"/api/v1/fulfilment/shipments/{shipment.id}")
        assert one.status_code == 200
        assert one.json()["order_id"] == shipment.order_id
        timeline = (await c.get(f"/api/v1/fulfilment/shipments/{shipment.id}/tracking")).json()
        assert [t["state"] for t in timeline] == ["accepted"]
        bad = await c.post(f"/api/v1/fulfilment/shipments/{shipment.id}/retry", json={"reason": ""})
        assert bad.status_code == 422
        assert bad.json()["code"] == "FULFILMENT_REASON_REQUIRED"
        ok = await c.post(f"/api/v1/fulfilment/shipments/{shipment.id}/retry", json={"reason": "已补货"})
        assert ok.status_code == 200, ok.text
        assert ok.json()["status"] == "pending"
        again = await c.post(f"/api/v1/fulfilment/shipments/{shipment.id}/retry", json={"reason": "已补货"})
        assert again.status_code == 409
        assert again.json()["code"] == "FULFILMENT_NOT_IN_EXCEPTION"
        reship = await c.post(f"/api/v1/fulfilment/shipments/{shipment.id}/reship",
                              json={"reason": "破损", "postage_fen": 800, "ticket_id": str(uuid.uuid4())})
        assert reship.status_code == 201, reship.text
        assert reship.json()["postage_fen"] == 800
    await tick(jobs_stub)
    assert (await fulfilment.get_shipment(w.ctx, shipment.id)).status == "accepted", "resolved by the query"
    _, finance = await make_staff(w.store, [FINANCE])
    async with signed_in(finance) as c:
        assert (await c.get(f"/api/v1/fulfilment/shipments/{shipment.id}")).status_code == 200
        denied = await c.post(f"/api/v1/fulfilment/shipments/{shipment.id}/reship", json={"reason": "x"})
        assert denied.status_code == 403
    other = await create_store()
    async with signed_in(other.manager_email) as c:
        assert (await c.get(f"/api/v1/fulfilment/shipments/{shipment.id}")).status_code == 404
        assert (await c.get(f"/api/v1/fulfilment/shipments/{shipment.id}/tracking")).status_code == 404
        assert (await c.post(f"/api/v1/fulfilment/shipments/{shipment.id}/retry",
                             json={"reason": "x"})).status_code == 404
        assert (await c.get("/api/v1/fulfilment/shipments")).json()["total"] == 0
