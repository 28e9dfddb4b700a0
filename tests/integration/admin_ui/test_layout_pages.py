"""The /admin and /ops frames: who sees what, navigation by role, the test-mode banner, English."""

from __future__ import annotations

import re

import pytest

from pawpay.platform.identity.roles import AFTER_SALES, FINANCE, FRONT_DESK, OPS_FINANCE, OPS_REVIEWER

pytestmark = pytest.mark.integration

BANNER_ZH = "测试模式 — 测试时钟与沙箱通道，不产生真实扣款"
BANNER_EN = "Test mode — test clock and sandbox channels, no real debits."

# What each role should see, in the hook's order (NavItem.order, then path). The page modules'
# NAV entries and their controllers' roles: Plans 10 and Catalog 20 (manager, front desk),
# Customers 30, Signings 35 and Contracts 40 (every store role), Settlement 40, Deposit 41 and
# Advances 42 (manager, finance), Debits 45 (manager, finance, front desk), Work queues 50 and
# Shipments 53 (every store role), After-sales tickets 55 (manager, front desk, after-sales),
# Follow-up visits 56 (manager, front desk, after-sales),
# Merchant account 800 (manager), then the frame's own pages.
ADMIN_PAGES = [
    "/admin", "/admin/plans", "/admin/catalog", "/admin/customers", "/admin/signings", "/admin/contracts",
    "/admin/settlement", "/admin/deposit", "/admin/advances", "/admin/billing", "/admin/queues", "/admin/shipments",
    "/admin/tickets", "/admin/visits", "/admin/merchant",
    "/admin/audit", "/admin/staff", "/admin/api-keys", "/admin/settings/providers", "/admin/sandbox/inbox",
]
MANAGER_NAV = ADMIN_PAGES
FRONT_DESK_NAV = ["/admin", "/admin/plans", "/admin/catalog", "/admin/customers", "/admin/signings",
                  "/admin/contracts", "/admin/billing", "/admin/queues", "/admin/shipments", "/admin/tickets",
                  "/admin/visits", "/admin/sandbox/inbox"]
AFTER_SALES_NAV = ["/admin", "/admin/customers", "/admin/signings", "/admin/contracts", "/admin/queues",
                   "/admin/shipments", "/admin/tickets", "/admin/visits", "/admin/sandbox/inbox"]
FINANCE_NAV = ["/admin", "/admin/customers", "/admin/signings", "/admin/contracts", "/admin/settlement",
               "/admin/deposit", "/admin/advances", "/admin/billing", "/admin/queues", "/admin/shipments",
               "/admin/audit", "/admin/sandbox/inbox"]
# Operators: Applications 5, Stores 10, Alerts 15, Providers 20, Calendar 30, Settlement 40,
# Advances 41, Reconciliation 42, Reports 43, then the audit log; the operators page only for the
# administrator role.
OPS_PAGES = ["/ops", "/ops/applications", "/ops/stores", "/ops/alerts", "/ops/providers", "/ops/calendar",
             "/ops/settlement", "/ops/advances", "/ops/reconciliation", "/ops/reports", "/ops/audit",
             "/ops/operators"]
OPS_ADMIN_NAV = OPS_PAGES
OPS_OTHER_NAV = OPS_PAGES[:-1]


def nav_paths(html: str) -> list[str]:
    nav = html.split('<nav id="main-nav"', 1)[1].split("</nav>", 1)[0]
    return re.findall(r'<a href="([^"]+)"', nav)


async def assert_nav_matches_access(browser, shown: list[str], every: list[str]) -> None:
    """Every page in the role's navigation opens (200); every page left out of it is refused (403)."""
    for path in every:
        status = (await browser.get(path)).status_code
        assert status == (200 if path in shown else 403), (path, status)


