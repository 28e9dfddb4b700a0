"""The business calendar's tables: operator overrides and operator-confirmed years.

Public reference data, not tenant data: every scope (a store's, the platform's, none) may read
them, only the platform scope may write them (see the raw migration).
"""

from __future__ import annotations

from piccolo.columns import Boolean, Date, Integer, Timestamptz, Varchar
from piccolo.columns.column_types import UUID
from piccolo.columns.defaults.uuid import UUID4
from piccolo.constraints import Unique
from piccolo.table import Table


class BusinessDayOverride(Table):
    """One day whose classification the operator sets: wins over chinese_calendar."""

    id = UUID(primary_key=True, default=UUID4())
    day = Date()
    is_business_day = Boolean(default=False)
    note = Varchar(length=200, default="")
    created_by = Varchar(length=255, default="")
    created_at = Timestamptz()

    business_day_override_uq_day = Unique([day])


class BusinessCalendarYear(Table):
    """A year past chinese_calendar's data whose holiday list the operator has entered in full.

    Only for such a year do the days without an override follow the weekday rule; before the
    operator confirms it, those days cannot be classified (and releases wait).
    """

    id = UUID(primary_key=True, default=UUID4())
    year = Integer()
    note = Varchar(length=200, default="")
    confirmed_by = Varchar(length=255, default="")
    confirmed_at = Timestamptz()

    business_calendar_year_uq_year = Unique([year])
