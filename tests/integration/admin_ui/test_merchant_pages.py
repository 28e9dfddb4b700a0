"""The store's merchant page (/admin/merchant), the test-mode banner and the public invitation page."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from pawpay.platform.identity import services as identity
from pawpay.platform.merchants import services as merchants
from pawpay.platform.tenancy import services as tenancy
from pawpay.platform.tenancy.context import PlatformContext, TenantContext
from pawpay.platform.testing.plugin import PASSWORD
from tests.integration.merchants.conftest import provision

pytestmark = pytest.mark.integration
OPS = PlatformContext(actor_label="test")


async def _manager(new_browser, store) -> object:
    token = store.invitation_url.removeprefix("/invite/")
    invitation = await identity.get_invitation(token)
    await identity.accept_invitation(token, password=PASSWORD)
    browser = await new_browser()
    await browser.sign_in(invitation.email)
    return browser


async def test_the_invitation_page_creates_the_account_once(new_browser) -> None:
    store = await provision()
    browser = await new_browser()
    page = await browser.get(store.invitation_url)
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert 'data-testid="invite-form"' in page.text
    differ = await browser.submit(store.invitation_url, {"display_name": "王店长", "password": PASSWORD,
                                                         "password_again": PASSWORD + "x"}, with_csrf=False)
    assert differ.status_code == 422
    assert 'id="err-password_again"' in differ.text
    weak = await browser.submit(store.invitation_url, {"password": "short", "password_again": "short"},
                                with_csrf=False)
    assert weak.status_code == 422
    assert 'id="err-password"' in weak.text
    ok = await browser.submit(store.invitation_url, {"display_name": "王店长", "password": PASSWORD,
                                                     "password_again": PASSWORD}, with_csrf=False)
    assert ok.status_code == 303
    assert ok.headers["location"] == "/login"
    used = await browser.get(store.invitation_url)
    assert used.status_code == 404
    assert 'data-testid="invite-invalid"' in used.text
    assert (await browser.get("/invite/not-a-token")).status_code == 404
    invitation = (await identity.list_invitations(OPS, tenant_id=store.tenant_id))[0]
    await browser.sign_in(invitation.email)
    assert (await browser.get("/admin")).status_code == 200


async def test_a_test_mode_store_shows_the_banner_on_every_page(new_browser) -> None:
    store = await provision()
    browser = await _manager(new_browser, store)
    for path in ("/admin", "/admin/merchant", "/admin/staff"):
        page = await browser.get(path)
        assert page.status_code == 200, path
        assert 'data-testid="test-mode-banner"' in page.text, path
        assert "测试模式 — 测试时钟与沙箱通道，不产生真实扣款" in page.text, path


async def test_the_manager_signs_onboards_and_requests_going_live(new_browser, operator) -> None:
    store = await provision()
    browser = await _manager(new_browser, store)
    page = await browser.get("/admin/merchant")
    assert 'data-testid="terms-version">1' in page.text
    assert "签署商户服务协议" in page.text
    assert 'action="/admin/merchant/sign"' in page.text
    refused = await browser.submit("/admin/merchant/go-live", {}, csrf_from="/admin/merchant")
    assert refused.status_code == 422
    assert 'id="err-go_live"' in refused.text

    sign = await browser.submit("/admin/merchant/sign", {}, csrf_from="/admin/merchant")
    assert sign.status_code == 303
    sign_path = urlsplit(sign.headers["location"]).path
    assert sign_path.startswith("/sign/sandbox/")
    signer = await new_browser()  # the legal representative, on the sandbox's signing page
    assert (await signer.get(sign_path)).status_code == 200
    assert (await signer.submit(sign_path, {}, with_csrf=False)).status_code == 303
    page = await browser.get("/admin/merchant")  # the page asks the provider how the flow ended
    profile = await merchants.get_profile(TenantContext(tenant_id=store.tenant_id))
    assert profile is not None
    assert profile.agreement_status == "signed"
    assert 'action="/admin/merchant/sign"' not in page.text

    assert (await browser.submit("/admin/merchant/sub-merchant", {}, csrf_from="/admin/merchant")).status_code == 303
    await browser.get("/admin/merchant")  # the sandbox approves on the first query
    profile = await merchants.get_profile(TenantContext(tenant_id=store.tenant_id))
    assert profile is not None
    assert profile.sub_merchant_status == "approved"

    assert (await browser.submit("/admin/merchant/go-live", {}, csrf_from="/admin/merchant")).status_code == 303
    ops = await new_browser()
    await ops.sign_in(operator["email"])
    path = f"/ops/stores/{store.tenant_id}"
    assert (await ops.submit(f"{path}/go-live", {"note": "测试订单已完成"}, csrf_from=path)).status_code == 303
    assert not (await tenancy.get_tenant(OPS, store.tenant_id)).test_mode
    assert 'data-testid="test-mode-banner"' not in (await browser.get("/admin")).text


async def test_only_the_manager_sees_the_merchant_page(new_browser, make_staff) -> None:
    from pawpay.platform.identity.roles import FRONT_DESK

    store = await provision()
    browser = await new_browser()
    await browser.sign_in(await make_staff(store.tenant_id, FRONT_DESK))
    assert (await browser.get("/admin/merchant")).status_code == 403
    assert 'href="/admin/merchant"' not in (await browser.get("/admin")).text


async def test_the_invitation_page_works_in_a_signed_in_browser(new_browser, store_a) -> None:
    store = await provision()
    browser = await new_browser()
    await browser.sign_in(store_a.manager_email)  # someone else's session in the same browser
    assert (await browser.get(store.invitation_url)).status_code == 200
    fields = {"password": PASSWORD, "password_again": PASSWORD}
    accepted = await browser.submit(store.invitation_url, fields, with_csrf=False)
    assert accepted.status_code == 303
    assert (await identity.list_invitations(OPS, tenant_id=store.tenant_id))[0].accepted_at is not None
    assert (await browser.get("/admin")).status_code == 200  # the other session is untouched
