"""``/api/v1/pet-stages`` over HTTP: a pet's stage and next switch, overrides set and cleared (roles,
4xx codes that change nothing, audited), and a period's contents preview."""

from __future__ import annotations

import uuid

import pytest

from pawpay.platform.identity.roles import AFTER_SALES, FRONT_DESK
from pawpay.tenants.contracts import services as contracts
from pawpay.tenants.plans import rules, stages
from tests.integration.plans.stage_support import chain, months_old, pet_born, sign

pytestmark = [pytest.mark.integration]


async def test_stage_override_and_period_preview_over_http(signed_in, make_staff) -> None:
    c = await chain(phone="13912341001")
    pet = await pet_born(c, await months_old(c, 3))
    contract = await sign(c, pet)
    first = (await contracts.installments(c.s.ctx, contract.id))[0]
    _, after_sales = await make_staff(c.s.store, [AFTER_SALES])
    _, front_desk = await make_staff(c.s.store, [FRONT_DESK])
    async with signed_in(front_desk) as desk:
        r = await desk.get(f"/api/v1/pet-stages/{pet.id}")
        assert r.status_code == 200, r.text
        body = r.json()
        assert (body["stage"], body["next_stage"]) == ("kitten", "junior")
        assert body["next_stage_on"] == rules.add_months(pet.birthday, 6).isoformat()
        assert body["override"] is None
        # Sales staff read, but do not change a pet's diet.
        r = await desk.put(f"/api/v1/pet-stages/{pet.id}/override", json={"reason": "x", "plan_id": str(c.adult.id)})
        assert r.status_code == 403
        r = await desk.get(f"/api/v1/pet-stages/contracts/{contract.id}/periods/1",
                           params={"ship_on": first.due_on.isoformat()})
        assert r.status_code == 200, r.text
        assert ([x["code"].split("-")[0] for x in r.json()["lines"]], r.json()["plan_id"]) == (["KIT"],
                                                                                              str(c.kitten.id))
    async with signed_in(after_sales) as sales:
        url = f"/api/v1/pet-stages/{pet.id}/override"
        for bad, code in (({"reason": " ", "plan_id": str(c.adult.id)}, "VALIDATION_FAILED"),
                          ({"reason": "x"}, "PLAN_OVERRIDE_INVALID"),
                          ({"reason": "x", "lines": [{"item_type": "sku", "item_id": str(uuid.uuid4())}]},
                           "NOT_FOUND"),
                          ({"reason": "x", "lines": [{"item_type": "sku", "item_id": str(c.skus["HYPO"].id),
                                                       "quantity": 1000}]}, "VALIDATION_FAILED")):
            r = await sales.put(url, json=bad)
            assert (r.status_code // 100, r.json()["code"]) == (4, code), r.text
        assert await stages.get_override(c.s.ctx, pet.id) is None
        r = await sales.put(url, json={"reason": "肠胃敏感", "lines": [
            {"item_type": "sku", "item_id": str(c.skus["HYPO"].id), "quantity": 2}]})
        assert r.status_code == 200, r.text
        assert (r.json()["reason"], r.json()["lines"][0]["quantity"]) == ("肠胃敏感", 2)
        r = await sales.get(f"/api/v1/pet-stages/contracts/{contract.id}/periods/1",
                            params={"ship_on": first.due_on.isoformat()})
        assert (r.json()["override_reason"], r.json()["lines"][0]["code"].split("-")[0]) == ("肠胃敏感", "HYPO")
        r = await sales.get(f"/api/v1/pet-stages/contracts/{contract.id}/periods/{contract.periods + 1}")
        assert (r.status_code, r.json()["data"]["field"]) == (422, "sequence")
        r = await sales.post(f"{url}/clear", json={"reason": "好了"})
        assert (r.status_code, r.json()) == (200, {"cleared": True})
        r = await sales.post(f"{url}/clear", json={"reason": "好了"})
        assert r.json() == {"cleared": False}
    assert await stages.get_override(c.s.ctx, pet.id) is None
