"""The business calendar's stable error codes (public API once shipped: add new ones, never rename)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Any, cast

from pawpay.platform.errors import BusinessRuleViolation, ErrorCode


class CalendarErrorCode(StrEnum):
    CALENDAR_NOT_COVERED = "CALENDAR_NOT_COVERED"
    CALENDAR_OVERRIDE_NOT_FOUND = "CALENDAR_OVERRIDE_NOT_FOUND"
    CALENDAR_BULK_INVALID = "CALENDAR_BULK_INVALID"
    CALENDAR_DAY_INVALID = "CALENDAR_DAY_INVALID"
    CALENDAR_NOTE_TOO_LONG = "CALENDAR_NOTE_TOO_LONG"
    CALENDAR_REASON_REQUIRED = "CALENDAR_REASON_REQUIRED"
    CALENDAR_YEAR_INVALID = "CALENDAR_YEAR_INVALID"
    CALENDAR_YEAR_EMPTY = "CALENDAR_YEAR_EMPTY"


def code(value: CalendarErrorCode) -> ErrorCode:
    # PawPayError types ``code`` as the platform's enum; both are str enums rendered with str().
    return cast(ErrorCode, value)


class CalendarNotCovered(BusinessRuleViolation):
    """Neither chinese_calendar nor the operator's overrides classify ``day`` (422).

    Never guessed: whatever needed the answer (a release date) waits, and the operator is alerted.
    """

    def __init__(self, day: date, **data: Any) -> None:
        super().__init__(
            f"{day.isoformat()} cannot be classified as a business day: enter {day.year}'s holidays and "
            "make-up working days in /ops/calendar",
            code=code(CalendarErrorCode.CALENDAR_NOT_COVERED), day=day.isoformat(), **data,
        )
        self.day = day
