"""Request and response bodies of the business calendar's operator API."""

from __future__ import annotations

from datetime import date, datetime

import msgspec


class OverrideBody(msgspec.Struct):
    is_business_day: bool
    note: str = ""


class OverrideOut(msgspec.Struct):
    day: date
    is_business_day: bool
    note: str
    created_by: str
    created_at: datetime


class YearCoverageOut(msgspec.Struct):
    year: int
    source: str
    covered: bool
    override_count: int
    holiday_count: int
    workday_count: int
    confirmed_by: str
    confirmed_at: datetime | None


class CoverageOut(msgspec.Struct):
    today: date
    library_first_year: int
    library_last_year: int
    years: list[YearCoverageOut]
    covered_years: list[int]
    first_uncovered: date | None
    next_year: int
    next_year_covered: bool
    horizon_days: int
    first_uncovered_within_horizon: date | None
    warning: str | None
