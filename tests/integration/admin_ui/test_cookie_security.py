"""Every cookie pawpay sets (session, flash, locale) is ``Secure`` exactly when the settings say
so (``PAWPAY_COOKIE_SECURE``; by default only in production)."""

from __future__ import annotations

from collections.abc import Iterator
from http.cookies import SimpleCookie
from typing import Any

import pytest

from pawpay.platform.settings import get_settings
from pawpay.platform.testing.plugin import PASSWORD

pytestmark = pytest.mark.integration


@pytest.fixture(params=[True, False], ids=["secure", "not-secure"])
def cookie_secure(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[bool]:
    monkeypatch.setenv("PAWPAY_COOKIE_SECURE", str(request.param).lower())
    get_settings.cache_clear()
    assert get_settings().secure_cookies is request.param
    yield request.param
    get_settings.cache_clear()  # before monkeypatch restores the environment: re-read it then


def _secure_flags(response: Any) -> dict[str, bool]:
    """Cookie name -> whether it was set with the Secure attribute."""
    flags = {}
    for header in response.headers.get_list("set-cookie"):
        cookie = SimpleCookie()
        cookie.load(header)
        for name, morsel in cookie.items():
            flags[name] = bool(morsel["secure"])
    return flags


async def test_session_flash_and_locale_cookies_follow_the_setting(
    cookie_secure: bool, store_a: Any, new_client: Any
) -> None:
    async with new_client() as client:
        api_login = await client.post("/api/v1/auth/login", json={"email": store_a.manager_email,
                                                                   "password": PASSWORD})
        assert _secure_flags(api_login) == {"pawpay_session": cookie_secure}
        client.cookies.clear()
        form_login = await client.post("/login", data={"email": store_a.manager_email, "password": PASSWORD})
        assert form_login.status_code == 303
        assert _secure_flags(form_login)["pawpay_session"] is cookie_secure
        locale = await client.get("/locale", params={"lang": "en", "next": "/admin"})
        assert _secure_flags(locale) == {"pawpay_locale": cookie_secure}
        # The client speaks plain HTTP, so it would not send back a Secure cookie by itself.
        session = SimpleCookie()
        session.load(form_login.headers["set-cookie"])
        client.cookies.clear()
        signed_in = {"cookie": f"pawpay_session={session['pawpay_session'].value}"}
        csrf = (await client.get("/api/v1/auth/me", headers=signed_in)).json()["csrf_token"]
        logout = await client.post("/logout", data={"_csrf": csrf}, headers=signed_in)
        assert logout.status_code == 303
        assert _secure_flags(logout) == {"pawpay_session": cookie_secure, "pawpay_flash": cookie_secure}


def test_cookies_are_not_secure_by_default_outside_production() -> None:
    assert get_settings().env == "test"
    assert get_settings().secure_cookies is False
