"""The visits' rules as pure functions: due days, windows, the form's checks, the reschedule bounds,
who gets a visit."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest

from pawpay.platform.errors import ValidationFailed
from pawpay.tenants.visits import rules


def test_due_days_count_from_adoption_and_never_before_signing() -> None:
    assert rules.due_on(date(2026, 11, 20), 7, date(2026, 11, 22)) == date(2026, 11, 27)
    assert rules.due_on(date(2026, 11, 20), 30, date(2026, 11, 22)) == date(2026, 12, 20)
    assert rules.due_on(date(2026, 12, 25), 7, date(2026, 12, 25)) == date(2027, 1, 1)
    assert rules.due_on(date(2026, 6, 1), 7, date(2026, 11, 22)) == date(2026, 11, 22)
    with pytest.raises(ValueError, match="visits are at days"):
        rules.due_on(date(2026, 6, 1), 14, date(2026, 11, 22))


def test_windows() -> None:
    today = date(2026, 11, 22)
    assert rules.window(date(2026, 11, 21), today) == "overdue"
    assert rules.window(today, today) == "today"
    assert rules.window(date(2026, 11, 23), today) == "upcoming"


@pytest.mark.parametrize(("settled", "satisfaction", "field"), [
    ("maybe", 3, "settled"), (None, 3, "settled"), ("YES", 3, "settled"),
    ("yes", 0, "satisfaction"), ("yes", 6, "satisfaction"), ("yes", "3", "satisfaction"),
    ("yes", True, "satisfaction"), ("yes", 3.0, "satisfaction"), ("yes", None, "satisfaction"),
])
def test_the_form_refuses_bad_answers_with_their_field(settled: object, satisfaction: object, field: str) -> None:
    with pytest.raises(ValidationFailed) as err:
        rules.check_outcome(settled, "", satisfaction, "")  # type: ignore[arg-type]
    assert (str(err.value.code), err.value.data["field"]) == ("VISIT_INVALID_FORM", field)


def test_the_form_trims_and_bounds_texts() -> None:
    outcome = rules.check_outcome("no", "  要不要换粮？ ", 1, "")
    assert outcome == rules.Outcome("no", "要不要换粮？", 1, "")
    assert rules.check_outcome("somewhat", "x" * 2000, 5, "").satisfaction == 5
    with pytest.raises(ValidationFailed):
        rules.check_outcome("yes", "x" * 2001, 5, "")


def test_reschedule_from_today_to_thirty_days_ahead() -> None:
    today = date(2026, 11, 22)
    assert rules.check_reschedule(today, today) == today
    assert rules.check_reschedule(date(2026, 12, 22), today) == date(2026, 12, 22)
    for bad in (date(2026, 11, 21), date(2026, 12, 23), None):
        with pytest.raises(ValidationFailed):
            rules.check_reschedule(bad, today)


@dataclass(frozen=True)
class _Person:
    id: uuid.UUID
    roles: frozenset[str]
    created_at: datetime


def _person(*roles: str, day: int = 1) -> _Person:
    return _Person(uuid.uuid4(), frozenset(roles), datetime(2026, 1, day, tzinfo=UTC))


def test_after_sales_first_else_a_manager_fewest_open_then_longest_serving() -> None:
    from pawpay.platform.identity.services import choose_assignee

    role = rules.PREFERRED_ROLE
    manager, desk = _person("manager"), _person("front_desk")
    old, new = _person("after_sales", day=1), _person("after_sales", day=2)
    assert choose_assignee([manager, desk], role, {}) == manager.id
    assert choose_assignee([manager, old, new], role, {}) == old.id
    assert choose_assignee([manager, old, new], role, {old.id: 3, new.id: 1}) == new.id
    assert choose_assignee([desk], role, {}) is None
