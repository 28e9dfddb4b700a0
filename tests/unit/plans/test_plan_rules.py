"""The plan rules without a database: stages by age, periods, debit days, totals, penalty rounding, bounds."""

from __future__ import annotations

from datetime import date

import pytest

from pawpay.platform.errors import ValidationFailed
from pawpay.tenants.plans import rules
from pawpay.tenants.plans.rules import StageBoundaries


@pytest.mark.parametrize(("birthday", "on_date", "months"), [
    (date(2026, 1, 15), date(2026, 1, 15), 0),
    (date(2026, 1, 15), date(2026, 2, 14), 0),
    (date(2026, 1, 15), date(2026, 2, 15), 1),
    (date(2026, 1, 31), date(2026, 2, 28), 1),  # the month's last day completes a longer month
    (date(2024, 1, 31), date(2024, 2, 28), 0),  # 2024 is a leap year: 29 Feb completes it
    (date(2024, 1, 31), date(2024, 2, 29), 1),
    (date(2025, 6, 10), date(2026, 6, 9), 11),
    (date(2025, 6, 10), date(2026, 6, 10), 12),
])
def test_full_months(birthday: date, on_date: date, months: int) -> None:
    assert rules.full_months(birthday, on_date) == months


def test_a_birthday_after_the_date_is_refused() -> None:
    with pytest.raises(ValidationFailed) as caught:
        rules.full_months(date(2026, 5, 1), date(2026, 4, 30))
    assert caught.value.data["field"] == "birthday"


@pytest.mark.parametrize(("species", "months_old_on", "stage"), [
    ("cat", date(2026, 7, 14), "kitten"),  # 5 months
    ("cat", date(2026, 7, 15), "junior"),  # 6 months: junior from 6
    ("cat", date(2027, 1, 14), "junior"),  # 11 months
    ("cat", date(2027, 1, 15), "adult"),  # 12 months: adult from 12
    ("dog", date(2026, 2, 1), "puppy"),
    ("dog", date(2026, 8, 1), "junior"),
    ("dog", date(2030, 1, 1), "adult"),
])
def test_stage_for_age_with_the_default_boundaries(species: str, months_old_on: date, stage: str) -> None:
    assert rules.stage_for_age(species, date(2026, 1, 15), months_old_on, StageBoundaries()) == stage


def test_stage_for_age_with_a_stores_boundaries() -> None:
    b = StageBoundaries(junior_from_months=3, adult_from_months=9)
    assert rules.stage_for_age("cat", date(2026, 1, 1), date(2026, 4, 1), b) == "junior"
    assert rules.stage_for_age("dog", date(2026, 1, 1), date(2026, 10, 1), b) == "adult"
    assert rules.stage_for_age("dog", date(2026, 1, 1), date(2026, 3, 31), b) == "puppy"


@pytest.mark.parametrize(("junior", "adult"), [(0, 12), (6, 6), (12, 6), (6, 241)])
def test_bad_boundaries_are_refused(junior: int, adult: int) -> None:
    with pytest.raises(ValidationFailed):
        StageBoundaries(junior, adult)


def test_stages_belong_to_their_species() -> None:
    assert rules.check_stage("cat", "kitten") == "kitten"
    with pytest.raises(ValidationFailed):
        rules.check_stage("cat", "puppy")
    with pytest.raises(ValidationFailed):
        rules.check_stage("dog", "kitten")
    with pytest.raises(ValidationFailed):
        rules.check_species("rabbit")
    assert rules.stage_rank("dog", "puppy") < rules.stage_rank("dog", "junior") < rules.stage_rank("dog", "adult")


@pytest.mark.parametrize("periods", [12, 18, 24])
def test_12_to_24_periods(periods: int) -> None:
    assert rules.check_periods(periods) == periods


@pytest.mark.parametrize("periods", [11, 25, 0, True, "12"])
def test_other_periods_are_refused(periods: object) -> None:
    with pytest.raises(ValidationFailed):
        rules.check_periods(periods)  # type: ignore[arg-type]


def test_debit_days_are_a_subset_of_5_10_15() -> None:
    assert rules.check_debit_days([15, 5, 5]) == [5, 15]
    for bad in ([], [1], [5, 20]):
        with pytest.raises(ValidationFailed):
            rules.check_debit_days(bad)


def test_amounts_are_integer_fen() -> None:
    with pytest.raises(ValidationFailed):
        rules.check_amount(298.0)  # type: ignore[arg-type]
    with pytest.raises(ValidationFailed):
        rules.check_amount(0)
    assert rules.check_amount(0, "gift_value_fen", allow_zero=True) == 0


def test_total_is_periods_times_the_monthly_amount() -> None:
    assert rules.total_fen(12, 29_800) == 357_600


@pytest.mark.parametrize(("remaining", "monthly", "rate_bp", "penalty"), [
    (7, 26_805, 1000, 18_764),  # 18,763.5 → half up → 18,764
    (1, 5, 1000, 1),  # 0.5 fen → 1 fen
    (1, 4, 1000, 0),  # 0.4 fen → 0
    (1, 15, 1000, 2),  # 1.5 → 2
    (12, 29_800, 1000, 35_760),  # exact
    (0, 29_800, 1000, 0),
    (3, 33_333, 1250, 12_500),  # 12,499.875 → 12,500
    (5, 29_800, 0, 0),
])
def test_penalty_is_rounded_half_up_to_the_fen(remaining: int, monthly: int, rate_bp: int, penalty: int) -> None:
    assert rules.penalty_fen(remaining, monthly, rate_bp) == penalty


def test_default_penalty_is_ten_percent_and_described() -> None:
    assert rules.DEFAULT_PENALTY_RATE_BP == 1000
    assert rules.penalty_fen(10, 29_800) == 29_800
    assert rules.describe_penalty(1000) == "10% of the remaining periods' total, rounded half up to the fen"
    assert rules.describe_penalty(1250).startswith("12.5%")
    with pytest.raises(ValidationFailed):
        rules.check_penalty_rate(10_001)


def test_policy_bounds_are_inclusive_and_rail_caps_strict() -> None:
    assert not rules.amount_outside_bounds(29_800, 29_800, 59_800)
    assert not rules.amount_outside_bounds(59_800, 29_800, 59_800)
    assert rules.amount_outside_bounds(26_800, 29_800, 59_800)
    assert rules.amount_outside_bounds(59_801, 29_800, 59_800)
    assert not rules.exceeds_cap(200_000, 200_000)
    assert rules.exceeds_cap(200_001, 200_000)
    assert not rules.exceeds_cap(10**9, None)
    assert (rules.DEFAULT_WARN_MIN_FEN, rules.DEFAULT_WARN_MAX_FEN) == (29_800, 59_800)
