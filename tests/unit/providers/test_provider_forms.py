"""Pure parts of the provider settings: form fields from a schema, the preview's masking, and
the settings page's translation of pydantic error codes."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pydantic
import pytest

from pawpay.admin_ui.pages.providers import CONFIG_ERROR_DEFAULT, CONFIG_ERROR_MESSAGES, config_errors
from pawpay.platform.hooks import ProviderConfig
from pawpay.platform.hooks.registry import ConfigFieldError, ProviderConfigInvalid
from pawpay.platform.providers.services import MASK, config_fields, mask_secret, preview

pytestmark = pytest.mark.unit


class Example(ProviderConfig):
    merchant_id: str = pydantic.Field(min_length=1, description="Merchant")
    api_key: pydantic.SecretStr = pydantic.Field(min_length=8)
    backup_key: pydantic.SecretStr | None = None
    retries: int = 3
    rate: Decimal = Decimal("1.5")
    live: bool = False


def test_fields_carry_type_required_secret_and_safe_defaults() -> None:
    fields = {f.name: f for f in config_fields(Example)}
    assert [f.name for f in config_fields(Example)] == ["merchant_id", "api_key", "backup_key", "retries", "rate",
                                                        "live"]
    assert (fields["merchant_id"].type, fields["merchant_id"].required, fields["merchant_id"].secret) == (
        "string", True, False)
    assert fields["merchant_id"].description == "Merchant"
    assert (fields["api_key"].type, fields["api_key"].secret) == ("secret", True)
    assert (fields["backup_key"].type, fields["backup_key"].required) == ("secret", False)
    assert (fields["retries"].type, fields["retries"].default) == ("integer", 3)
    assert fields["rate"].type == "number"
    assert fields["rate"].default is None  # only plain JSON defaults are offered to forms
    assert fields["live"].type == "boolean"


def test_preview_masks_every_secret_with_a_fixed_width() -> None:
    long_key = "sk_live_" + "x" * 20 + "WXYZ"
    shown = preview(Example(merchant_id="m1", api_key=long_key))
    assert shown["merchant_id"] == "m1"
    assert shown["api_key"] == MASK + "WXYZ"
    assert shown["backup_key"] is None
    assert preview(Example(merchant_id="m1", api_key="short-key"))["api_key"] == MASK
    assert mask_secret("a" * 16) == MASK + "aaaa"
    assert len(mask_secret("b" * 100)) == len(mask_secret("c" * 16))  # the length is never revealed


def test_pydantic_codes_become_translatable_field_messages() -> None:
    exc = ProviderConfigInvalid("payments", "x", (
        ConfigFieldError("merchant_id", "missing", "Field required"),
        ConfigFieldError("api_key", "too_short", "Value should have at least 8 items"),
        ConfigFieldError("bogus", "extra_forbidden", "Extra inputs are not permitted"),
        ConfigFieldError("retries", "something_new", "?"),
        ConfigFieldError("__root__", "value_error", "bad combination"),
    ))
    errors = config_errors(exc)
    assert errors == {
        "merchant_id": CONFIG_ERROR_MESSAGES["missing"],
        "api_key": CONFIG_ERROR_MESSAGES["too_short"],
        "bogus": CONFIG_ERROR_MESSAGES["extra_forbidden"],
        "retries": CONFIG_ERROR_DEFAULT,
        "__all__": CONFIG_ERROR_DEFAULT,
    }


def test_every_config_error_message_has_a_zh_cn_translation() -> None:
    from babel.messages.pofile import read_po

    po_path = Path(__file__).parents[3] / "admin_ui" / "i18n" / "zh_CN" / "LC_MESSAGES" / "messages.po"
    with po_path.open("rb") as po:
        catalog = read_po(po, locale="zh_CN")
    for msgid in {*CONFIG_ERROR_MESSAGES.values(), CONFIG_ERROR_DEFAULT}:
        message = catalog.get(msgid)
        assert message is not None, msgid
        assert message.string, msgid