async def test_manager_dashboard_shows_store_roles_nav_and_test_banner(browser, store_a) -> None:
    await browser.sign_in(store_a.manager_email)
    page = await browser.get("/admin")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert f'<a class="brand" href="/admin">{store_a.name}</a>' in page.text
    assert "店长" in page.text  # the role, translated
    assert BANNER_ZH in page.text  # seeded stores are in test mode
    assert nav_paths(page.text) == MANAGER_NAV
    await assert_nav_matches_access(browser, MANAGER_NAV, ADMIN_PAGES)
    assert 'aria-current="page">概览' in page.text
    assert 'name="_csrf" value="' in page.text  # the sign-out form


async def test_front_desk_sees_only_what_the_role_allows(new_browser, store_a, make_staff) -> None:
    browser = await new_browser()
    await browser.sign_in(await make_staff(store_a.tenant_id, FRONT_DESK))
    page = await browser.get("/admin")
    assert page.status_code == 200
    assert nav_paths(page.text) == FRONT_DESK_NAV
    assert "前台/销售" in page.text
    await assert_nav_matches_access(browser, FRONT_DESK_NAV, ADMIN_PAGES)
    for path in ("/admin/audit", "/admin/staff", "/admin/api-keys", "/admin/settlement", "/admin/merchant"):
        denied = await browser.get(path)
        assert denied.status_code == 403, path
        assert "您无权访问此页面" in denied.text
        assert "您的角色无权执行此操作" in denied.text  # the service's detail, translated
    assert (await browser.get("/ops")).status_code == 403


async def test_finance_sees_the_audit_log_but_not_staff(new_browser, store_a, make_staff) -> None:
    browser = await new_browser()
    await browser.sign_in(await make_staff(store_a.tenant_id, FINANCE))
    page = await browser.get("/admin")
    assert nav_paths(page.text) == FINANCE_NAV
    assert (await browser.get("/admin/audit")).status_code == 200
    assert (await browser.get("/admin/staff")).status_code == 403
    await assert_nav_matches_access(browser, FINANCE_NAV, ADMIN_PAGES)


async def test_after_sales_sees_customers_and_contracts_only(new_browser, store_a, make_staff) -> None:
    browser = await new_browser()
    await browser.sign_in(await make_staff(store_a.tenant_id, AFTER_SALES))
    page = await browser.get("/admin")
    assert nav_paths(page.text) == AFTER_SALES_NAV
    await assert_nav_matches_access(browser, AFTER_SALES_NAV, ADMIN_PAGES)


async def test_areas_are_separate(new_browser, store_a, operator) -> None:
    staff = await new_browser()
    await staff.sign_in(store_a.manager_email)
    denied = await staff.get("/ops/stores")
    assert denied.status_code == 403
    assert "此页面仅供平台运营人员使用" in denied.text
    ops = await new_browser()
    await ops.sign_in(operator["email"])
    assert (await ops.get("/admin")).status_code == 403
    assert (await ops.get("/admin/staff")).status_code == 403
    page = await ops.get("/ops")
    assert nav_paths(page.text) == OPS_ADMIN_NAV
    assert "测试模式" not in page.text
    await assert_nav_matches_access(ops, OPS_ADMIN_NAV, OPS_PAGES)


async def test_operator_without_admin_role_has_no_operator_page(new_browser, make_operator) -> None:
    browser = await new_browser()
    await browser.sign_in(await make_operator(OPS_REVIEWER))
    page = await browser.get("/ops")
    assert nav_paths(page.text) == OPS_OTHER_NAV
    assert "审核员" in page.text
    assert (await browser.get("/ops/operators")).status_code == 403
    await assert_nav_matches_access(browser, OPS_OTHER_NAV, OPS_PAGES)


async def test_platform_finance_sees_the_same_pages_as_a_reviewer(new_browser, make_operator) -> None:
    browser = await new_browser()
    await browser.sign_in(await make_operator(OPS_FINANCE))
    page = await browser.get("/ops")
    assert nav_paths(page.text) == OPS_OTHER_NAV
    await assert_nav_matches_access(browser, OPS_OTHER_NAV, OPS_PAGES)


