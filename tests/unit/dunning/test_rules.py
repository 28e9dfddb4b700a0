"""Dunning rules: ladder timing with quiet hours, forbidden phrases, the penalty and the pro-rata rule."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from pawpay.tenants.dunning import rules

TZ = "Asia/Shanghai"


def bj(y: int, m: int, d: int, h: int, mi: int = 0) -> datetime:
    """A Beijing wall-clock time as aware UTC (UTC+8)."""
    return datetime(y, m, d, h - 8, mi, tzinfo=UTC) if h >= 8 else datetime(y, m, d - 1, h + 16, mi, tzinfo=UTC)


@pytest.mark.parametrize(("hour", "minute", "quiet"), [
    (7, 59, True), (8, 0, False), (12, 0, False), (21, 59, False), (22, 0, True), (23, 30, True), (0, 0, True),
])
def test_quiet_hours_are_22_to_8_store_time(hour: int, minute: int, quiet: bool) -> None:
    assert rules.is_quiet(bj(2026, 12, 10, hour, minute), TZ) is quiet


def test_a_step_in_quiet_hours_moves_to_eight() -> None:
    opened = bj(2026, 12, 10, 23, 15)
    assert rules.step_due_at(opened, 0, TZ) == bj(2026, 12, 11, 8)
    assert rules.step_due_at(opened, 1, TZ) == bj(2026, 12, 12, 8)
    early = bj(2026, 12, 10, 6, 30)
    assert rules.step_due_at(early, 0, TZ) == bj(2026, 12, 10, 8)


def test_step_times_count_days_from_the_failure_and_respect_not_before() -> None:
    opened = bj(2026, 12, 10, 10)
    assert rules.step_due_at(opened, 3, TZ) == bj(2026, 12, 13, 10)
    assert rules.step_due_at(opened, 3, TZ, not_before=bj(2026, 12, 17, 23)) == bj(2026, 12, 18, 8)
    assert rules.step_due_at(opened, 30, TZ) == bj(2027, 1, 9, 10)


def test_the_default_ladder() -> None:
    assert [(s.day_offset, s.action) for s in rules.DEFAULT_LADDER] == [
        (0, "sms"), (0, "mini_program"), (1, "sms"), (3, "task"), (7, "extension_offer"), (30, "escalate")]
    for body in rules.DEFAULT_TEMPLATES.values():
        assert not rules.forbidden_in(body, rules.DEFAULT_FORBIDDEN_PHRASES)


def test_forbidden_phrases_are_found_and_highlighted() -> None:
    text = "再不还款将上报征信并列入黑名单"
    found = rules.forbidden_in(text, rules.DEFAULT_FORBIDDEN_PHRASES)
    assert found[0] == "上报征信"
    assert set(found) == {"上报征信", "征信", "黑名单"}
    assert rules.highlight(text, found) == "再不还款将【上报征信】并列入【黑名单】"
    assert rules.forbidden_in("温馨提醒：请按时支付", rules.DEFAULT_FORBIDDEN_PHRASES) == []
    assert rules.forbidden_in("Call us, LOSER", ["loser"]) == ["loser"]


def test_placeholders() -> None:
    assert rules.unknown_placeholders("{store}{amount}{secret}") == ["secret"]
    assert rules.render("合同{contract_no}第{sequence}期", {"contract_no": "C1", "sequence": "2"}) == "合同C1第2期"


@pytest.mark.parametrize(("remaining", "rate", "penalty"), [
    (357_600, 1000, 35_760), (1_005, 1000, 101), (1_004, 1000, 100), (1_015, 1000, 102), (0, 1000, 0), (999, 0, 0),
])
def test_the_penalty_is_10_percent_rounded_half_up(remaining: int, rate: int, penalty: int) -> None:
    assert rules.penalty_fen(remaining, rate) == penalty


def test_pro_rata_keeps_delivered_periods_and_cancels_the_rest() -> None:
    items = [rules.OpenInstallment(i, date(2027, m, 10), 29_800) for i, m in enumerate((1, 2, 3, 4), start=1)]
    split = rules.pro_rata(items, date(2027, 2, 10))
    assert [i.id for i in split.owed] == [1, 2]
    assert [i.id for i in split.cancelled] == [3, 4]
    assert (split.owed_fen, split.cancelled_fen) == (59_600, 59_600)
    assert rules.pro_rata(items, date(2026, 12, 31)).owed == []


def test_overdue_is_more_than_three_days() -> None:
    assert not rules.is_overdue(date(2027, 1, 10), date(2027, 1, 13))
    assert rules.is_overdue(date(2027, 1, 10), date(2027, 1, 14))


def test_add_months() -> None:
    assert rules.add_months(date(2026, 11, 15), 2) == date(2027, 1, 15)
    assert rules.add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
