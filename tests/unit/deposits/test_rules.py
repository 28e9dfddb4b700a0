"""Deposit rules: the target rounds up, whole debits are withheld until the target is met."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pawpay.platform.deposits import rules
from pawpay.platform.errors import ValidationFailed

pytestmark = pytest.mark.unit


def test_the_target_is_the_ratio_of_the_monthly_fulfilment_rounded_up() -> None:
    assert rules.target_fen(1_000_000, 3000) == 300_000
    assert rules.target_fen(1, 3000) == 1  # 0.3 fen rounds up: never short by rounding
    assert rules.target_fen(0, 5000) == 0


def test_whole_debits_are_withheld_until_the_target_is_met() -> None:
    assert rules.withhold(100_000, 0, 30_000) == 30_000
    assert rules.withhold(100_000, 90_000, 30_000) == 30_000  # crosses the target: overshoot < one debit
    assert rules.withhold(100_000, 100_000, 30_000) == 0
    assert rules.withhold(0, 0, 30_000) == 0
    assert rules.withhold(100_000, 0, 0) == 0


@given(st.integers(0, 10**9), st.lists(st.integers(1, 200_000), max_size=50))
def test_withholding_reaches_the_target_and_overshoots_by_less_than_one_debit(target: int, debits: list[int]) -> None:
    balance = 0
    for debit in debits:
        balance += rules.withhold(target, balance, debit)
    if balance < target:
        assert balance == sum(debits)
    else:
        assert balance - target < max(debits, default=1)


def test_releases_need_a_rule_and_a_reason() -> None:
    assert rules.check_rule("contract_completed") == "contract_completed"
    with pytest.raises(ValidationFailed):
        rules.check_rule("because")
    with pytest.raises(ValidationFailed):
        rules.check_reason("  ")
    with pytest.raises(ValidationFailed):
        rules.check_amount(1.0)
    with pytest.raises(ValidationFailed):
        rules.check_amount(0)
    assert rules.check_amount(0, allow_zero=True) == 0
