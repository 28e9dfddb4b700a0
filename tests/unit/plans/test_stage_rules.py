"""The stage rules, as pure functions: boundaries from a birthday (month ends, 29 February), the next
switch day, and which plan of a next-stage chain a pet gets."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from pawpay.platform.errors import ValidationFailed
from pawpay.tenants.plans import rules
from pawpay.tenants.plans.rules import StageBoundaries


@pytest.mark.parametrize(("day", "months", "expected"), [
    (date(2026, 1, 31), 1, date(2026, 2, 28)),
    (date(2028, 1, 31), 1, date(2028, 2, 29)),
    (date(2026, 1, 31), 3, date(2026, 4, 30)),
    (date(2024, 2, 29), 12, date(2025, 2, 28)),
    (date(2024, 2, 29), 48, date(2028, 2, 29)),
    (date(2026, 11, 15), 2, date(2027, 1, 15)),
    (date(2026, 5, 10), 0, date(2026, 5, 10)),
])
def test_add_months_clips_to_the_month_end(day: date, months: int, expected: date) -> None:
    assert rules.add_months(day, months) == expected


@pytest.mark.parametrize("birthday", [date(2026, 1, 31), date(2024, 2, 29), date(2025, 8, 30), date(2026, 3, 1),
                                      date(2025, 12, 31)])
def test_stage_starts_agree_with_stage_for_age(birthday: date) -> None:
    """The day a stage starts is the first day stage_for_age says so; the day before is the stage before."""
    b = StageBoundaries(6, 12)
    starts = rules.stage_starts("cat", birthday, b)
    assert [s for s, _ in starts] == ["kitten", "junior", "adult"]
    for stage, first_day in starts[1:]:
        assert rules.stage_for_age("cat", birthday, first_day, b) == stage
        assert rules.stage_for_age("cat", birthday, first_day - timedelta(days=1), b) != stage


def test_born_on_the_31st_is_junior_on_the_last_day_of_a_short_month() -> None:
    # 31 Aug + 6 months = 28 Feb (2027 is not a leap year); 27 Feb is still kitten.
    b = StageBoundaries(6, 12)
    assert rules.stage_starts("cat", date(2026, 8, 31), b)[1] == ("junior", date(2027, 2, 28))
    assert rules.stage_for_age("cat", date(2026, 8, 31), date(2027, 2, 27), b) == "kitten"
    assert rules.stage_for_age("cat", date(2026, 8, 31), date(2027, 2, 28), b) == "junior"


def test_born_on_29_february_is_adult_on_28_february_of_a_common_year() -> None:
    b = StageBoundaries(6, 12)
    assert rules.stage_for_age("dog", date(2024, 2, 29), date(2025, 2, 27), b) == "junior"
    assert rules.stage_for_age("dog", date(2024, 2, 29), date(2025, 2, 28), b) == "adult"
    assert rules.next_stage_change("dog", date(2024, 2, 29), date(2024, 9, 1), b) == ("adult", date(2025, 2, 28))


def test_next_stage_change_follows_the_store_boundaries() -> None:
    b = StageBoundaries(4, 10)
    born = date(2026, 3, 1)
    assert rules.next_stage_change("cat", born, date(2026, 3, 1), b) == ("junior", date(2026, 7, 1))
    assert rules.next_stage_change("cat", born, date(2026, 7, 1), b) == ("adult", date(2027, 1, 1))
    assert rules.next_stage_change("cat", born, date(2027, 1, 1), b) is None


def test_chain_index_never_moves_to_a_stage_not_reached() -> None:
    assert rules.chain_index("cat", ["kitten", "junior", "adult"], "kitten") == 0
    assert rules.chain_index("cat", ["kitten", "junior", "adult"], "junior") == 1
    assert rules.chain_index("cat", ["kitten", "junior", "adult"], "adult") == 2
    # kitten → adult without a junior plan: a junior pet stays on kitten food until adult.
    assert rules.chain_index("cat", ["kitten", "adult"], "junior") == 0
    assert rules.chain_index("cat", ["kitten", "adult"], "adult") == 1
    # No later plan: the last one.
    assert rules.chain_index("dog", ["puppy"], "adult") == 0
    assert rules.chain_index("dog", ["puppy", "junior"], "adult") == 1


def test_chain_index_refuses_a_stage_of_another_species() -> None:
    with pytest.raises(ValidationFailed):
        rules.chain_index("cat", ["kitten", "adult"], "puppy")
