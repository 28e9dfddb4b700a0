"""Operator pages: stores (with their manager) and operator accounts."""

from __future__ import annotations

import uuid

import pytest

from pawpay.platform.identity import services as identity
from pawpay.platform.identity.roles import OPS_ADMIN, OPS_REVIEWER
from pawpay.platform.tenancy import services as tenancy
from pawpay.platform.tenancy.context import PlatformContext

pytestmark = pytest.mark.integration
OPS = PlatformContext(actor_label="test")


async def store_slugs() -> set[str]:
    stores, _ = await tenancy.list_tenants(OPS, limit=200)
    return {s.slug for s in stores}


def store_form(**overrides: str) -> dict[str, str]:
    slug = f"shop-{uuid.uuid4().hex[:8]}"
    fields = {"name": "喵星人宠物店", "slug": slug, "time_zone": "Asia/Shanghai", "test_mode": "on",
              "manager_email": f"boss@{slug}.test", "manager_name": "老板", "manager_password": "good-password-1"}
    fields.update(overrides)
    return fields


async def test_stores_page_lists_stores(new_browser, operator, store_a, store_b) -> None:
    browser = await new_browser()
    await browser.sign_in(operator["email"])
    page = await browser.get("/ops/stores")
    assert page.status_code == 200
    assert store_a.slug in page.text
    assert store_b.slug in page.text
    assert 'method="post" action="/ops/stores"' in page.text  # an admin sees the create form


async def test_operator_creates_a_store_whose_manager_can_sign_in(new_browser, operator) -> None:
    browser = await new_browser()
    await browser.sign_in(operator["email"])
    fields = store_form()
    response = await browser.submit("/ops/stores", fields)
    assert response.status_code == 303
    assert "门店 喵星人宠物店 已创建" in (await browser.get("/ops/stores")).text
    assert fields["slug"] in await store_slugs()
    manager = await new_browser()
    await manager.sign_in(fields["manager_email"], fields["manager_password"])
    dashboard = await manager.get("/admin")
    assert "喵星人宠物店" in dashboard.text
    assert "店长" in dashboard.text


@pytest.mark.parametrize(("overrides", "field"), [
    ({"slug": "No Spaces!"}, "slug"),
    ({"name": "  "}, "name"),
    ({"time_zone": "Mars/Olympus"}, "time_zone"),
    ({"manager_email": "nobody"}, "manager_email"),
    ({"manager_password": "short"}, "manager_password"),
])
async def test_bad_store_input_creates_nothing(new_browser, operator, overrides, field) -> None:
    browser = await new_browser()
    await browser.sign_in(operator["email"])
    fields = store_form(**overrides)
    response = await browser.submit("/ops/stores", fields)
    assert response.status_code == 422
    assert f'id="err-{field}"' in response.text
    assert fields["slug"] not in await store_slugs()


async def test_taken_slug_or_manager_email_creates_nothing(new_browser, operator, store_a) -> None:
    browser = await new_browser()
    await browser.sign_in(operator["email"])
    taken_slug = await browser.submit("/ops/stores", store_form(slug=store_a.slug))
    assert taken_slug.status_code == 422
    assert 'id="err-slug"' in taken_slug.text
    # The store insert succeeds, then the manager's e-mail is taken: the store must not survive.
    fields = store_form(manager_email=store_a.manager_email)
    taken_email = await browser.submit("/ops/stores", fields)
    assert taken_email.status_code == 422
    assert 'id="err-manager_email">该邮箱已被其他账号使用' in taken_email.text
    assert fields["slug"] not in await store_slugs()


async def test_only_ops_admins_create_stores(new_browser, make_operator) -> None:
    browser = await new_browser()
    await browser.sign_in(await make_operator(OPS_REVIEWER))
    page = await browser.get("/ops/stores")
    assert page.status_code == 200
    assert 'method="post" action="/ops/stores"' not in page.text
    fields = store_form()
    response = await browser.submit("/ops/stores", fields, csrf_from="/ops")
    assert response.status_code == 403
    assert fields["slug"] not in await store_slugs()


