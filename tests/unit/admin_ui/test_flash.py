"""Flash messages travel in a signed cookie; anything forged reads as nothing."""

from __future__ import annotations

import pytest

from pawpay.admin_ui.flash import Flash, decode, encode, flash
from pawpay.platform.settings import get_settings

pytestmark = pytest.mark.unit


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PAWPAY_SECRET_KEY", "unit-test-secret-key")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_round_trip() -> None:
    messages = [Flash("success", "Added %(email)s.", {"email": "小王@example.test"})]
    assert decode(encode(messages)) == messages


def test_tampered_or_garbage_cookies_read_as_nothing() -> None:
    value = encode([Flash("info", "You have signed out.")])
    data, _, signature = value.rpartition(".")
    assert decode(f"{data}x.{signature}") == []
    assert decode(f"{data}.{'0' * len(signature)}") == []
    for garbage in (None, "", "nodot", "!!!.abc", "e30.deadbeef"):
        assert decode(garbage) == []


def test_flash_cookie_is_short_lived_and_http_only() -> None:
    cookie = flash("API key %(name)s revoked.", name="ERP")
    assert cookie.key == "pawpay_flash"
    assert cookie.httponly
    assert 0 < (cookie.max_age or 0) <= 300
    assert decode(cookie.value) == [Flash("success", "API key %(name)s revoked.", {"name": "ERP"})]
