"""``/api/v1/ops/calendar``: coverage and the operator's overrides (any operator reads, admins write)."""

from __future__ import annotations

from datetime import date
from typing import Any

from litestar import Controller, delete, get, put
from litestar.params import FromPath, FromQuery, JSONBody

from pawpay.platform.business_calendar import services
from pawpay.platform.business_calendar.schemas import CoverageOut, OverrideBody, OverrideOut, YearCoverageOut
from pawpay.platform.identity.roles import OPERATOR_ROLES, OPS_ADMIN
from pawpay.platform.web.deps import OpsCtx
from pawpay.platform.web.schemas import to_schema

READERS: Any = {"auth": "platform", "roles": set(OPERATOR_ROLES)}
WRITERS: Any = {"auth": "platform", "roles": {OPS_ADMIN}}


def coverage_out(view: services.CalendarCoverage) -> CoverageOut:
    years = [YearCoverageOut(year=y.year, source=y.source, covered=y.covered, override_count=y.override_count,
                             holiday_count=y.holiday_count, workday_count=y.workday_count,
                             confirmed_by=y.confirmed_by, confirmed_at=y.confirmed_at) for y in view.years]
    return CoverageOut(
        today=view.today, library_first_year=view.library_first_year, library_last_year=view.library_last_year,
        years=years, covered_years=view.covered_years, first_uncovered=view.first_uncovered,
        next_year=view.next_year, next_year_covered=view.next_year_covered, horizon_days=view.horizon_days,
        first_uncovered_within_horizon=view.first_uncovered_within_horizon, warning=view.warning,
    )


class CalendarController(Controller):
    path = "/api/v1/ops/calendar"
    tags = ["business calendar"]

    @get("/coverage", opt=READERS, operation_id="BusinessCalendarCoverage")
    async def coverage(self, ctx: OpsCtx) -> CoverageOut:
        return coverage_out(await services.coverage(ctx, today=services.calendar_today()))

    @get("/overrides", opt=READERS, operation_id="ListBusinessDayOverrides")
    async def list_overrides(self, ctx: OpsCtx, year: FromQuery[int | None] = None) -> list[OverrideOut]:
        return [to_schema(v, OverrideOut) for v in await services.list_overrides(ctx, year=year)]

    @get("/overrides/{day:date}", opt=READERS, operation_id="GetBusinessDayOverride")
    async def get_override(self, ctx: OpsCtx, day: FromPath[date]) -> OverrideOut:
        return to_schema(await services.get_override(ctx, day), OverrideOut)

    @put("/overrides/{day:date}", opt=WRITERS, operation_id="SetBusinessDayOverride")
    async def set_override(self, ctx: OpsCtx, day: FromPath[date], data: JSONBody[OverrideBody]) -> OverrideOut:
        view = await services.set_override(ctx, day, is_business_day=data.is_business_day, note=data.note)
        return to_schema(view, OverrideOut)

    @delete("/overrides/{day:date}", opt=WRITERS, operation_id="DeleteBusinessDayOverride", status_code=204)
    async def delete_override(self, ctx: OpsCtx, day: FromPath[date], reason: FromQuery[str] = "") -> None:
        await services.delete_override(ctx, day, reason=reason)
