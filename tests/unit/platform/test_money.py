"""Integer fen as yuan text."""

from __future__ import annotations

import pytest

from pawpay.platform.money import yuan

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(("fen", "kwargs", "text"), [
    (29_800, {}, "298.00"),
    (5, {}, "0.05"),
    (129_800, {}, "1298.00"),
    (129_800, {"grouping": True}, "1,298.00"),
    (129_800, {"grouping": True, "symbol": True}, "¥1,298.00"),
    (-9_900, {"grouping": True}, "-99.00"),
])
def test_yuan(fen: int, kwargs: dict[str, bool], text: str) -> None:
    assert yuan(fen, **kwargs) == text
