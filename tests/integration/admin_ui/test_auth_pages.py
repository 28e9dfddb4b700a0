"""Sign-in, sign-out, redirects of anonymous visitors, the language switch and CSRF on forms."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from pawpay.platform.identity.roles import FRONT_DESK

pytestmark = pytest.mark.integration


async def test_login_page_is_chinese_by_default(browser) -> None:
    page = await browser.get("/login")
    assert page.status_code == 200
    assert '<html lang="zh-CN">' in page.text
    assert "登录 pawpay" in page.text
    assert 'name="_csrf"' not in page.text  # anonymous: nothing to protect yet


async def test_language_switch_sets_a_cookie_and_returns(browser) -> None:
    switched = await browser.get("/locale", params={"lang": "en", "next": "/login?next=/admin/audit"})
    assert switched.status_code == 303
    assert switched.headers["location"] == "/login?next=/admin/audit"
    assert "pawpay_locale=en" in switched.headers["set-cookie"]
    page = await browser.get("/login")
    assert '<html lang="en">' in page.text
    assert "Sign in to pawpay" in page.text
    back = await browser.get("/locale", params={"lang": "zh-CN", "next": "/login"})
    assert back.status_code == 303
    assert "登录 pawpay" in (await browser.get("/login")).text


async def test_language_switch_refuses_foreign_redirects(browser) -> None:
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        response = await browser.get("/locale", params={"lang": "en", "next": target})
        assert response.status_code == 303
        assert response.headers["location"] == "/admin", target


async def test_staff_login_sets_session_cookie_and_goes_to_admin(browser, store_a) -> None:
    response = await browser.login(store_a.manager_email)
    assert response.status_code == 303
    assert response.headers["location"] == "/admin"
    cookie = response.headers["set-cookie"].lower()
    assert "pawpay_session=" in cookie
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    dashboard = await browser.get("/admin")
    assert dashboard.status_code == 200
    assert store_a.name in dashboard.text


async def test_operator_login_goes_to_ops(browser, operator) -> None:
    response = await browser.login(operator["email"])
    assert response.status_code == 303
    assert response.headers["location"] == "/ops"
    page = await browser.get("/ops")
    assert page.status_code == 200
    assert "运营后台" in page.text


@pytest.mark.parametrize(("next_path", "expected"), [
    ("/admin/audit?action=account.", "/admin/audit?action=account."),
    ("https://evil.example/admin", "/admin"),
    ("//evil.example/admin", "/admin"),
    ("javascript:alert(1)", "/admin"),
])
async def test_login_follows_only_same_site_next(browser, store_a, next_path, expected) -> None:
    response = await browser.login(store_a.manager_email, next_path=next_path)
    assert response.status_code == 303
    assert response.headers["location"] == expected


async def test_anonymous_page_visit_redirects_to_login_with_next(browser) -> None:
    response = await browser.get("/admin/audit", params={"action": "account."})
    assert response.status_code == 303
    location = urlsplit(response.headers["location"])
    assert location.path == "/login"
    assert parse_qs(location.query)["next"] == ["/admin/audit?action=account."]
    login = await browser.get(response.headers["location"])
    assert 'name="next" value="/admin/audit?action=account."' in login.text
    for path in ("/admin", "/admin/staff", "/admin/api-keys", "/ops", "/ops/stores", "/ops/audit", "/ops/operators"):
        anonymous = await browser.get(path)
        assert anonymous.status_code == 303, path
        assert anonymous.headers["location"].startswith("/login?next="), path


async def test_wrong_password_rerenders_the_form_with_the_error(browser, store_a) -> None:
    response = await browser.login(store_a.manager_email, "wrong-password-1")
    assert response.status_code == 401
    assert "邮箱或密码错误" in response.text
    assert f'value="{store_a.manager_email}"' in response.text  # the e-mail is kept, the password is not
    assert "wrong-password-1" not in response.text
    assert "pawpay_session" not in response.headers.get("set-cookie", "")
    english = await browser.get("/locale", params={"lang": "en", "next": "/login"})
    assert english.status_code == 303
    again = await browser.login(store_a.manager_email, "wrong-password-1")
    assert "Wrong e-mail or password." in again.text


async def test_locked_account_is_told_so(new_browser, store_a, make_staff) -> None:
    email = await make_staff(store_a.tenant_id, FRONT_DESK)
    browser = await new_browser()
    for _ in range(5):
        failed = await browser.login(email, "not-the-password-1")
        assert failed.status_code == 401
    locked = await browser.login(email)  # even the right password: the account is locked
    assert locked.status_code == 401
    assert "账号已被锁定" in locked.text
    assert "pawpay_session" not in locked.headers.get("set-cookie", "")


async def test_rate_limit_is_shown_with_retry_after(browser, store_a) -> None:
    from pawpay.platform.settings import get_settings

    for _ in range(get_settings().login_attempts_per_ip):
        await browser.login("nobody@example.test", "whatever-password-1")
    limited = await browser.login(store_a.manager_email)
    assert limited.status_code == 429
    assert "登录尝试过多" in limited.text
    assert int(limited.headers["retry-after"]) > 0


async def test_logout_needs_csrf_and_ends_the_session(browser, store_a) -> None:
    await browser.sign_in(store_a.manager_email)
    refused = await browser.submit("/logout", {}, with_csrf=False)
    assert refused.status_code == 403
    assert (await browser.get("/admin")).status_code == 200  # still signed in
    response = await browser.submit("/logout", {}, csrf_from="/admin")
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    login = await browser.get("/login")
    assert "您已退出登录" in login.text  # the flash message, shown once
    assert "您已退出登录" not in (await browser.get("/login")).text
    after = await browser.get("/admin")
    assert after.status_code == 303
    assert after.headers["location"].startswith("/login")


async def test_signing_in_again_replaces_the_previous_session(browser, store_a, store_b) -> None:
    await browser.sign_in(store_a.manager_email)
    old_cookie = browser.client.cookies.get("pawpay_session")
    page = await browser.get("/login")
    assert "您已以" in page.text
    response = await browser.submit("/login", {"email": store_b.manager_email, "password": "correct-horse-9"},
                                    csrf_from="/admin")
    assert response.status_code == 303
    assert store_b.name in (await browser.get("/admin")).text
    browser.client.cookies.clear()
    browser.client.cookies.set("pawpay_session", old_cookie)
    stale = await browser.get("/admin")
    assert stale.status_code == 303  # the first session was ended


async def test_login_post_needs_no_csrf_token_even_with_a_session_cookie(browser, store_a) -> None:
    # The login runs without the request transaction and so without authentication (no second
    # pooled connection per login). Nothing is lost: a cross-site form POST never carries the
    # SameSite=Lax session cookie, so its CSRF check never applied to a forged login anyway.
    await browser.sign_in(store_a.manager_email)
    response = await browser.login(store_a.manager_email)  # no _csrf while a session cookie is sent
    assert response.status_code == 303


async def test_static_assets_are_public(browser) -> None:
    css = await browser.get("/static/ui/ui.css")
    assert css.status_code == 200
    assert "nav-toggle" in css.text
    js = await browser.get("/static/ui/ui.js")
    assert js.status_code == 200


async def test_a_multipart_form_carries_its_csrf_token_in_a_field(browser, store_a) -> None:
    """File uploads are multipart: the middleware reads ``_csrf`` from the form's parts."""
    await browser.sign_in(store_a.manager_email)
    files = {"file": ("note.txt", b"hello", "text/plain")}
    refused = await browser.client.post("/logout", data={"other": "x"}, files=files)
    assert refused.status_code == 403
    assert (await browser.get("/admin")).status_code == 200  # still signed in
    token = await browser.csrf("/admin")
    accepted = await browser.client.post("/logout", data={"_csrf": token}, files=files)
    assert accepted.status_code == 303
    assert accepted.headers["location"] == "/login"
