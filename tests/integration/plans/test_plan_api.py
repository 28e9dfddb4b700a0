"""``/api/v1/catalog`` and ``/api/v1/plans`` over HTTP: roles, 4xx codes and nothing changed."""

from __future__ import annotations

import uuid
from types import SimpleNamespace
from typing import Any

import pytest

from pawpay.platform.identity.roles import FRONT_DESK
from pawpay.platform.providers.services import set_store_provider
from pawpay.platform.tenancy.context import TenantContext
from pawpay.platform.testing.plugin import create_store
from pawpay.plugins.payments.sandbox.provider import SANDBOX_LIMITS
from pawpay.tenants.plans import services as plans

pytestmark = [pytest.mark.integration]


@pytest.fixture
async def store() -> Any:
    seeded = await create_store()
    ctx = TenantContext(tenant_id=seeded.tenant_id, actor_id=seeded.manager_id, actor_label="test")
    await set_store_provider(ctx, "payments", "sandbox", {"merchant_id": "m_api",
                                                          "webhook_secret": "whsec-api-" + uuid.uuid4().hex})
    return SimpleNamespace(ctx=ctx, tenant_id=seeded.tenant_id, slug=seeded.slug, manager_email=seeded.manager_email)


def _plan(sku_id: str, **kw: Any) -> dict[str, Any]:
    return {"name": "幼犬月付", "species": "dog", "stage": "puppy", "periods": 12, "monthly_amount_fen": 39_800,
            "contents": [{"item_type": "sku", "item_id": sku_id, "quantity": 2}], "debit_days": [5, 15],
            "gift_text": "新手礼包", "gift_value_fen": 10_000, **kw}


async def test_a_manager_builds_the_catalog_and_a_plan(signed_in, store) -> None:
    async with signed_in(store.manager_email) as c:
        r = await c.post("/api/v1/catalog/skus", json={"code": "DOG-FOOD", "name": "幼犬粮", "kind": "food"})
        assert r.status_code == 201, r.text
        sku_id = r.json()["id"]
        r = await c.post("/api/v1/catalog/skus", json={"code": "DOG-FOOD", "name": "again", "kind": "food"})
        assert (r.status_code, r.json()["code"], r.json()["data"]["field"]) == (409, "CATALOG_CODE_TAKEN", "code")
        r = await c.post("/api/v1/catalog/services", json={"code": "VAX", "name": "疫苗", "kind": "vaccine"})
        assert r.status_code == 201
        r = await c.post("/api/v1/plans", json=_plan(sku_id, period_overrides={"2": [
            {"item_type": "service", "item_id": r.json()["id"], "quantity": 1}]}))
        assert r.status_code == 201, r.text
        plan = r.json()
        assert (plan["version"], plan["total_fen"], plan["debit_days"]) == (1, 12 * 39_800, [5, 15])
        assert plan["signing_start_path"] == f"/sign/{store.slug}/start?plan={plan['id']}"
        assert plan["period_overrides"]["2"][0]["code"] == "VAX"
        r = await c.put(f"/api/v1/plans/{plan['id']}", json=_plan(sku_id, monthly_amount_fen=42_800,
                                                                   expected_version=1))
        assert (r.status_code, r.json()["version"]) == (200, 2)
        r = await c.get(f"/api/v1/plans/{plan['id']}/versions/1")
        assert r.json()["monthly_amount_fen"] == 39_800
        assert [v["version"] for v in (await c.get(f"/api/v1/plans/{plan['id']}/versions")).json()] == [2, 1]
        r = await c.get("/api/v1/plans", params={"species": "dog"})
        assert [p["id"] for p in r.json()] == [plan["id"]]
        r = await c.delete(f"/api/v1/catalog/skus/{sku_id}")
        assert r.json() == {"id": sku_id, "deleted": False, "active": False}
        r = await c.get("/api/v1/plans/amount-check", params={"monthly_amount_fen": 26_800})
        assert (r.json()["warn"], r.json()["provider"]) == (True, "sandbox")
        r = await c.put("/api/v1/plans/stage-boundaries", json={"junior_from_months": 5, "adult_from_months": 11})
        assert r.status_code == 200
        r = await c.get(f"/api/v1/plans/{plan['id']}/for-pet", params={"birthday": "2026-01-01",
                                                                        "on_date": "2026-03-01"})
        assert r.json()["id"] == plan["id"]


