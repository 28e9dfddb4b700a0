from __future__ import annotations

import pytest

from pawpay.platform.settings import SettingsError, load_settings, mask_secret

pytestmark = pytest.mark.unit


def test_defaults_are_embedded() -> None:
    settings = load_settings(_env_file=None, database_url=None, broker_url=None)
    assert settings.embedded_database
    assert settings.embedded_broker
    assert settings.time_zone == "Asia/Shanghai"


def test_invalid_values_name_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAWPAY_PORT", "not-a-port")
    monkeypatch.setenv("PAWPAY_TIME_ZONE", "Mars/Olympus")
    with pytest.raises(SettingsError) as err:
        load_settings()
    message = str(err.value)
    assert "PAWPAY_PORT" in message
    assert "PAWPAY_TIME_ZONE" in message
    assert "IANA" in message


def test_production_requires_services(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PAWPAY_DATABASE_URL", "PAWPAY_BROKER_URL", "PAWPAY_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PAWPAY_ENV", "production")
    with pytest.raises(SettingsError, match="PAWPAY_DATABASE_URL, PAWPAY_BROKER_URL, PAWPAY_SECRET_KEY"):
        load_settings()


def test_broker_url_scheme_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAWPAY_BROKER_URL", "http://example.com")
    with pytest.raises(SettingsError, match="PAWPAY_BROKER_URL"):
        load_settings()


@pytest.mark.parametrize(
    ("secret", "shown"),
    [
        ("postgresql://app:s3cret@db:5432/pawpay", "postgresql://app:****@db:5432/pawpay"),
        ("redis://cache:6379/0", "redis://cache:6379/0"),
        ("a-very-long-secret-key-value", "a-****ue"),
        ("short", "****"),
    ],
)
def test_mask_secret(secret: str, shown: str) -> None:
    assert mask_secret(secret) == shown


def test_masked_settings_never_show_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAWPAY_DATABASE_URL", "postgresql://app:hunter22@db/pawpay")
    monkeypatch.setenv("PAWPAY_SECRET_KEY", "super-secret-signing-key")
    shown = load_settings().masked()
    text = repr(shown)
    assert "hunter22" not in text
    assert "super-secret-signing-key" not in text
    assert shown["PAWPAY_DATABASE_URL"] == "postgresql://app:****@db/pawpay"
