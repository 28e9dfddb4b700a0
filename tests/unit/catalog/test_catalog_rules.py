"""Catalog input rules without a database."""

from __future__ import annotations

import pytest

from pawpay.platform.errors import ValidationFailed
from pawpay.tenants.catalog import rules


@pytest.mark.parametrize("code", ["FOOD-1", "a", "sku_2.5kg", "X" * 64])
def test_good_codes(code: str) -> None:
    assert rules.check_code(f" {code} ") == code


@pytest.mark.parametrize("code", ["", " ", "has space", "-lead", "X" * 65, "猫粮"])
def test_bad_codes(code: str) -> None:
    with pytest.raises(ValidationFailed):
        rules.check_code(code)


def test_kinds() -> None:
    assert rules.check_kind("paste", rules.SKU_KINDS) == "paste"
    assert rules.check_kind("checkup", rules.SERVICE_KINDS) == "checkup"
    with pytest.raises(ValidationFailed):
        rules.check_kind("vaccine", rules.SKU_KINDS)
