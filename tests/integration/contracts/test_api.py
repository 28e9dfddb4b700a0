"""``/api/v1/customers`` and ``/api/v1/contracts``: masked JSON, drafts by staff, the PDF, the
cooling-off cancel for managers only, and 404 for another store's rows."""

from __future__ import annotations

from typing import Any

import pytest

from pawpay.platform.identity.roles import FRONT_DESK
from tests.integration.contracts.conftest import make_id_number, setup, signed

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("pawpay_database")]


async def test_customers_api_masks_and_validates(signed_in: Any) -> None:
    s = await setup()
    async with signed_in(s.store.manager_email) as c:
        id_number = make_id_number()
        created = await c.post("/api/v1/customers", json={"name": "刘备", "phone": "13612345678",
                                                          "id_number": id_number})
        assert created.status_code == 200, created.text
        body = created.json()
        assert body["phone_masked"] == "136****5678"
        assert id_number not in created.text
        bad = await c.post("/api/v1/customers", json={"name": "刘备", "phone": "13612345678",
                                                      "id_number": "110101199003074515"})
        assert bad.status_code == 422
        assert bad.json()["code"] == "CUSTOMER_INVALID_ID_NUMBER"
        listed = await c.get("/api/v1/customers", params={"search": "5678"})
        assert listed.json()["total"] == 2  # setup's customer has the same suffix
        pet = await c.post(f"/api/v1/customers/{body['id']}/pets", json={
            "name": "阿福", "species": "dog", "birthday": "2026-05-01", "adoption_date": "2026-04-01"})
        assert pet.status_code == 422
        assert pet.json()["code"] == "PET_BIRTHDAY_AFTER_ADOPTION"


async def test_contracts_api(signed_in: Any, make_staff: Any) -> None:
    s, t = await setup(), await setup()
    active = await signed(s)
    async with signed_in(s.store.manager_email) as c:
        got = await c.get(f"/api/v1/contracts/{active.id}")
        assert got.status_code == 200
        assert got.json()["total_fen"] == 357_600
        schedule = await c.get(f"/api/v1/contracts/{active.id}/installments")
        assert [i["sequence"] for i in schedule.json()] == list(range(1, 13))
        evidence = await c.get(f"/api/v1/contracts/{active.id}/evidence")
        assert evidence.json()["esign_reference"] == "esign_456"
        pdf = await c.get(f"/api/v1/contracts/{active.id}/pdf")
        assert pdf.content.startswith(b"%PDF-")
        listed = await c.get("/api/v1/contracts", params={"state": "active"})
        assert [x["id"] for x in listed.json()["items"]] == [str(active.id)]
        other = await c.get(f"/api/v1/contracts/{(await signed(t)).id}")
        assert other.status_code == 404
    _, sales = await make_staff(s.store, [FRONT_DESK])
    async with signed_in(sales) as c:
        other_pet = await c.post(f"/api/v1/customers/{s.customer.id}/pets", json={
            "name": "花花", "species": "cat", "birthday": "2026-03-01"})
        assert other_pet.status_code == 201, other_pet.text
        draft = await c.post("/api/v1/contracts", json={
            "customer_id": str(s.customer.id), "pet_id": other_pet.json()["id"], "plan_id": str(s.plan.id),
            "plan_version": s.plan.version, "debit_day": 15})
        assert draft.status_code == 201, draft.text
        assert draft.json()["state"] == "draft"
        assert draft.json()["channel"] == "admin"
        twice = await c.post("/api/v1/contracts", json={
            "customer_id": str(s.customer.id), "pet_id": str(s.pet.id), "plan_id": str(s.plan.id),
            "plan_version": s.plan.version, "debit_day": 15})
        assert twice.status_code == 409
        assert twice.json()["code"] == "CONTRACT_PET_HAS_OPEN_CONTRACT"
        refused = await c.post(f"/api/v1/contracts/{active.id}/cancel", json={"reason": "x"})
        assert refused.status_code == 403
    async with signed_in(s.store.manager_email) as c:
        cancelled = await c.post(f"/api/v1/contracts/{active.id}/cancel", json={"reason": "客户反悔"})
        assert cancelled.status_code == 200
        assert cancelled.json()["state"] == "cancelled"
