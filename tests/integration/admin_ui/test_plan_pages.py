"""``/admin/plans``: the editor (contents picker, debit days, the policy warning to confirm, the rail's
refusal as a zh-CN field error), versions, stage settings, QR posters; sales staff read only;
another store's plans are 404 pages."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from pawpay.platform.identity.roles import FRONT_DESK
from pawpay.platform.providers.services import set_store_provider
from pawpay.platform.tenancy.context import TenantContext
from pawpay.platform.testing.plugin import create_store
from pawpay.tenants.catalog import services as catalog
from pawpay.tenants.catalog.services import ServiceInput, SkuInput
from pawpay.tenants.plans import services as plans
from pawpay.tenants.plans.services import ContentInput, PlanInput

pytestmark = pytest.mark.integration


def ctx_of(store) -> TenantContext:
    return TenantContext(tenant_id=store.tenant_id, actor_label="test")


@pytest.fixture
async def store():
    seeded = await create_store()
    await set_store_provider(ctx_of(seeded), "payments", "sandbox", {
        "merchant_id": "m_plan_pages", "webhook_secret": "whsec-plan-pages-" + uuid.uuid4().hex})
    return seeded


@pytest.fixture
async def items(store) -> dict[str, Any]:
    ctx = ctx_of(store)
    return {
        "food": await catalog.create_sku(ctx, SkuInput("FOOD-K", "幼猫粮", "food", unit="袋")),
        "litter": await catalog.create_sku(ctx, SkuInput("LITTER", "猫砂", "litter", unit="袋")),
        "groom": await catalog.create_service(ctx, ServiceInput("GROOM", "洗护", "grooming")),
    }


def _form(items: dict[str, Any], **kw: str) -> list[tuple[str, str]]:
    fields = {"name": "幼猫月付", "species": "cat", "stage": "kitten", "breed": "", "periods": "12",
              "monthly_amount": "298.00", "gift_text": "新手礼包", "gift_value": "100", "penalty_percent": "10",
              "cooling_off_days": "7", "next_stage_plan_id": "", "description": "",
              f"qty.sku.{items['food'].id}": "2", f"qty.sku.{items['litter'].id}": "1",
              f"qty.service.{items['groom'].id}": "0", "overrides": "", **kw}
    return [*fields.items(), ("debit_days", "5"), ("debit_days", "15")]


async def test_manager_creates_edits_and_versions_a_plan(new_browser, store, items) -> None:
    browser = await new_browser()
    await browser.sign_in(store.manager_email)
    page = await browser.get("/admin/plans/new")
    assert page.status_code == 200
    assert "幼猫粮" in page.text  # the contents picker lists the catalog
    assert '<option value="cat" selected>猫</option>' in page.text  # choices translated
    assert "每月 15 日" in page.text
    r = await browser.submit("/admin/plans/new", _form(items, overrides="3: GROOM*1, FOOD-K*2"))
    assert r.status_code == 303, r.text
    plan_id = uuid.UUID(r.headers["location"].rsplit("/", 1)[1])
    view = await plans.get_plan(ctx_of(store), plan_id)
    assert (view.version, view.monthly_amount_fen, view.debit_days, view.gift_value_fen) == (1, 29_800, (5, 15),
                                                                                              10_000)
    assert [(c.code, c.quantity) for c in view.contents] == [("FOOD-K", 2), ("LITTER", 1)]
    assert [(c.code, c.quantity) for c in view.contents_for_period(3)] == [("GROOM", 1), ("FOOD-K", 2)]
    detail = await browser.get(f"/admin/plans/{plan_id}")
    assert detail.status_code == 200
    assert "¥3,576.00" in detail.text  # total price = 12 × 298
    assert "四舍五入" in detail.text  # the penalty rule, stated
    edit = await browser.get(f"/admin/plans/{plan_id}/edit")
    assert 'name="base_version" value="1"' in edit.text
    r = await browser.submit(f"/admin/plans/{plan_id}/edit", _form(items, monthly_amount="328", base_version="1"))
    assert r.status_code == 303
    assert (await plans.get_plan(ctx_of(store), plan_id)).version == 2
    old = await browser.get(f"/admin/plans/{plan_id}/versions/1")
    assert "¥298.00" in old.text
    # A stale editor (still at version 1) is refused and nothing is saved.
    r = await browser.submit(f"/admin/plans/{plan_id}/edit", _form(items, monthly_amount="398", base_version="1"))
    assert r.status_code == 422
    assert (await plans.get_plan(ctx_of(store), plan_id)).version == 2
    listing = await browser.get("/admin/plans", params={"species": "cat", "stage": "kitten"})
    assert "幼猫月付" in listing.text
    assert "幼猫月付" not in (await browser.get("/admin/plans", params={"species": "dog"})).text
    r = await browser.submit(f"/admin/plans/{plan_id}/deactivate", {}, csrf_from=f"/admin/plans/{plan_id}")
    assert r.status_code == 303
    assert "已停止对新客户提供" in (await browser.get(r.headers["location"])).text  # the flash, shown once
    assert "幼猫月付" not in (await browser.get("/admin/plans")).text
    assert "幼猫月付" in (await browser.get("/admin/plans", params={"status": "inactive"})).text


async def test_an_amount_outside_the_policy_is_confirmed_before_saving(new_browser, store, items) -> None:
    browser = await new_browser()
    await browser.sign_in(store.manager_email)
    r = await browser.submit("/admin/plans/new", _form(items, monthly_amount="268"))
    assert r.status_code == 422
    assert 'id="amount-warning"' in r.text
    assert "¥298.00" in r.text
    assert "¥598.00" in r.text
    assert 'name="confirm_amount_warning"' in r.text
    assert await plans.list_plans(ctx_of(store), active_only=False) == []
    r = await browser.submit("/admin/plans/new", [*_form(items, monthly_amount="268"), ("confirm_amount_warning", "1")],
                             csrf_from="/admin/plans/new")
    assert r.status_code == 303
    (view,) = await plans.list_plans(ctx_of(store))
    assert (view.monthly_amount_fen, view.amount_warning_confirmed) == (26_800, True)


async def test_an_amount_the_rail_cannot_debit_is_a_field_error_in_chinese(new_browser, store, items) -> None:
    browser = await new_browser()
    await browser.sign_in(store.manager_email)
    r = await browser.submit("/admin/plans/new", [*_form(items, monthly_amount="2000.01"),
                                                  ("confirm_amount_warning", "1")], csrf_from="/admin/plans/new")
    assert r.status_code == 422
    assert 'data-code="PLAN_AMOUNT_EXCEEDS_RAIL_LIMIT"' in r.text
    assert "sandbox" in r.text
    assert "¥2,000.00" in r.text
    assert "单笔最多扣款" in r.text
    assert await plans.list_plans(ctx_of(store), active_only=False) == []


@pytest.mark.parametrize(("changes", "field"), [
    ({"periods": "36"}, "periods"),
    ({"monthly_amount": "abc"}, "monthly_amount"),
    ({"monthly_amount": "298.001"}, "monthly_amount"),
    ({"overrides": "three: FOOD-K"}, "overrides"),
    ({"overrides": "3: NOPE*1"}, "overrides"),
    ({"overrides": "30: FOOD-K*1"}, "overrides"),
    ({"stage": "puppy"}, "stage"),
    ({"cooling_off_days": "1"}, "cooling_off_days"),
    ({"penalty_percent": "150"}, "penalty_percent"),
])
async def test_bad_input_is_a_field_error_and_nothing_is_saved(new_browser, store, items, changes, field) -> None:
    browser = await new_browser()
    await browser.sign_in(store.manager_email)
    r = await browser.submit("/admin/plans/new", _form(items, **changes))
    assert r.status_code == 422
    assert f'id="err-{field}"' in r.text
    assert await plans.list_plans(ctx_of(store), active_only=False) == []


async def test_stage_boundaries_are_the_stores_setting(new_browser, store) -> None:
    browser = await new_browser()
    await browser.sign_in(store.manager_email)
    r = await browser.submit("/admin/plans/settings/stages", {"junior_from_months": "4", "adult_from_months": "10"},
                             csrf_from="/admin/plans")
    assert r.status_code == 303
    assert (await plans.get_stage_boundaries(ctx_of(store))).junior_from_months == 4
    r = await browser.submit("/admin/plans/settings/stages", {"junior_from_months": "12", "adult_from_months": "6"},
                             csrf_from="/admin/plans")
    assert r.status_code == 422
    assert (await plans.get_stage_boundaries(ctx_of(store))).adult_from_months == 10


async def test_qr_poster_and_downloads(new_browser, store, items) -> None:
    view = await plans.create_plan(ctx_of(store), PlanInput(
        name="成犬月付", species="dog", stage="adult", periods=24, monthly_amount_fen=39_800,
        contents=[ContentInput("sku", items["food"].id, 1)]))
    browser = await new_browser()
    await browser.sign_in(store.manager_email)
    for size in ("A4", "A5"):
        page = await browser.get(f"/admin/plans/{view.id}/poster", params={"size": size})
        assert page.status_code == 200
        assert f"size: {size} portrait" in page.text
        assert "<svg" in page.text  # the QR code is inline: no external file
        assert store.name in page.text
        assert "成犬月付" in page.text
        assert "¥398.00" in page.text
        assert "¥9,552.00" in page.text  # 24 × 398
        assert "总价" in page.text
        assert f"/sign/{store.slug}/start?plan={view.id}" in page.text
    png = await browser.get(f"/admin/plans/{view.id}/qr.png")
    assert png.status_code == 200
    assert png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG")
    svg = await browser.get(f"/admin/plans/{view.id}/qr.svg")
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in svg.content


async def test_sales_staff_read_and_print_but_cannot_edit(new_browser, store, items, make_staff) -> None:
    view = await plans.create_plan(ctx_of(store), PlanInput(name="幼猫月付", species="cat", stage="kitten", periods=12,
                                                            monthly_amount_fen=29_800))
    email = await make_staff(store.tenant_id, FRONT_DESK)
    browser = await new_browser()
    await browser.sign_in(email)
    assert (await browser.get("/admin/plans")).status_code == 200
    detail = await browser.get(f"/admin/plans/{view.id}")
    assert detail.status_code == 200
    assert f'href="/admin/plans/{view.id}/edit"' not in detail.text
    assert (await browser.get(f"/admin/plans/{view.id}/poster")).status_code == 200
    assert (await browser.get(f"/admin/plans/{view.id}/edit")).status_code == 403
    r = await browser.submit(f"/admin/plans/{view.id}/edit", _form(items, monthly_amount="398"),
                             csrf_from="/admin/plans")
    assert r.status_code == 403
    r = await browser.submit(f"/admin/plans/{view.id}/deactivate", {}, csrf_from="/admin/plans")
    assert r.status_code == 403
    after = await plans.get_plan(ctx_of(store), view.id)
    assert (after.version, after.active) == (1, True)


async def test_another_stores_plans_are_404(new_browser, store) -> None:
    other = await create_store()
    await set_store_provider(ctx_of(other), "payments", "sandbox", {
        "merchant_id": "m_other", "webhook_secret": "whsec-other-" + uuid.uuid4().hex})
    view = await plans.create_plan(ctx_of(other), PlanInput(name="别家", species="cat", stage="adult", periods=12,
                                                            monthly_amount_fen=29_800))
    browser = await new_browser()
    await browser.sign_in(store.manager_email)
    for path in (f"/admin/plans/{view.id}", f"/admin/plans/{view.id}/versions/1", f"/admin/plans/{view.id}/edit",
                 f"/admin/plans/{view.id}/poster", f"/admin/plans/{view.id}/qr.png"):
        assert (await browser.get(path)).status_code == 404, path
    r = await browser.submit(f"/admin/plans/{view.id}/deactivate", {}, csrf_from="/admin/plans")
    assert r.status_code == 404
    assert (await plans.get_plan(ctx_of(other), view.id)).active is True


async def test_pages_in_english(new_browser, store, items) -> None:
    browser = await new_browser("en")
    await browser.sign_in(store.manager_email)
    page = await browser.get("/admin/plans")
    assert "New plan" in page.text
    assert "Age stages" in page.text
    editor = await browser.get("/admin/plans/new")
    assert '<option value="dog">Dog</option>' in editor.text
    assert "Catalog" in (await browser.get("/admin/catalog")).text
