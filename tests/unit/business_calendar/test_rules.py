"""Pure classification: overrides win, then chinese_calendar, then a confirmed year's weekday rule,
else CalendarNotCovered (never a guess); and the bulk paste format."""

from __future__ import annotations

from datetime import date

import pytest

from pawpay.platform.business_calendar import rules
from pawpay.platform.business_calendar.errors import CalendarNotCovered
from pawpay.platform.errors import ValidationFailed

pytestmark = pytest.mark.unit


def test_the_library_covers_2004_to_2026() -> None:
    assert rules.library_years() == (2004, 2026)


def test_chinese_calendar_classifies_holidays_and_make_up_days() -> None:
    assert rules.classify(date(2026, 10, 1), {}) is False  # National Day
    assert rules.classify(date(2026, 10, 9), {}) is True  # Friday
    assert rules.classify(date(2026, 11, 21), {}) is False  # Saturday
    assert rules.classify(date(2026, 11, 23), {}) is True  # Monday


def test_an_override_wins_over_the_library() -> None:
    assert rules.classify(date(2026, 11, 23), {date(2026, 11, 23): False}) is False
    assert rules.classify(date(2026, 11, 21), {date(2026, 11, 21): True}) is True


def test_a_day_past_the_library_is_never_guessed() -> None:
    with pytest.raises(CalendarNotCovered) as raised:
        rules.classify(date(2027, 1, 4), {})
    assert raised.value.day == date(2027, 1, 4)
    assert str(raised.value.code) == "CALENDAR_NOT_COVERED"
    assert raised.value.http_status == 422


def test_an_override_classifies_a_single_day_of_an_uncovered_year() -> None:
    assert rules.classify(date(2027, 1, 1), {date(2027, 1, 1): False}) is False
    with pytest.raises(CalendarNotCovered):
        rules.classify(date(2027, 1, 2), {date(2027, 1, 1): False})


def test_a_confirmed_year_follows_the_weekday_rule_outside_its_overrides() -> None:
    overrides = {date(2027, 1, 1): False, date(2027, 1, 2): True}
    assert rules.classify(date(2027, 1, 1), overrides, {2027}) is False  # Friday, holiday
    assert rules.classify(date(2027, 1, 2), overrides, {2027}) is True  # Saturday, make-up day
    assert rules.classify(date(2027, 1, 3), overrides, {2027}) is False  # Sunday
    assert rules.classify(date(2027, 1, 4), overrides, {2027}) is True  # Monday


def test_add_business_days() -> None:
    assert rules.add_business_days(date(2026, 11, 20), 1, {}) == date(2026, 11, 23)  # Friday -> Monday
    assert rules.add_business_days(date(2026, 9, 30), 1, {}) == date(2026, 10, 8)  # National Day week
    assert rules.add_business_days(date(2026, 11, 23), 5, {}) == date(2026, 11, 30)
    with pytest.raises(CalendarNotCovered):
        rules.add_business_days(date(2026, 12, 30), 3, {})
    with pytest.raises(ValueError, match="at least 1"):
        rules.add_business_days(date(2026, 12, 30), 0, {})


def test_first_unclassifiable() -> None:
    assert rules.first_unclassifiable(date(2026, 11, 22), date(2026, 12, 31), {}) is None
    assert rules.first_unclassifiable(date(2026, 11, 22), date(2027, 2, 1), {}) == date(2027, 1, 1)
    assert rules.first_unclassifiable(date(2026, 11, 22), date(2027, 2, 1), {date(2027, 1, 1): False}) == date(
        2027, 1, 2)


def test_bulk_lines_are_parsed() -> None:
    lines = rules.parse_bulk("""
        # 2027 元旦
        2027-01-01 holiday 元旦
        2027-02-06 workday 春节调休
        2027-02-10 休 春节
    """, year=2027)
    assert [(x.day, x.is_business_day, x.note) for x in lines] == [
        (date(2027, 1, 1), False, "元旦"), (date(2027, 2, 6), True, "春节调休"), (date(2027, 2, 10), False, "春节")]


def test_bulk_input_is_all_or_nothing_with_every_problem_listed() -> None:
    with pytest.raises(ValidationFailed) as raised:
        rules.parse_bulk("2027-01-01 holiday ok\n2027-02-30 holiday\nnonsense\n2027-01-01 workday again\n"
                         "2026-12-31 holiday wrong year\n2027-03-01 maybe", year=2027)
    assert str(raised.value.code) == "CALENDAR_BULK_INVALID"
    assert raised.value.data["field"] == "lines"
    problems = [(e["line"], e["problem"]) for e in raised.value.data["errors"]]
    assert problems == [(2, "date"), (3, "format"), (4, "duplicate"), (5, "year"), (6, "kind")]


def test_bulk_input_must_not_be_empty() -> None:
    with pytest.raises(ValidationFailed):
        rules.parse_bulk("\n# nothing\n")


def test_notes_and_days_are_checked() -> None:
    with pytest.raises(ValidationFailed) as raised:
        rules.check_note("x" * 201)
    assert raised.value.data["field"] == "note"
    with pytest.raises(ValidationFailed):
        rules.parse_day("2027-13-01")
    assert rules.parse_day(" 2027-01-01 ") == date(2027, 1, 1)
