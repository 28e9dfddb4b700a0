"""Pure classification of days (no I/O): operator overrides, then chinese_calendar, then nothing.

A day is a business day when banks and the licensed providers work: a mainland-China working day
(weekdays, minus public holidays, plus the make-up working days 调休 on weekends). The order:

1. an operator override for the day wins;
2. otherwise chinese_calendar, for the years its data covers;
3. otherwise, in a year the operator has *confirmed* (entered its holidays and make-up working days
   in full), the weekday rule: Monday to Friday;
4. otherwise the day cannot be classified and :class:`CalendarNotCovered` is raised. Never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import Final

import chinese_calendar

from pawpay.platform.business_calendar.errors import CalendarErrorCode, CalendarNotCovered, code
from pawpay.platform.errors import ValidationFailed

NOTE_MAX_LENGTH: Final = 200
# Years the library could ever be asked about; outside them nothing is covered at all.
_PROBE_FIRST, _PROBE_LAST = 1990, 2200


@cache
def library_years() -> tuple[int, int]:
    """The first and last year chinese_calendar has data for (2004..2026 in 1.11)."""
    years = [y for y in range(_PROBE_FIRST, _PROBE_LAST) if _library_covers_year(y)]
    if not years:  # pragma: no cover - the dependency is pinned with data
        raise RuntimeError("chinese_calendar has no data at all")
    return years[0], years[-1]


def _library_covers_year(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def library_covers(day: date) -> bool:
    first, last = library_years()
    return first <= day.year <= last


def classify(day: date, overrides: Mapping[date, bool], confirmed_years: Collection[int] = ()) -> bool:
    """Whether ``day`` is a business day.

    Args:
        day: the calendar day (a store-local date).
        overrides: the operator's overrides (day -> is_business_day) for at least ``day``.
        confirmed_years: years past the library's data whose holidays the operator entered in full.

    Raises:
        CalendarNotCovered: nothing classifies the day.
    """
    if day in overrides:
        return overrides[day]
    if library_covers(day):
        return bool(chinese_calendar.is_workday(day))
    if day.year in confirmed_years:
        return day.weekday() < 5
    raise CalendarNotCovered(day)


def is_classifiable(day: date, overrides: Mapping[date, bool], confirmed_years: Collection[int] = ()) -> bool:
    return day in overrides or library_covers(day) or day.year in confirmed_years


def add_business_days(start: date, n: int, overrides: Mapping[date, bool],
                      confirmed_years: Collection[int] = ()) -> date:
    """The ``n``-th business day strictly after ``start`` (``overrides`` must cover the span)."""
    if n < 1:
        raise ValueError("n must be at least 1")
    day, found = start, 0
    while found < n:
        day += timedelta(days=1)
        if classify(day, overrides, confirmed_years):
            found += 1
    return day


def first_unclassifiable(start: date, end: date, overrides: Mapping[date, bool],
                         confirmed_years: Collection[int] = ()) -> date | None:
    """The first day in ``[start, end]`` nothing classifies, or None."""
    day = start
    while day <= end:
        if not is_classifiable(day, overrides, confirmed_years):
            return day
        day += timedelta(days=1)
    return None


# --- operator input ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OverrideLine:
    day: date
    is_business_day: bool
    note: str


_KINDS: Final = {
    "holiday": False, "off": False, "休": False, "休息": False, "假": False, "放假": False,
    "workday": True, "work": True, "班": True, "上班": True, "调休上班": True,
}
_LINE = re.compile(r"^(\d{4}-\d{2}-\d{2})\s+(\S+)(?:\s+(.*))?$")


def parse_day(value: str, *, field: str = "day") -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationFailed(f"not a date (YYYY-MM-DD): {value!r}",
                               code=code(CalendarErrorCode.CALENDAR_DAY_INVALID), field=field) from None


def check_note(note: str, *, field: str = "note") -> str:
    note = note.strip()
    if len(note) > NOTE_MAX_LENGTH:
        raise ValidationFailed(f"the note is longer than {NOTE_MAX_LENGTH} characters",
                               code=code(CalendarErrorCode.CALENDAR_NOTE_TOO_LONG), field=field)
    return note


def check_year(year: int, *, field: str = "year") -> int:
    if not 2000 <= year <= 2200:
        raise ValidationFailed(f"not a plausible year: {year}", code=code(CalendarErrorCode.CALENDAR_YEAR_INVALID),
                               field=field)
    return year


def parse_bulk(text: str, *, year: int | None = None) -> list[OverrideLine]:
    """Parse pasted lines ``YYYY-MM-DD holiday|workday note`` (blank lines and ``#`` comments skipped).

    All or nothing: every bad line is reported (``data["errors"]``: line number and problem) and
    nothing is returned. With ``year``, every day must fall in it.

    Raises:
        ValidationFailed: ``CALENDAR_BULK_INVALID`` with ``field="lines"``.
    """
    result: list[OverrideLine] = []
    errors: list[dict[str, object]] = []
    seen: dict[date, int] = {}
    for number, raw_line in enumerate(text.splitlines(), start=1):
        line = raw_line.strip()
        if not line or line.startswith("#"):
            continue
        match = _LINE.match(line)
        if match is None:
            errors.append({"line": number, "problem": "format", "text": line})
            continue
        try:
            day = date.fromisoformat(match.group(1))
        except ValueError:
            errors.append({"line": number, "problem": "date", "text": line})
            continue
        kind = _KINDS.get(match.group(2).lower())
        if kind is None:
            errors.append({"line": number, "problem": "kind", "text": line})
            continue
        note = (match.group(3) or "").strip()
        if len(note) > NOTE_MAX_LENGTH:
            errors.append({"line": number, "problem": "note", "text": line})
            continue
        if year is not None and day.year != year:
            errors.append({"line": number, "problem": "year", "text": line})
            continue
        if day in seen:
            errors.append({"line": number, "problem": "duplicate", "text": line, "first_line": seen[day]})
            continue
        seen[day] = number
        result.append(OverrideLine(day, kind, note))
    if errors:
        raise ValidationFailed(f"{len(errors)} line(s) could not be read; nothing was saved",
                               code=code(CalendarErrorCode.CALENDAR_BULK_INVALID), field="lines", errors=errors)
    if not result:
        raise ValidationFailed("no lines to save", code=code(CalendarErrorCode.CALENDAR_BULK_INVALID), field="lines",
                               errors=[])
    return result
