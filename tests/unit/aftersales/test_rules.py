"""The ticket state machine and the SLA timers (pure rules)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pawpay.tenants.aftersales import rules

T0 = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize(("state", "action", "expected"), [
    ("open", "start", "in_progress"),
    ("open", "wait_customer", "waiting_customer"),
    ("open", "resolve", "resolved"),
    ("open", "close", "closed"),
    ("in_progress", "wait_customer", "waiting_customer"),
    ("in_progress", "resolve", "resolved"),
    ("waiting_customer", "customer_reply", "in_progress"),
    ("waiting_customer", "start", "in_progress"),
    ("resolved", "close", "closed"),
    ("resolved", "reopen", "open"),
    ("closed", "reopen", "open"),
])
def test_allowed_transitions(state: str, action: str, expected: str) -> None:
    assert rules.next_state(state, action) == expected


@pytest.mark.parametrize(("state", "action"), [
    ("open", "reopen"), ("in_progress", "reopen"), ("in_progress", "start"), ("resolved", "resolve"),
    ("closed", "close"), ("closed", "resolve"), ("closed", "start"), ("resolved", "wait_customer"),
    ("open", "customer_reply"), ("open", "fly"), ("nowhere", "start"),
])
def test_refused_transitions(state: str, action: str) -> None:
    assert rules.next_state(state, action) is None


def test_every_state_is_reachable_and_every_done_state_can_reopen() -> None:
    targets = {to for _, to in rules.TRANSITIONS.values()}
    assert targets | {rules.OPEN} == set(rules.STATES)
    for state in rules.DONE_STATES:
        assert "reopen" in rules.allowed_actions(state)
    assert rules.allowed_actions("closed") == ["reopen"]
    assert rules.allowed_actions("open") == ["start", "wait_customer", "resolve", "close"]


@pytest.mark.parametrize(("kind", "hours", "goal"), [
    ("damaged", 48, "resolve"), ("near_expiry", 48, "resolve"), ("missing", 48, "resolve"),
    ("wrong_item", 48, "resolve"), ("complaint", 24, "solution"), ("pet_health", 24, "solution"),
])
def test_sla_deadline_per_kind(kind: str, hours: int, goal: str) -> None:
    assert rules.sla_deadline(kind, T0) == T0 + timedelta(hours=hours)
    assert rules.sla_goal(kind) == goal


def test_sla_deadline_needs_an_aware_time() -> None:
    with pytest.raises(ValueError, match="aware"):
        rules.sla_deadline("damaged", datetime(2026, 11, 2, 10, 0))  # noqa: DTZ001 - the point of the test


def test_sla_outcome_on_the_deadline_is_met_a_second_later_breached() -> None:
    deadline = rules.sla_deadline("complaint", T0)
    assert rules.sla_outcome(deadline, deadline) == "met"
    assert rules.sla_outcome(deadline, deadline + timedelta(seconds=1)) == "breached"


def test_what_stops_the_clock() -> None:
    assert rules.stops_clock("damaged", "resolve")
    assert rules.stops_clock("complaint", "close")
    assert not rules.stops_clock("complaint", "start")
    assert not rules.stops_clock("damaged", "coupon_sent")
    assert rules.stops_clock("pet_health", "coupon_sent")
    assert rules.stops_clock("pet_health", "pause_proposed")
    assert not rules.stops_clock("pet_health", "wait_customer")


def test_countdown_badges() -> None:
    deadline = T0 + timedelta(hours=48)
    assert rules.countdown(None, T0) is None
    assert rules.countdown(deadline, T0) == rules.Countdown(48 * 3600, "ok")
    assert rules.countdown(deadline, deadline - timedelta(hours=6)).badge == "soon"  # type: ignore[union-attr]
    assert rules.countdown(deadline, deadline + timedelta(minutes=1)).badge == "overdue"  # type: ignore[union-attr]
    assert rules.countdown(deadline, T0, "met").badge == "met"  # type: ignore[union-attr]
    assert rules.format_left(5 * 3600 + 12 * 60 + 30) == "5h 12m"
    assert rules.format_left(-(3600 + 3 * 60)) == "-1h 03m"


@pytest.mark.parametrize(("kind", "value", "ok"), [
    ("percent", 20, True), ("percent", 0, False), ("percent", 91, False), ("amount", 5000, True),
    ("amount", 0, False), ("free", 10, False),
])
def test_coupon_discount(kind: str, value: int, ok: bool) -> None:
    assert rules.coupon_discount_valid(kind, value) is ok
