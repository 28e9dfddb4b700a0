"""``/admin/catalog``: managers add, edit, deactivate and delete SKUs and services; sales staff read;
another store's items are 404 pages."""

from __future__ import annotations

import pytest

from pawpay.platform.identity.roles import FRONT_DESK
from pawpay.platform.tenancy.context import TenantContext
from pawpay.platform.testing.plugin import create_store
from pawpay.tenants.catalog import services as catalog
from pawpay.tenants.catalog.services import ServiceInput, SkuInput

pytestmark = pytest.mark.integration


@pytest.fixture
async def store():
    return await create_store()


def ctx_of(store) -> TenantContext:
    return TenantContext(tenant_id=store.tenant_id, actor_label="test")


async def test_manager_adds_edits_and_removes_items(new_browser, store) -> None:
    browser = await new_browser()
    await browser.sign_in(store.manager_email)
    page = await browser.get("/admin/catalog")
    assert page.status_code == 200
    assert "商品与服务" in page.text  # the nav entry, in zh-CN
    r = await browser.submit("/admin/catalog/skus", {"code": "FOOD-K", "name": "幼猫粮", "kind": "food", "unit": "袋",
                                                     "specification": "1.5kg", "warehouse_sku_code": "WH-1"},
                             csrf_from="/admin/catalog")
    assert r.status_code == 303, r.text
    page = await browser.get("/admin/catalog")
    assert "已添加 FOOD-K。" in page.text
    assert "幼猫粮" in page.text
    r = await browser.submit("/admin/catalog/services", {"code": "GROOM", "name": "洗护", "kind": "grooming"},
                             csrf_from="/admin/catalog")
    assert r.status_code == 303
    skus, _ = await catalog.list_skus(ctx_of(store))
    sku = skus[0]
    r = await browser.submit(f"/admin/catalog/skus/{sku.id}", {"code": "FOOD-K", "name": "幼猫粮 2kg", "kind": "food",
                                                               "unit": "袋", "specification": "2kg"})
    assert r.status_code == 303
    assert (await catalog.get_sku(ctx_of(store), sku.id)).name == "幼猫粮 2kg"
    r = await browser.submit(f"/admin/catalog/skus/{sku.id}/deactivate", {}, csrf_from="/admin/catalog")
    assert r.status_code == 303
    assert (await catalog.get_sku(ctx_of(store), sku.id)).active is False
    await catalog.mark_used(ctx_of(store), sku_ids=[sku.id])
    r = await browser.submit(f"/admin/catalog/skus/{sku.id}/delete", {}, csrf_from="/admin/catalog")
    assert r.status_code == 303
    page = await browser.get("/admin/catalog")
    assert "停用" in page.text
    assert (await catalog.get_sku(ctx_of(store), sku.id)).code == "FOOD-K"  # kept
    services, _ = await catalog.list_services(ctx_of(store))
    r = await browser.submit(f"/admin/catalog/services/{services[0].id}/delete", {}, csrf_from="/admin/catalog")
    assert r.status_code == 303
    assert (await catalog.list_services(ctx_of(store)))[1] == 0


async def test_bad_input_is_shown_in_the_form_in_chinese(new_browser, store) -> None:
    await catalog.create_sku(ctx_of(store), SkuInput("TAKEN", "已有", "food"))
    browser = await new_browser()
    await browser.sign_in(store.manager_email)
    r = await browser.submit("/admin/catalog/skus", {"code": "TAKEN", "name": "重复", "kind": "food"},
                             csrf_from="/admin/catalog")
    assert r.status_code == 422
    assert "本店已有使用该编码的商品" in r.text
    r = await browser.submit("/admin/catalog/skus", {"code": "bad code", "name": "x", "kind": "food"},
                             csrf_from="/admin/catalog")
    assert r.status_code == 422
    assert 'id="err-code"' in r.text
    assert (await catalog.list_skus(ctx_of(store)))[1] == 1


async def test_sales_staff_read_only(new_browser, store, make_staff) -> None:
    sku = await catalog.create_sku(ctx_of(store), SkuInput("FOOD", "猫粮", "food"))
    email = await make_staff(store.tenant_id, FRONT_DESK)
    browser = await new_browser()
    await browser.sign_in(email)
    page = await browser.get("/admin/catalog")
    assert page.status_code == 200
    assert "猫粮" in page.text
    assert 'action="/admin/catalog/skus"' not in page.text
    r = await browser.submit("/admin/catalog/skus", {"code": "X", "name": "x", "kind": "food"},
                             csrf_from="/admin/catalog")
    assert r.status_code == 403
    r = await browser.submit(f"/admin/catalog/skus/{sku.id}/delete", {}, csrf_from="/admin/catalog")
    assert r.status_code == 403
    assert (await catalog.get_sku(ctx_of(store), sku.id)).active is True


async def test_another_stores_items_are_404(new_browser, store) -> None:
    other = await create_store()
    service = await catalog.create_service(ctx_of(other), ServiceInput("VAX", "疫苗", "vaccine"))
    browser = await new_browser()
    await browser.sign_in(store.manager_email)
    assert (await browser.get(f"/admin/catalog/services/{service.id}")).status_code == 404
    r = await browser.submit(f"/admin/catalog/services/{service.id}/delete", {}, csrf_from="/admin/catalog")
    assert r.status_code == 404
    assert (await catalog.get_service(ctx_of(other), service.id)).active is True
