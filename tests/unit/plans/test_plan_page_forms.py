"""The plan editor's form parsing (no database): yuan to fen, percent to basis points, overrides text."""

from __future__ import annotations

import uuid

import pytest

from pawpay.admin_ui.pages import plans as page

ITEMS = [
    {"type": "sku", "id": uuid.UUID(int=1), "code": "FOOD-K"},
    {"type": "service", "id": uuid.UUID(int=2), "code": "GROOM"},
]


@pytest.mark.parametrize(("raw", "fen"), [("298", 29_800), ("298.5", 29_850), ("¥1,298.05", 129_805)])
def test_yuan_to_fen(raw: str, fen: int) -> None:
    errors: dict[str, str] = {}
    assert page.parse_yuan(raw, "x", errors) == fen
    assert errors == {}


@pytest.mark.parametrize("raw", ["", "0", "-1", "1.001", "abc", "nan", "inf"])
def test_bad_yuan(raw: str) -> None:
    errors: dict[str, str] = {}
    assert page.parse_yuan(raw, "x", errors) is None
    assert "x" in errors


def test_gift_may_be_zero_or_blank() -> None:
    errors: dict[str, str] = {}
    assert page.parse_yuan("", "g", errors, allow_zero=True) == 0
    assert page.parse_yuan("0", "g", errors, allow_zero=True) == 0
    assert errors == {}


def test_percent_to_basis_points() -> None:
    errors: dict[str, str] = {}
    assert page.parse_percent("10", errors) == 1000
    assert page.parse_percent("12.5", errors) == 1250
    assert page.parse_percent("", errors) == 1000
    assert page.percent(1250) == "12.5"
    assert page.percent(1000) == "10"
    assert page.parse_percent("101", errors) is None
    assert "penalty_percent" in errors


def test_overrides_text() -> None:
    errors: dict[str, str] = {}
    out = page._parse_overrides("3: GROOM*1, food-k×2\n\n5：FOOD-K", ITEMS, errors)
    assert errors == {}
    assert [(x.item_type, x.quantity) for x in out[3]] == [("service", 1), ("sku", 2)]
    assert [(x.item_id, x.quantity) for x in out[5]] == [(uuid.UUID(int=1), 1)]


@pytest.mark.parametrize("text", ["GROOM*1", "3: NOPE", "3: GROOM*1\n3: FOOD-K", "x: GROOM"])
def test_bad_overrides(text: str) -> None:
    errors: dict[str, str] = {}
    assert page._parse_overrides(text, ITEMS, errors) == {}
    assert "overrides" in errors
