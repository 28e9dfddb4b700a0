"""Contract rules: the state machine, the schedule's dates, cooling-off, penalty and retention."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from pawpay.platform.errors import ValidationFailed
from pawpay.tenants.contracts import rules
from pawpay.tenants.contracts.errors import CoolingOffOver, InvalidTransition
from pawpay.tenants.contracts.rules import State

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(("current", "target"), [
    ("draft", "pending_signature"), ("draft", "cancelled"), ("pending_signature", "active"),
    ("pending_signature", "draft"), ("pending_signature", "cancelled"), ("active", "completed"),
    ("active", "terminated"), ("active", "cancelled"),
])
def test_allowed_transitions(current: str, target: str) -> None:
    assert rules.transition(current, target) == State(target)


@pytest.mark.parametrize(("current", "target"), [
    ("draft", "active"), ("draft", "completed"), ("active", "draft"), ("active", "pending_signature"),
    ("completed", "active"), ("terminated", "active"), ("cancelled", "active"), ("cancelled", "pending_signature"),
])
def test_refused_transitions_are_409(current: str, target: str) -> None:
    with pytest.raises(InvalidTransition) as err:
        rules.transition(current, target)
    assert err.value.http_status == 409
    assert not rules.can_transition(current, target)


def test_every_final_state_is_final() -> None:
    for state in rules.FINAL_STATES:
        assert rules.TRANSITIONS[state] == frozenset()


def test_first_due_is_the_first_debit_day_after_the_lead() -> None:
    # lead = max(7, cooling_off + 1) = 8 days: 2026-01-31 + 8 = 2026-02-08
    assert rules.first_due_on(date(2026, 1, 31), 5, 7) == date(2026, 3, 5)
    assert rules.first_due_on(date(2026, 1, 31), 10, 7) == date(2026, 2, 10)
    assert rules.first_due_on(date(2026, 1, 31), 15, 7) == date(2026, 2, 15)
    # a short cooling-off still leaves the 7-day minimum lead
    assert rules.first_due_on(date(2026, 3, 1), 5, 0) == date(2026, 4, 5)
    assert rules.first_due_on(date(2026, 3, 1), 10, 0) == date(2026, 3, 10)
    assert rules.first_due_on(date(2026, 3, 3), 10, 0) == date(2026, 3, 10)
    assert rules.first_due_on(date(2026, 3, 4), 10, 0) == date(2026, 4, 10)


def test_the_schedule_crosses_the_year_and_keeps_the_debit_day() -> None:
    plan = rules.schedule(date(2026, 12, 28), 5, 7, 12, 29_800)
    assert len(plan) == 12
    assert plan[0] == (1, date(2027, 1, 5), 29_800)
    assert plan[1] == (2, date(2027, 2, 5), 29_800)
    assert plan[-1] == (12, date(2027, 12, 5), 29_800)
    assert [s for s, _, _ in plan] == list(range(1, 13))
    assert sum(a for _, _, a in plan) == rules.total_fen(12, 29_800) == 357_600


def test_month_end_signings() -> None:
    # signed on a month's last day (Feb in a leap year, Apr 30, Dec 31)
    assert rules.first_due_on(date(2028, 2, 29), 10, 7) == date(2028, 3, 10)
    assert rules.first_due_on(date(2026, 4, 30), 5, 7) == date(2026, 6, 5)  # 30 Apr + 8 = 8 May: past the 5th
    assert rules.first_due_on(date(2026, 12, 31), 15, 7) == date(2027, 1, 15)
    assert rules.first_due_on(date(2026, 12, 31), 5, 7) == date(2027, 2, 5)
    assert rules.first_due_on(date(2026, 11, 22), 15, 30) == date(2027, 1, 15)  # a long cooling-off moves it


def test_invalid_debit_days_and_amounts() -> None:
    for day in (0, 1, 20, 31, True):
        with pytest.raises(ValidationFailed) as err:
            rules.check_debit_day(day)  # type: ignore[arg-type]
        assert err.value.data["field"] == "debit_day"
    with pytest.raises(ValidationFailed):
        rules.check_debit_day(15, (5, 10))
    with pytest.raises(ValidationFailed):
        rules.schedule(date(2026, 1, 1), 5, 7, 0, 100)
    with pytest.raises(ValidationFailed):
        rules.schedule(date(2026, 1, 1), 5, 7, 12, 0)


def test_cooling_off_window_is_inclusive() -> None:
    signed = date(2026, 1, 31)
    assert rules.cooling_off_ends_on(signed, 7) == date(2026, 2, 7)
    assert rules.in_cooling_off(signed, 7, date(2026, 2, 7))
    assert not rules.in_cooling_off(signed, 7, date(2026, 2, 8))
    rules.check_cooling_off(signed, 7, signed)
    with pytest.raises(CoolingOffOver):
        rules.check_cooling_off(signed, 7, date(2026, 2, 8))


def test_cooling_off_days_are_clamped_to_the_terms() -> None:
    assert rules.clamp_cooling_off(3, 7, 15) == 7
    assert rules.clamp_cooling_off(30, 7, 15) == 15
    assert rules.clamp_cooling_off(10, 7, 15) == 10


def test_penalty_is_rounded_half_up_in_fen() -> None:
    # the plans example: 7 remaining periods of 268.05 CNY at 10 % = 18,763.5 fen -> 18,764
    assert rules.penalty_fen(7, 26_805, 1000) == 18_764
    assert rules.penalty_fen(10, 29_800, 1000) == 29_800
    assert rules.penalty_fen(0, 29_800, 1000) == 0
    assert rules.penalty_fen(1, 1, 5000) == 1  # 0.5 fen rounds up
    assert rules.penalty_fen(1, 1, 4999) == 0
    with pytest.raises(ValidationFailed):
        rules.penalty_fen(-1, 100, 1000)


def test_retention_is_at_least_three_years() -> None:
    assert rules.retention_until(date(2027, 12, 5)) == date(2030, 12, 5)
    assert rules.retention_until(date(2028, 2, 29)) == date(2031, 2, 28)
    assert rules.retention_until(date(2027, 12, 5), 5) == date(2032, 12, 5)
    with pytest.raises(ValidationFailed):
        rules.retention_until(date(2027, 12, 5), 2)


def test_format_fen() -> None:
    assert rules.format_fen(29_800) == "298.00"
    assert rules.format_fen(357_605) == "3,576.05"
    assert rules.format_fen(-5) == "-0.05"


def test_the_signing_day_is_the_store_local_date() -> None:
    # 20:00 UTC on 2 Jan is 04:00 on 3 Jan in Shanghai: the store's date decides the schedule.
    instant = datetime(2026, 1, 2, 20, 0, tzinfo=UTC)
    assert rules.local_date(instant, "Asia/Shanghai") == date(2026, 1, 3)
    assert rules.local_date(instant, "UTC") == date(2026, 1, 2)
    assert rules.first_due_on(rules.local_date(instant, "UTC"), 10, 7) == date(2026, 1, 10)
    assert rules.first_due_on(rules.local_date(instant, "Asia/Shanghai"), 10, 7) == date(2026, 2, 10)
    assert rules.local_date(datetime(2026, 1, 2, 15, 59, tzinfo=UTC), "Asia/Shanghai") == date(2026, 1, 2)
    with pytest.raises(ValidationFailed):
        rules.local_date(datetime(2026, 1, 2), "Asia/Shanghai")  # noqa: DTZ001 - naive on purpose


@pytest.mark.parametrize(("current", "target"), [
    ("due", "paid"), ("due", "failed"), ("failed", "failed"), ("failed", "paid"), ("due", "paused"),
    ("paused", "due"), ("paused", "waived"), ("due", "cancelled"),
])
def test_installment_transitions(current: str, target: str) -> None:
    assert rules.installment_transition(current, target) == target


@pytest.mark.parametrize(("current", "target"), [
    ("paid", "failed"), ("paid", "due"), ("waived", "due"), ("cancelled", "paid"), ("paused", "paid"), ("due", "x"),
])
def test_refused_installment_transitions(current: str, target: str) -> None:
    with pytest.raises(InvalidTransition):
        rules.installment_transition(current, target)