async def test_admin_adds_an_operator(new_browser, operator) -> None:
    browser = await new_browser()
    await browser.sign_in(operator["email"])
    email = f"op-{uuid.uuid4().hex[:6]}@pawpay.test"
    response = await browser.submit("/ops/operators", [("email", email), ("display_name", "审核小李"),
                                                       ("password", "good-password-1"), ("roles", OPS_REVIEWER)])
    assert response.status_code == 303
    page = await browser.get("/ops/operators")
    assert email in page.text
    assert "审核员" in page.text
    views = {v.email: v for v in await identity.list_operators(OPS)}
    assert views[email].roles == [OPS_REVIEWER]
    bad = await browser.submit("/ops/operators", {"email": f"x{email}", "password": "good-password-1",
                                                  "roles": "manager"})
    assert bad.status_code == 422
    assert f"x{email}" not in {v.email for v in await identity.list_operators(OPS)}


async def test_store_staff_cannot_reach_operator_forms(new_browser, store_a) -> None:
    browser = await new_browser()
    await browser.sign_in(store_a.manager_email)
    response = await browser.submit("/ops/operators", {"email": "evil@example.test", "password": "good-password-1",
                                                       "roles": OPS_ADMIN}, csrf_from="/admin")
    assert response.status_code == 403
    assert "evil@example.test" not in {v.email for v in await identity.list_operators(OPS)}


# --- a store's merchant detail -------------------------------------------------------------------------

async def _provisioned(**changes: object) -> object:
    from tests.integration.merchants.conftest import provision

    return await provision(**changes)


async def test_store_list_filters_and_links_to_the_detail(new_browser, operator) -> None:
    from datetime import date

    store = await _provisioned(licence_expires_on=date(2020, 1, 1))
    browser = await new_browser()
    await browser.sign_in(operator["email"])
    page = await browser.get("/ops/stores", params={"q": store.slug, "expiring": "on", "mode": "test"})
    assert page.status_code == 200
    assert f'href="/ops/stores/{store.tenant_id}"' in page.text
    assert "T+7" in page.text
    assert "3.00%" in page.text
    live_only = await browser.get("/ops/stores", params={"q": store.slug, "mode": "live"})
    assert f'href="/ops/stores/{store.tenant_id}"' not in live_only.text


async def test_operator_sets_a_new_terms_version_with_a_reason(new_browser, operator) -> None:
    from pawpay.platform.merchants import services as merchants
    from pawpay.platform.tenancy.context import TenantContext

    store = await _provisioned()
    browser = await new_browser()
    await browser.sign_in(operator["email"])
    detail = await browser.get(f"/ops/stores/{store.tenant_id}")
    assert detail.status_code == 200
    assert 'data-testid="terms-version">1' in detail.text
    fields = {name: str(value) for name, value in merchants.terms_as_dict(merchants.default_terms()).items()}
    fields.pop("advances_allowed")
    fields.update({"fee_rate_bp": "250", "settlement_days": "1"})
    missing_reason = await browser.submit(f"/ops/stores/{store.tenant_id}/terms", fields,
                                          csrf_from=f"/ops/stores/{store.tenant_id}")
    assert missing_reason.status_code == 422
    assert 'id="err-reason"' in missing_reason.text
    bad = await browser.submit(f"/ops/stores/{store.tenant_id}/terms", {**fields, "fee_rate_bp": "5000",
                                                                         "reason": "x"},
                               csrf_from=f"/ops/stores/{store.tenant_id}")
    assert bad.status_code == 422
    assert 'id="err-fee_rate_bp"' in bad.text
    ok = await browser.submit(f"/ops/stores/{store.tenant_id}/terms", {**fields, "reason": "量大优惠"},
                              csrf_from=f"/ops/stores/{store.tenant_id}")
    assert ok.status_code == 303
    terms = await merchants.current_terms(TenantContext(tenant_id=store.tenant_id))
    assert (terms.version, terms.fee_rate_bp, terms.settlement_days, terms.reason) == (2, 250, 1, "量大优惠")
    assert "量大优惠" in (await browser.get(f"/ops/stores/{store.tenant_id}")).text


async def test_operator_suspends_and_reinstates_a_store(new_browser, operator) -> None:
    store = await _provisioned()
    browser = await new_browser()
    await browser.sign_in(operator["email"])
    path = f"/ops/stores/{store.tenant_id}"
    no_reason = await browser.submit(f"{path}/suspend", {"status_reason": ""}, csrf_from=path)
    assert no_reason.status_code == 422
    assert 'id="err-status_reason"' in no_reason.text
    assert (await browser.submit(f"{path}/suspend", {"status_reason": "投诉调查"}, csrf_from=path)).status_code == 303
    assert (await tenancy.get_tenant(OPS, store.tenant_id)).status == "suspended"
    page = await browser.get(path)
    assert 'data-testid="suspended"' in page.text
    assert "投诉调查" in page.text
    assert (await browser.submit(f"{path}/reinstate", {"status_reason": "已解决"}, csrf_from=path)).status_code == 303
    assert (await tenancy.get_tenant(OPS, store.tenant_id)).status == "active"