async def test_api_keys_cannot_use_pages(browser, store_a) -> None:
    from pawpay.platform.identity.roles import MANAGER
    from pawpay.platform.identity.services import create_api_key
    from pawpay.platform.tenancy.context import TenantContext

    key, _ = await create_api_key(TenantContext(tenant_id=store_a.tenant_id, actor_label="test"),
                                  name="pages probe", role=MANAGER)
    response = await browser.get("/admin", headers={"authorization": f"Bearer {key}"})
    assert response.status_code == 403


async def test_english_switch_translates_the_frame(browser, store_a) -> None:
    await browser.sign_in(store_a.manager_email)
    switched = await browser.get("/locale", params={"lang": "en", "next": "/admin/audit"})
    assert switched.headers["location"] == "/admin/audit"
    page = await browser.get("/admin/audit")
    assert '<html lang="en">' in page.text
    assert "<h1>Audit log</h1>" in page.text
    assert "Store manager" in page.text
    assert BANNER_EN in page.text
    assert "审计日志" not in page.text
    assert 'href="/locale?lang=zh_CN&amp;next=/admin/audit"' in page.text


async def test_account_locale_is_used_without_a_cookie(browser, store_a) -> None:
    await browser.sign_in(store_a.manager_email)  # the seeded account's locale is zh_CN
    assert '<html lang="zh-CN">' in (await browser.get("/admin")).text


async def test_unknown_page_renders_the_error_page(browser, store_a) -> None:
    await browser.sign_in(store_a.manager_email)
    page = await browser.get("/admin/no-such-page")
    assert page.status_code == 404
    assert "页面不存在" in page.text
    assert "请求编号" in page.text


async def test_nav_contributions_come_from_the_hook(pawpay_app) -> None:
    pm = pawpay_app.state["plugin_manager"]
    admin = {item.path: item for item in pm.admin_nav("admin")}
    assert admin["/admin/staff"].roles == frozenset({"manager"})
    assert {"/admin", "/admin/audit", "/admin/api-keys"} <= set(admin)
    assert admin["/admin/merchant"].roles == frozenset({"manager"})
    assert admin["/admin/settlement"].roles == admin["/admin/deposit"].roles == frozenset({"manager", "finance"})
    assert admin["/admin/plans"].roles == admin["/admin/catalog"].roles == frozenset({"manager", "front_desk"})
    assert {item.path for item in pm.admin_nav("ops")} >= {"/ops", "/ops/stores", "/ops/audit", "/ops/operators"}


async def test_live_store_in_its_own_time_zone(browser) -> None:
    """No test-mode banner for a live store; times are shown in the store's zone, not Shanghai's."""
    import uuid
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from pawpay.platform.identity.roles import MANAGER
    from pawpay.platform.identity.services import create_staff
    from pawpay.platform.tenancy.context import PlatformContext
    from pawpay.platform.tenancy.services import create_tenant
    from pawpay.platform.testing.plugin import PASSWORD

    ctx = PlatformContext(actor_label="test")
    slug = f"live-{uuid.uuid4().hex[:8]}"
    tenant = await create_tenant(ctx, slug=slug, name="Live Pets", time_zone="America/New_York", test_mode=False)
    email = f"manager@{slug}.test"
    await create_staff(ctx, tenant_id=tenant.id, email=email, password=PASSWORD, roles=[MANAGER])
    await browser.sign_in(email)
    dashboard = await browser.get("/admin")
    assert "Live Pets" in dashboard.text
    assert 'class="banner banner-test"' not in dashboard.text
    assert "America/New_York" in dashboard.text
    audit = await browser.get("/admin/audit", params={"action": "tenant.created"})
    stamp, shown = re.search(r'<time datetime="([^"]+)">([^<]+)</time>', audit.text).groups()
    expected = datetime.fromisoformat(stamp).astimezone(ZoneInfo("America/New_York")).strftime("%Y-%m-%d %H:%M:%S")
    assert shown == expected
