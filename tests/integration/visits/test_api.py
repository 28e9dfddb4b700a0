"""``/api/v1/visits`` over HTTP: the due list (mine/all, windows), the form's 4xx that change nothing,
completion, "could not reach", reassignment (managers only), roles and another store's visit."""

from __future__ import annotations

from datetime import timedelta

import pytest

from pawpay.platform.identity import services as identity
from pawpay.platform.identity.roles import FINANCE
from pawpay.tenants.visits import services as visits
from tests.integration.conftest import create_staff_account
from tests.integration.contracts.conftest import setup
from tests.integration.visits.conftest import signed_for, store_with_after_sales

pytestmark = [pytest.mark.integration]


async def test_the_visit_api(signed_in) -> None:
    s, (person,) = await store_with_after_sales(phone="13912343001")
    w = await signed_for(s)
    person_email = (await identity.get_staff(s.ctx, person)).email
    async with signed_in(person_email) as c:
        r = await c.get("/api/v1/visits", params={"mine": "true"})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["total"] == 2
        assert [(v["day"], v["window"]) for v in body["items"]] == [(7, "upcoming"), (30, "upcoming")]
        visit_id = body["items"][0]["id"]
        assert (await c.get("/api/v1/visits", params={"window": "today"})).json()["total"] == 0
        r = await c.get("/api/v1/visits", params={"window": "later"})
        assert (r.status_code, r.json()["data"]["field"]) == (422, "window")
        before = await visits.get_visit(s.ctx, visit_id)
        for bad, status, field in (({"settled": "yes", "satisfaction": 9}, 422, "satisfaction"),
                                   ({"settled": "happy", "satisfaction": 5}, 422, "settled"),
                                   ({"settled": "yes", "satisfaction": 5, "notes": "x" * 2001}, 422, "notes")):
            r = await c.post(f"/api/v1/visits/{visit_id}/complete", json=bad)
            assert (r.status_code, r.json()["code"], r.json()["data"]["field"]) == (status, "VISIT_INVALID_FORM",
                                                                                    field), r.text
        r = await c.post(f"/api/v1/visits/{visit_id}/complete", json={"settled": "yes", "satisfaction": "five"})
        assert r.status_code // 100 == 4  # not a number at all: the body is refused before the service
        r = await c.post(f"/api/v1/visits/{visit_id}/unreachable",
                         json={"reschedule_on": (w.today - timedelta(days=1)).isoformat()})
        assert (r.status_code, r.json()["code"]) == (422, "VISIT_INVALID_RESCHEDULE")
        assert await visits.get_visit(s.ctx, visit_id) == before
        r = await c.post(f"/api/v1/visits/{visit_id}/unreachable",
                         json={"reschedule_on": w.today.isoformat(), "note": "关机"})
        assert (r.status_code, r.json()["window"], r.json()["unreachable_count"]) == (200, "today", 1)
        r = await c.post(f"/api/v1/visits/{visit_id}/complete",
                         json={"settled": "somewhat", "satisfaction": 4, "feeding_questions": "换粮要过渡几天？"})
        assert (r.status_code, r.json()["status"], r.json()["window"]) == (200, "done", "")
        r = await c.post(f"/api/v1/visits/{visit_id}/complete", json={"settled": "yes", "satisfaction": 5})
        assert (r.status_code, r.json()["code"]) == (409, "VISIT_CLOSED")
        # Reassigning is the manager's.
        other_id = body["items"][1]["id"]
        r = await c.post(f"/api/v1/visits/{other_id}/assign", json={"assignee_id": str(s.store.manager_id)})
        assert r.status_code == 403
    async with signed_in(s.store.manager_email) as m:
        r = await m.post(f"/api/v1/visits/{other_id}/assign", json={"assignee_id": str(s.store.manager_id)})
        assert (r.status_code, r.json()["assignee_id"]) == (200, str(s.store.manager_id))
        assert (await m.get("/api/v1/visits", params={"mine": "true"})).json()["total"] == 1
    _, finance = await create_staff_account(s.store, [FINANCE])
    async with signed_in(finance) as f:
        assert (await f.get("/api/v1/visits")).status_code == 403
    t = await setup(phone="13912343002")
    async with signed_in(t.store.manager_email) as other:
        assert (await other.get(f"/api/v1/visits/{visit_id}")).status_code == 404
        r = await other.post(f"/api/v1/visits/{other_id}/complete", json={"settled": "yes", "satisfaction": 5})
        assert r.status_code == 404
    assert (await visits.get_visit(s.ctx, other_id)).status == "open"