async def test_a_reviewer_cannot_suspend_or_change_terms(new_browser, make_operator) -> None:
    store = await _provisioned()
    browser = await new_browser()
    await browser.sign_in(await make_operator(OPS_REVIEWER))
    path = f"/ops/stores/{store.tenant_id}"
    page = await browser.get(path)
    assert page.status_code == 200
    assert f'action="{path}/suspend"' not in page.text
    assert f'action="{path}/terms"' not in page.text
    assert (await browser.submit(f"{path}/suspend", {"status_reason": "x"}, csrf_from=path)).status_code == 403
    assert (await tenancy.get_tenant(OPS, store.tenant_id)).status == "active"


async def test_go_live_is_refused_until_ready_and_expiry_can_be_renewed(new_browser, operator) -> None:
    store = await _provisioned()
    browser = await new_browser()
    await browser.sign_in(operator["email"])
    path = f"/ops/stores/{store.tenant_id}"
    refused = await browser.submit(f"{path}/go-live", {"note": ""}, csrf_from=path)
    assert refused.status_code == 422
    assert 'id="err-go_live"' in refused.text
    assert (await tenancy.get_tenant(OPS, store.tenant_id)).test_mode
    bad_date = await browser.submit(f"{path}/expiry", {"certificate_expires_on": "soon", "expiry_reason": "x"},
                                    csrf_from=path)
    assert bad_date.status_code == 422
    assert 'id="err-certificate_expires_on"' in bad_date.text
    ok = await browser.submit(f"{path}/expiry", {"certificate_expires_on": "2031-06-30", "licence_expires_on": "",
                                                 "expiry_reason": "证书更新"}, csrf_from=path)
    assert ok.status_code == 303
    assert "2031-06-30" in (await browser.get(path)).text


async def test_an_unknown_store_is_404(new_browser, operator) -> None:
    browser = await new_browser()
    await browser.sign_in(operator["email"])
    assert (await browser.get(f"/ops/stores/{uuid.uuid4()}")).status_code == 404


async def test_operator_adds_a_profile_to_a_bare_store_and_invites_its_manager(new_browser, operator) -> None:
    from pawpay.platform.merchants import services as merchants
    from pawpay.platform.testing.plugin import create_store

    store = await create_store()
    browser = await new_browser()
    await browser.sign_in(operator["email"])
    path = f"/ops/stores/{store.tenant_id}"
    assert f'action="{path}/profile"' in (await browser.get(path)).text
    fields = {"legal_name": "北京萌宠之家宠物用品有限公司", "uscc": "91110000802100433B", "legal_rep_name": "张三",
              "legal_rep_id_number": "11010519491231002X", "contact_name": "李四", "contact_phone": "13812345678",
              "contact_email": "", "region": "北京", "address": "", "opened_on": "2025-01-01",
              "certificate_number": "京动防 001", "certificate_expires_on": "2030-01-01", "licence_expires_on": ""}
    bad = await browser.submit(f"{path}/profile", {**fields, "uscc": "91110000802100433C"}, csrf_from=path)
    assert bad.status_code == 422
    assert 'id="err-uscc"' in bad.text
    assert "11010519491231002X" not in bad.text  # the ID number is never echoed back
    assert (await browser.submit(f"{path}/profile", fields, csrf_from=path)).status_code == 303
    profile = await merchants.store_profile(OPS, store.tenant_id)
    assert profile is not None
    assert profile.legal_rep_id_masked == "1101**********002X"
    email = f"new-boss-{uuid.uuid4().hex[:6]}@example.com"
    taken = await browser.submit(f"{path}/invite", {"invite_email": store.manager_email}, csrf_from=path)
    assert taken.status_code == 422
    assert 'id="err-invite_email"' in taken.text
    invited = await browser.submit(f"{path}/invite", {"invite_email": email, "invite_name": "新店长"}, csrf_from=path)
    assert invited.status_code == 303
    page = await browser.get(path)
    assert "/invite/" in page.text
    assert email in page.text