async def test_warning_and_refusal_codes_and_nothing_saved(signed_in, store) -> None:
    async with signed_in(store.manager_email) as c:
        sku_id = (await c.post("/api/v1/catalog/skus", json={"code": "F", "name": "粮", "kind": "food"})).json()["id"]
        r = await c.post("/api/v1/plans", json=_plan(sku_id, monthly_amount_fen=26_800))
        assert (r.status_code, r.json()["code"]) == (422, "PLAN_AMOUNT_OUTSIDE_POLICY")
        assert r.json()["data"]["needs_confirmation"] is True
        cap = SANDBOX_LIMITS.per_debit_max_fen
        assert cap is not None
        r = await c.post("/api/v1/plans", json=_plan(sku_id, monthly_amount_fen=cap + 100,
                                                     confirm_amount_warning=True))
        body = r.json()
        assert (r.status_code, body["code"], body["data"]["cap_fen"]) == (422, "PLAN_AMOUNT_EXCEEDS_RAIL_LIMIT", cap)
        assert "¥2,000.00" in body["data"]["message_zh_cn"]
        r = await c.post("/api/v1/plans", json=_plan(sku_id, periods=36))
        assert (r.status_code, r.json()["data"]["field"]) == (422, "periods")
        assert (await c.get("/api/v1/plans", params={"active_only": "false"})).json() == []
        r = await c.post("/api/v1/plans", json=_plan(sku_id, monthly_amount_fen=26_800, confirm_amount_warning=True))
        assert (r.status_code, r.json()["amount_warning_confirmed"]) == (201, True)
        plan_id = r.json()["id"]
        r = await c.put(f"/api/v1/plans/{plan_id}", json=_plan(sku_id, periods=24, expected_version=7))
        assert (r.status_code, r.json()["code"]) == (409, "PLAN_VERSION_CONFLICT")
        assert (await plans.get_plan(store.ctx, uuid.UUID(plan_id))).periods == 12


async def test_sales_staff_read_but_cannot_write(signed_in, store, make_staff) -> None:
    async with signed_in(store.manager_email) as c:
        sku_id = (await c.post("/api/v1/catalog/skus", json={"code": "F", "name": "粮", "kind": "food"})).json()["id"]
        plan_id = (await c.post("/api/v1/plans", json=_plan(sku_id))).json()["id"]
    _, email = await make_staff(store, [FRONT_DESK])
    async with signed_in(email) as c:
        assert (await c.get("/api/v1/plans")).status_code == 200
        assert (await c.get(f"/api/v1/plans/{plan_id}")).status_code == 200
        assert (await c.get("/api/v1/catalog/skus")).json()["total"] == 1
        assert (await c.post("/api/v1/catalog/skus", json={"code": "X", "name": "x", "kind": "food"})).status_code \
            == 403
        assert (await c.put(f"/api/v1/plans/{plan_id}", json=_plan(sku_id, periods=24))).status_code == 403
        assert (await c.post(f"/api/v1/plans/{plan_id}/deactivate")).status_code == 403
        assert (await c.delete(f"/api/v1/catalog/skus/{sku_id}")).status_code == 403
    assert (await plans.get_plan(store.ctx, uuid.UUID(plan_id))).version == 1


async def test_another_store_gets_404_and_changes_nothing(signed_in, store, b_all_roles, store_b) -> None:
    async with signed_in(store.manager_email) as c:
        sku_id = (await c.post("/api/v1/catalog/skus", json={"code": "F", "name": "粮", "kind": "food"})).json()["id"]
        plan_id = (await c.post("/api/v1/plans", json=_plan(sku_id))).json()["id"]
    async with signed_in(b_all_roles) as c:
        for r in (
            await c.get(f"/api/v1/plans/{plan_id}"),
            await c.get(f"/api/v1/plans/{plan_id}/versions/1"),
            await c.put(f"/api/v1/plans/{plan_id}", json=_plan(sku_id, periods=24)),
            await c.post(f"/api/v1/plans/{plan_id}/deactivate"),
            await c.get(f"/api/v1/catalog/skus/{sku_id}"),
            await c.put(f"/api/v1/catalog/skus/{sku_id}", json={"code": "F", "name": "hijack", "kind": "food"}),
            await c.delete(f"/api/v1/catalog/skus/{sku_id}"),
        ):
            assert r.status_code == 404, r.text
            assert r.json()["code"] == "NOT_FOUND"
    view = await plans.get_plan(store.ctx, uuid.UUID(plan_id))
    assert (view.version, view.active, view.periods) == (1, True, 12)


async def test_anonymous_callers_are_refused(http) -> None:
    assert (await http.get("/api/v1/plans")).status_code == 401
    assert (await http.get("/api/v1/catalog/skus")).status_code == 401
