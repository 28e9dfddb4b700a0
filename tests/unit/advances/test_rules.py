"""Advances' pure rules: eligibility rounded down, fee rounded up, the split of one collection."""

from __future__ import annotations

from datetime import date

import pytest

from pawpay.platform.advances import rules

pytestmark = pytest.mark.unit


def test_the_eligible_amount_is_rounded_down() -> None:
    assert rules.eligible_fen(240_000, 4500) == 108_000
    assert rules.eligible_fen(222_447, 4500) == 100_101  # 100 101.15
    assert rules.eligible_fen(0, 4500) == 0
    assert rules.eligible_fen(100_000, 0) == 0


def test_the_fee_is_rounded_up() -> None:
    assert rules.fee_fen(108_000, 600) == 6_480
    assert rules.fee_fen(100_001, 600) == 6_001  # 6 000.06
    assert rules.fee_fen(100_000, 0) == 0


def test_a_split_takes_what_is_available_up_to_what_is_owed() -> None:
    assert rules.repayment_split(17_480, 19_400) == 17_480
    assert rules.repayment_split(50_000, 19_400) == 19_400
    assert rules.repayment_split(0, 19_400) == 0
    assert rules.repayment_split(-5, 19_400) == 0


def test_the_last_installment_is_clamped_to_the_month() -> None:
    assert rules.last_installment_on(date(2026, 10, 31), 5) == date(2027, 2, 28)
    assert rules.last_installment_on(date(2026, 10, 5), 12) == date(2027, 9, 5)
    assert rules.last_installment_on(date(2026, 10, 5), 1) == date(2026, 10, 5)
    assert rules.advance_id("C-1") == "adv-C-1"
