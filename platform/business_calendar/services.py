"""The business calendar: whether a day is a mainland-China business day, and the operator's
overrides that extend chinese_calendar past its data (next year's holidays are published each
November).

Callers in any scope (a store's job inside ``tenant_scope``, the operator console inside
``platform_scope``, or none at all) ask::

    from pawpay.platform.business_calendar import services as calendar

    if await calendar.is_business_day(day): ...
    release_on = await calendar.add_business_days(settled_on, 1)   # T+1; raises CalendarNotCovered

A day nothing classifies raises :class:`CalendarNotCovered` (never guessed): the caller waits and
the daily coverage job alerts the operator. There is no cache: a span's overrides are one indexed
query, and an operator's edit is visible to the next call.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from pawpay.platform.alerts import services as alerts
from pawpay.platform.audit.services import record
from pawpay.platform.business_calendar import rules
from pawpay.platform.business_calendar.errors import CalendarErrorCode, code
from pawpay.platform.business_calendar.tables import BusinessCalendarYear, BusinessDayOverride
from pawpay.platform.clock import utcnow
from pawpay.platform.errors import NotFound, PermissionDenied, ValidationFailed
from pawpay.platform.identity.roles import OPS_ADMIN
from pawpay.platform.tenancy.context import PlatformContext
from pawpay.platform.tenancy.scope import after_commit, anonymous_scope, current_tenant_id, in_scope, platform_scope

# The daily job alerts when a day within this many days cannot be classified.
ALERT_HORIZON_DAYS: Final = 60
# How far ahead the coverage panel looks for the first day nothing classifies.
COVERAGE_LOOKAHEAD_DAYS: Final = 3 * 366


@dataclass(frozen=True, slots=True)
class OverrideView:
    day: date
    is_business_day: bool
    note: str
    created_by: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class YearCoverage:
    year: int
    source: str  # "library" (chinese_calendar), "operator" (confirmed in /ops) or "none"
    override_count: int
    holiday_count: int  # overrides that make a day a non-business day
    workday_count: int  # overrides that make a day a business day (e.g. 调休 make-up days)
    confirmed_by: str
    confirmed_at: datetime | None

    @property
    def covered(self) -> bool:
        return self.source != "none"


@dataclass(frozen=True, slots=True)
class CalendarCoverage:
    today: date
    library_first_year: int
    library_last_year: int
    years: list[YearCoverage]
    covered_years: list[int]
    first_uncovered: date | None
    next_year: int
    next_year_covered: bool
    horizon_days: int
    first_uncovered_within_horizon: date | None
    warning: str | None


# --- reading (any scope) -------------------------------------------------------------------------


@asynccontextmanager
async def _reading() -> AsyncIterator[None]:
    # Join the caller's scope (tenant, platform or anonymous); outside any, open an anonymous one:
    # the tables are readable in every scope.
    if in_scope():
        yield
        return
    async with anonymous_scope():
        yield


async def _load(start: date, end: date) -> tuple[dict[date, bool], set[int]]:
    """Overrides for ``[start, end]`` and the confirmed years among those the span touches."""
    async with _reading():
        rows = await BusinessDayOverride.select(BusinessDayOverride.day, BusinessDayOverride.is_business_day).where(
            (BusinessDayOverride.day >= start) & (BusinessDayOverride.day <= end)
        )
        years = await BusinessCalendarYear.select(BusinessCalendarYear.year).where(
            (BusinessCalendarYear.year >= start.year) & (BusinessCalendarYear.year <= end.year)
        )
    return {r["day"]: bool(r["is_business_day"]) for r in rows}, {int(r["year"]) for r in years}


async def is_business_day(day: date) -> bool:
    """Whether ``day`` is a business day. Raises CalendarNotCovered if nothing classifies it."""
    overrides, years = await _load(day, day)
    return rules.classify(day, overrides, years)


async def add_business_days(start: date, n: int) -> date:
    """The ``n``-th business day strictly after ``start`` (n >= 1).

    T+1 of a Friday is the next Monday (unless it is a holiday); of the day before a holiday, the
    first business day after it. Raises CalendarNotCovered on the first day on the way that
    nothing classifies.
    """
    if n < 1:
        raise ValueError("n must be at least 1")
    found, day = 0, start
    window = 2 * n + 30
    while True:
        end = day + timedelta(days=window)
        overrides, years = await _load(day + timedelta(days=1), end)
        while day < end:
            day += timedelta(days=1)
            if rules.classify(day, overrides, years):
                found += 1
                if found == n:
                    return day
        window *= 2  # a very long holiday: look further


async def business_days_between(start: date, end: date) -> int:
    """How many business days ``d`` have ``start < d <= end`` (0 when ``end <= start``)."""
    if end <= start:
        return 0
    overrides, years = await _load(start + timedelta(days=1), end)
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        if rules.classify(day, overrides, years):
            count += 1
    return count


async def first_unclassifiable(start: date, days: int) -> date | None:
    """The first day in ``[start, start + days]`` nothing classifies, or None."""
    end = start + timedelta(days=days)
    overrides, years = await _load(start, end)
    return rules.first_unclassifiable(start, end, overrides, years)


CALENDAR_TIME_ZONE: Final = ZoneInfo("Asia/Shanghai")
COVERAGE_ALERT_KIND: Final = "calendar.coverage"
_JOB_CTX: Final = PlatformContext(actor_label="job:check_calendar_coverage")


def calendar_today() -> date:
    """Today in mainland China (the calendar's own time zone), by the platform clock."""
    return utcnow().astimezone(CALENDAR_TIME_ZONE).date()


def coverage_alert_key(year: int) -> str:
    return f"calendar.coverage.{year}"


async def check_coverage(now: datetime) -> date | None:
    """The daily job's body: alert (key ``calendar.coverage.<year>``) when a day within the next
    :data:`ALERT_HORIZON_DAYS` days cannot be classified; once covered, resolve those alerts.

    Returns the first such day, or None.
    """
    today = now.astimezone(CALENDAR_TIME_ZONE).date()
    first = await first_unclassifiable(today, ALERT_HORIZON_DAYS)
    if first is None:
        for year in (today.year, today.year + 1):
            await alerts.resolve_open(_JOB_CTX, key=coverage_alert_key(year),
                                      reason="covered now: the business calendar classifies every day ahead")
        return None
    await alerts.raise_alert(
        _JOB_CTX, key=coverage_alert_key(first.year), kind=COVERAGE_ALERT_KIND,
        message=(f"The business calendar cannot classify {first.isoformat()} (within {ALERT_HORIZON_DAYS} days): "
                 f"enter {first.year}'s public holidays and make-up working days in /ops/calendar and confirm the "
                 "year. Releases due on unclassified days wait until then."),
        data={"first_uncovered": first.isoformat(), "year": first.year},
    )
    return first


async def alert_not_covered(day: date) -> None:
    """Tell the operator that ``day`` could not be classified (call it where CalendarNotCovered
    made something wait). Raises (or refreshes) the alert ``calendar.coverage.<year>``.

    From a store's scope the alert cannot be written in the same transaction (alerts are platform
    data), so it is raised once that transaction commits; the daily coverage job raises it anyway
    for any day within the next 60 days.
    """
    async def _raise() -> None:
        await alerts.raise_alert(
            _JOB_CTX, key=coverage_alert_key(day.year), kind=COVERAGE_ALERT_KIND,
            message=(f"The business calendar cannot classify {day.isoformat()}: enter {day.year}'s public holidays "
                     "and make-up working days in /ops/calendar and confirm the year. Releases due on "
                     "unclassified days wait until then."),
            data={"first_uncovered": day.isoformat(), "year": day.year},
        )

    if current_tenant_id() is not None:
        after_commit(_raise)
    else:
        await _raise()


# --- the operator ---------------------------------------------------------------------------------


def _require_admin(ctx: PlatformContext) -> None:
    if not ctx.has_any_role(OPS_ADMIN):
        raise PermissionDenied("only an operator administrator may change the business calendar")


def _actor(ctx: PlatformContext) -> str:
    return ctx.actor_label or (str(ctx.actor_id) if ctx.actor_id else "platform")


def _view(row: dict[str, Any]) -> OverrideView:
    return OverrideView(row["day"], bool(row["is_business_day"]), row["note"], row["created_by"], row["created_at"])


def _plain(view: OverrideView) -> dict[str, Any]:
    return {"day": view.day.isoformat(), "is_business_day": view.is_business_day, "note": view.note}


async def coverage(ctx: PlatformContext, *, today: date) -> CalendarCoverage:
    """What the calendar can classify from ``today`` on, per year, with a warning when next year
    (or a day within the alert horizon) is not covered."""
    first_lib, last_lib = rules.library_years()
    async with platform_scope("business calendar coverage", ctx):
        counts = await BusinessDayOverride.raw(
            "SELECT EXTRACT(YEAR FROM day)::int AS year, COUNT(*) AS total, "
            "COUNT(*) FILTER (WHERE is_business_day) AS workdays FROM business_day_override GROUP BY 1"
        )
        confirmed = await BusinessCalendarYear.select()
    by_year = {int(r["year"]): r for r in counts}
    confirmed_by_year = {int(r["year"]): r for r in confirmed}
    shown = {today.year - 1, today.year, today.year + 1} | set(by_year) | set(confirmed_by_year)
    years = []
    for year in sorted(shown):
        c = by_year.get(year)
        conf = confirmed_by_year.get(year)
        source = "library" if first_lib <= year <= last_lib else "operator" if conf else "none"
        total = int(c["total"]) if c else 0
        workdays = int(c["workdays"]) if c else 0
        years.append(YearCoverage(year, source, total, total - workdays, workdays,
                                  conf["confirmed_by"] if conf else "", conf["confirmed_at"] if conf else None))
    first_uncovered = await first_unclassifiable(today, COVERAGE_LOOKAHEAD_DAYS)
    within = first_uncovered if first_uncovered and first_uncovered <= today + timedelta(
        days=ALERT_HORIZON_DAYS) else None
    next_year = today.year + 1
    next_covered = first_lib <= next_year <= last_lib or next_year in confirmed_by_year
    warning = None
    if not next_covered:
        warning = (f"{next_year} is not covered: enter {next_year}'s public holidays and make-up working days, "
                   f"then confirm the year. Until then no day in {next_year} can be classified and releases "
                   "due then will wait.")
    covered = sorted(set(range(first_lib, last_lib + 1)) | set(confirmed_by_year))
    return CalendarCoverage(today, first_lib, last_lib, years, covered, first_uncovered, next_year, next_covered,
                            ALERT_HORIZON_DAYS, within, warning)


async def list_overrides(ctx: PlatformContext, *, year: int | None = None) -> list[OverrideView]:
    """The operator's overrides, by day (one year's, or all)."""
    async with platform_scope("business calendar overrides", ctx):
        query = BusinessDayOverride.select().order_by(BusinessDayOverride.day)
        if year is not None:
            query = query.where((BusinessDayOverride.day >= date(year, 1, 1))
                                & (BusinessDayOverride.day <= date(year, 12, 31)))
        return [_view(r) for r in await query]


async def get_override(ctx: PlatformContext, day: date) -> OverrideView:
    async with platform_scope("business calendar override", ctx):
        row = await BusinessDayOverride.select().where(BusinessDayOverride.day == day).first()
    if row is None:
        raise NotFound(f"no override for {day.isoformat()}", code=code(CalendarErrorCode.CALENDAR_OVERRIDE_NOT_FOUND))
    return _view(row)


async def _upsert(ctx: PlatformContext, day: date, is_business_day: bool, note: str) -> tuple[
        OverrideView | None, OverrideView]:
    existing = await BusinessDayOverride.select().where(BusinessDayOverride.day == day).lock_rows("UPDATE").first()
    now, actor = utcnow(), _actor(ctx)
    values: dict[Any, Any] = {BusinessDayOverride.is_business_day: is_business_day, BusinessDayOverride.note: note,
              BusinessDayOverride.created_by: actor, BusinessDayOverride.created_at: now}
    if existing is None:
        await BusinessDayOverride.insert(BusinessDayOverride(
            day=day, is_business_day=is_business_day, note=note, created_by=actor, created_at=now,
        )).on_conflict(target=BusinessDayOverride.day, action="DO UPDATE", values=list(values))
    else:
        await BusinessDayOverride.update(values).where(BusinessDayOverride.day == day)
    return (_view(existing) if existing else None), OverrideView(day, is_business_day, note, actor, now)


async def set_override(ctx: PlatformContext, day: date, *, is_business_day: bool, note: str = "") -> OverrideView:
    """Make ``day`` a business day or not, whatever chinese_calendar says (an edit replaces the
    previous override; ``created_by``/``created_at`` then name who set the current value). Audited."""
    _require_admin(ctx)
    note = rules.check_note(note)
    async with platform_scope("business calendar: set override", ctx):
        before, after = await _upsert(ctx, day, is_business_day, note)
        await record(ctx, "business_calendar.override_set", target_type="business_day", target_id=day.isoformat(),
                     before=_plain(before) if before else None, after=_plain(after))
    return after


async def set_overrides_bulk(ctx: PlatformContext, text: str, *, year: int, confirm_year: bool = False,
                             note: str = "") -> list[OverrideView]:
    """Enter a year's holidays and make-up working days at once from pasted lines
    (``YYYY-MM-DD holiday|workday note``); all or nothing. With ``confirm_year`` the year is also
    marked complete (its other days follow the weekday rule). Audited (one entry)."""
    _require_admin(ctx)
    rules.check_year(year)
    lines = rules.parse_bulk(text, year=year)
    async with platform_scope("business calendar: bulk overrides", ctx):
        saved = []
        for line in lines:
            _, after = await _upsert(ctx, line.day, line.is_business_day, line.note)
            saved.append(after)
        await record(ctx, "business_calendar.overrides_bulk_set", target_type="business_year", target_id=str(year),
                     after={"overrides": [_plain(v) for v in saved], "confirm_year": confirm_year})
        if confirm_year:
            await confirm_year_complete(ctx, year, note=note)
    return saved


async def delete_override(ctx: PlatformContext, day: date, *, reason: str) -> None:
    """Remove the override for ``day`` (chinese_calendar, or nothing, classifies it again). Audited."""
    _require_admin(ctx)
    reason = reason.strip()
    if not reason:
        raise ValidationFailed("a reason is required", code=code(CalendarErrorCode.CALENDAR_REASON_REQUIRED),
                               field="reason")
    async with platform_scope("business calendar: delete override", ctx):
        row = await BusinessDayOverride.select().where(BusinessDayOverride.day == day).lock_rows("UPDATE").first()
        if row is None:
            raise NotFound(f"no override for {day.isoformat()}",
                           code=code(CalendarErrorCode.CALENDAR_OVERRIDE_NOT_FOUND))
        await BusinessDayOverride.delete().where(BusinessDayOverride.day == day)
        await record(ctx, "business_calendar.override_deleted", target_type="business_day",
                     target_id=day.isoformat(), before=_plain(_view(row)), after={"reason": reason})


async def confirm_year_complete(ctx: PlatformContext, year: int, *, note: str = "") -> None:
    """Mark ``year``'s holidays and make-up working days as entered in full: its days without an
    override then follow the weekday rule. Only for years past chinese_calendar's data, and only
    once at least one of its holidays is entered. Audited."""
    _require_admin(ctx)
    rules.check_year(year)
    note = rules.check_note(note)
    first_lib, last_lib = rules.library_years()
    if first_lib <= year <= last_lib:
        raise ValidationFailed(f"{year} is covered by chinese_calendar already",
                               code=code(CalendarErrorCode.CALENDAR_YEAR_INVALID), field="year")
    async with platform_scope("business calendar: confirm year", ctx):
        # Every year has public holidays: confirming one without any would make the weekday rule
        # classify its holidays as business days, which is exactly the guess this calendar refuses.
        holidays = await BusinessDayOverride.count().where(
            (BusinessDayOverride.day >= date(year, 1, 1)) & (BusinessDayOverride.day <= date(year, 12, 31))
            & (BusinessDayOverride.is_business_day == False)  # noqa: E712 - a SQL comparison
        )
        if not holidays:
            raise ValidationFailed(f"enter {year}'s public holidays before confirming the year",
                                   code=code(CalendarErrorCode.CALENDAR_YEAR_EMPTY), field="year")
        await BusinessCalendarYear.insert(BusinessCalendarYear(
            year=year, note=note, confirmed_by=_actor(ctx), confirmed_at=utcnow(),
        )).on_conflict(target=BusinessCalendarYear.year, action="DO NOTHING")
        await record(ctx, "business_calendar.year_confirmed", target_type="business_year", target_id=str(year),
                     after={"year": year, "note": note})


async def withdraw_year(ctx: PlatformContext, year: int, *, reason: str) -> None:
    """Undo :func:`confirm_year_complete` (e.g. the list turned out incomplete). Audited."""
    _require_admin(ctx)
    reason = reason.strip()
    if not reason:
        raise ValidationFailed("a reason is required", code=code(CalendarErrorCode.CALENDAR_REASON_REQUIRED),
                               field="reason")
    async with platform_scope("business calendar: withdraw year", ctx):
        row = await BusinessCalendarYear.select().where(BusinessCalendarYear.year == year).first()
        if row is None:
            raise NotFound(f"{year} is not confirmed", code=code(CalendarErrorCode.CALENDAR_OVERRIDE_NOT_FOUND))
        await BusinessCalendarYear.delete().where(BusinessCalendarYear.year == year)
        await record(ctx, "business_calendar.year_withdrawn", target_type="business_year", target_id=str(year),
                     before={"year": year, "note": row["note"]}, after={"reason": reason})
