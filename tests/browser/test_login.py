"""Drive the real pages in headless Chromium: sign in, the dashboard, the audit log, the language
switch, signing out; and the navigation on a phone-sized screen.

The app runs under uvicorn in a subprocess (its own event loop and pool) against the test
session's database; Chromium is the system's (/usr/bin/chromium), never a downloaded one.
"""

from __future__ import annotations

from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is not installed")]
PHONE = {"width": 390, "height": 844}


async def sign_in(page, base: str, email: str, password: str) -> None:
    await page.goto(f"{base}/admin")
    assert "/login?next=" in page.url  # anonymous: sent to the login form, keeping the target
    await page.fill("input[name=email]", email)
    await page.fill("input[name=password]", password)
    async with page.expect_navigation():
        await page.click("form[action='/login'] button[type=submit]")


async def test_sign_in_audit_language_and_sign_out(live_server, chromium, store_a) -> None:
    from pawpay.platform.testing.plugin import PASSWORD

    context = await chromium.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    try:
        await page.goto(f"{live_server}/login")
        assert await page.get_attribute("html", "lang") == "zh-CN"
        await page.fill("input[name=email]", store_a.manager_email)
        await page.fill("input[name=password]", "wrong-password-1")
        async with page.expect_navigation():
            await page.click("form[action='/login'] button[type=submit]")
        assert "邮箱或密码错误" in await page.inner_text("[data-testid=login-error]")

        await sign_in(page, live_server, store_a.manager_email, PASSWORD)
        assert page.url == f"{live_server}/admin"
        assert await page.inner_text("a.brand") == store_a.name
        assert "店长" in await page.inner_text("main")
        assert await page.is_visible(".banner-test")

        async with page.expect_navigation():
            await page.click("#main-nav >> text=审计日志")
        assert page.url == f"{live_server}/admin/audit"
        assert "session.login" in await page.inner_text("table")

        await page.fill("input[name=action]", "session.")
        async with page.expect_navigation():
            await page.click("form.filters button[type=submit]")
        assert "action=session." in page.url
        assert "tenant.created" not in await page.inner_text("table")

        async with page.expect_navigation():
            await page.click(".language-switch >> text=English")
        assert page.url.startswith(f"{live_server}/admin/audit")
        assert await page.get_attribute("html", "lang") == "en"
        assert await page.inner_text("main h1") == "Audit log"

        await page.click("[data-testid=user-menu]")
        async with page.expect_navigation():
            await page.click(".user-menu >> text=Sign out")
        assert page.url == f"{live_server}/login"
        assert "You have signed out." in await page.inner_text("main")
        await page.goto(f"{live_server}/admin")
        assert "/login?next=" in page.url
    finally:
        await context.close()


async def test_phone_sized_navigation(live_server, chromium, store_a) -> None:
    from pawpay.platform.testing.plugin import PASSWORD

    context = await chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN")
    page = await context.new_page()
    try:
        await sign_in(page, live_server, store_a.manager_email, PASSWORD)
        assert page.url == f"{live_server}/admin"
        nav_link = page.locator("#main-nav >> text=员工")
        assert not await nav_link.is_visible()  # folded away on a phone
        await page.click("label.nav-toggle-label")
        assert await nav_link.is_visible()
        overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"the page is {overflow}px wider than the phone"
        async with page.expect_navigation():
            await nav_link.click()
        assert page.url == f"{live_server}/admin/staff"
        assert await page.is_visible("form[action='/admin/staff'] button[type=submit]")
    finally:
        await context.close()
