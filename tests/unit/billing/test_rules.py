"""Billing's pure rules: the debit moment, the rail's allowed hours, quiet hours, fees and points."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from pawpay.platform.hooks import RailLimits
from pawpay.tenants.billing.services import (
    after_quiet,
    attempt_id_for,
    debit_moment,
    fee_for,
    next_allowed,
    points_for,
)

SH = ZoneInfo("Asia/Shanghai")
WECHAT = RailLimits(allowed_hours=(time(7, 0), time(22, 0)), time_zone="Asia/Shanghai")


def test_the_debit_moment_is_the_store_morning_inside_the_rails_hours() -> None:
    assert debit_moment(date(2026, 12, 10), "Asia/Shanghai", WECHAT) == datetime(2026, 12, 10, 8, 0, tzinfo=SH)
    late = RailLimits(allowed_hours=(time(10, 0), time(20, 0)), time_zone="Asia/Shanghai")
    assert debit_moment(date(2026, 12, 10), "Asia/Shanghai", late) == datetime(2026, 12, 10, 10, 0, tzinfo=SH)
    assert debit_moment(date(2026, 12, 10), "Asia/Shanghai", RailLimits()) == datetime(2026, 12, 10, 9, 0,
                                                                                        tzinfo=SH)


def test_next_allowed_moves_into_the_window() -> None:
    assert next_allowed(WECHAT, datetime(2026, 12, 10, 23, 30, tzinfo=SH)) == datetime(2026, 12, 11, 7, 0, tzinfo=SH)
    assert next_allowed(WECHAT, datetime(2026, 12, 10, 6, 59, tzinfo=SH)) == datetime(2026, 12, 10, 7, 0, tzinfo=SH)
    inside = datetime(2026, 12, 10, 12, 0, tzinfo=SH)
    assert next_allowed(WECHAT, inside) == inside
    assert next_allowed(RailLimits(), datetime(2026, 12, 10, 3, 0, tzinfo=SH)).hour == 3


def test_after_quiet_is_the_next_8_am() -> None:
    assert after_quiet(datetime(2026, 12, 10, 22, 30, tzinfo=SH), "Asia/Shanghai") == datetime(
        2026, 12, 11, 8, 0, tzinfo=SH)
    assert after_quiet(datetime(2026, 12, 10, 3, 0, tzinfo=SH), "Asia/Shanghai") == datetime(
        2026, 12, 10, 8, 0, tzinfo=SH)


def test_fee_rounds_down_and_points_are_whole_yuan() -> None:
    assert fee_for(29_800, 300) == 894
    assert fee_for(29_899, 300) == 896  # 896.97 rounded down
    assert fee_for(100, 0) == 0
    assert points_for(29_899) == 298
    assert points_for(99) == 0


def test_attempt_ids_derive_from_the_installment_and_number() -> None:
    import uuid

    installment = uuid.UUID("12345678-1234-5678-1234-567812345678")
    assert attempt_id_for(installment, 2) == "dbt-12345678123456781234567812345678-2"
    assert len(attempt_id_for(installment, 99)) <= 64
