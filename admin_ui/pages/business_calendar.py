"""Operator pages for the business calendar (``/ops/calendar``): coverage (with a warning when next
year is not covered yet), the overrides of a year, add/edit/delete, the bulk form for a whole year,
confirming a year. Every operator reads; only ``admin`` changes anything."""

from __future__ import annotations

from datetime import date
from typing import Any, Final

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from pawpay.admin_ui.flash import flash
from pawpay.admin_ui.labels import N_
from pawpay.admin_ui.pages._forms import Form
from pawpay.admin_ui.shell import OPS, FieldErrors, Shell, field_errors, is_form_error, redirect
from pawpay.platform.business_calendar import services as calendar
from pawpay.platform.business_calendar.errors import CalendarErrorCode
from pawpay.platform.errors import PawPayError
from pawpay.platform.hooks.types import NavItem
from pawpay.platform.identity.roles import OPS_ADMIN
from pawpay.platform.web.deps import OpsCtx

PATH: Final = "/ops/calendar"
# A year's list is a few dozen lines; the shared form reader caps fields at 1000 characters.
MAX_BULK_CHARS: Final = 20_000

# Service error codes shown as zh-CN field messages (English msgids, translated by the catalogs).
MESSAGES: Final = {
    str(CalendarErrorCode.CALENDAR_DAY_INVALID): N_("enter a date as YYYY-MM-DD"),
    str(CalendarErrorCode.CALENDAR_NOTE_TOO_LONG): N_("The note may be at most 200 characters."),
    str(CalendarErrorCode.CALENDAR_REASON_REQUIRED): N_("Give a reason."),
    str(CalendarErrorCode.CALENDAR_YEAR_INVALID): N_(
        "Choose a year that chinese_calendar does not cover (a later one)."),
    str(CalendarErrorCode.CALENDAR_YEAR_EMPTY): N_("Enter the year's public holidays before confirming it."),
    str(CalendarErrorCode.CALENDAR_BULK_INVALID): N_("Some lines could not be read; nothing was saved."),
    str(CalendarErrorCode.CALENDAR_OVERRIDE_NOT_FOUND): N_("There is no override for this day."),
}
LINE_PROBLEMS: Final = {
    "format": N_("expected: YYYY-MM-DD holiday|workday note"),
    "date": N_("not a valid date"),
    "kind": N_("the kind must be holiday or workday (休 or 班)"),
    "note": N_("the note may be at most 200 characters"),
    "year": N_("the day is not in the chosen year"),
    "duplicate": N_("the day appears twice"),
}
SOURCES: Final = {
    "library": N_("chinese_calendar"),
    "operator": N_("Entered and confirmed by an operator"),
    "none": N_("Not covered"),
}
WEEKDAYS: Final = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))

NAV: dict[str, list[NavItem]] = {"ops": [NavItem(N_("Business calendar"), PATH, frozenset(), order=30)]}


def _errors(exc: PawPayError, rename: dict[str, str] | None = None) -> FieldErrors:
    errors = field_errors(exc, rename)
    message = MESSAGES.get(str(exc.code))
    if message:
        errors = dict.fromkeys(errors, message)
    return errors


def _year(raw: str | None, default: int) -> int:
    try:
        year = int(raw or default)
    except ValueError:
        return default
    return year if 2000 <= year <= 2200 else default


class CalendarPages(Controller):
    path = PATH
    opt = {"auth": "platform"}
    include_in_schema = False

    async def _page(self, shell: Shell, ctx: OpsCtx, *, year: int | None = None, form: dict[str, Any] | None = None,
                    bulk: dict[str, Any] | None = None, errors: FieldErrors | None = None,
                    bulk_lines: list[dict[str, Any]] | None = None, delete_day: str = "",
                    status_code: int = 200) -> Template:
        today = calendar.calendar_today()
        coverage = await calendar.coverage(ctx, today=today)
        default_year = coverage.next_year if not coverage.next_year_covered else today.year
        year = year or _year(shell.request.query_params.get("year"), default_year)
        overrides = await calendar.list_overrides(ctx, year=year)
        editing = None
        edit_day = shell.request.query_params.get("edit")
        if form is None and edit_day:
            editing = next((o for o in overrides if o.day.isoformat() == edit_day), None)
        if form is None:
            form = ({"day": editing.day.isoformat(), "kind": "workday" if editing.is_business_day else "holiday",
                     "note": editing.note} if editing else {"day": "", "kind": "", "note": ""})
        year_row = next((y for y in coverage.years if y.year == year), None)
        return shell.render("business_calendar/calendar.html", {
            "coverage": coverage,
            "year": year,
            "year_row": year_row,
            "year_in_library": coverage.library_first_year <= year <= coverage.library_last_year,
            "year_choices": sorted({y.year for y in coverage.years} | {year}),
            "overrides": overrides,
            "editing": editing,
            "form": form,
            "bulk": bulk or {"year": str(coverage.next_year if not coverage.next_year_covered else year),
                             "lines": "", "confirm": False, "note": ""},
            "bulk_lines": bulk_lines or [],
            "delete_day": delete_day,
            "errors": errors or {},
            "can_edit": OPS_ADMIN in shell.principal.roles,
            "sources": SOURCES,
            "weekdays": WEEKDAYS,
            "line_problems": LINE_PROBLEMS,
        }, status_code=status_code)

    @get("/", name="calendar:page")
    async def page(self, request: Request[Any, Any, Any], ctx: OpsCtx) -> Template:
        shell = await Shell.load(request, OPS)
        return await self._page(shell, ctx)

    @post("/overrides", name="calendar:set", opt={"roles": {OPS_ADMIN}}, status_code=303)
    async def set_override(self, request: Request[Any, Any, Any], ctx: OpsCtx) -> Template | Redirect:
        shell = await Shell.load(request, OPS)
        form = await Form.read(request)
        values = {"day": form.text("day"), "kind": form.text("kind"), "note": form.text("note")}
        errors: FieldErrors = {}
        day: date | None = None
        try:
            day = date.fromisoformat(values["day"])
        except ValueError:
            errors["day"] = MESSAGES[str(CalendarErrorCode.CALENDAR_DAY_INVALID)]
        if values["kind"] not in ("holiday", "workday"):
            errors["kind"] = N_("Choose holiday or working day.")
        if not errors and day is not None:
            try:
                await calendar.set_override(ctx, day, is_business_day=values["kind"] == "workday", note=values["note"])
            except PawPayError as exc:
                if not is_form_error(exc):
                    raise
                errors = _errors(exc)
        if errors or day is None:
            return await self._page(shell, ctx, year=day.year if day else None, form=values, errors=errors,
                                    status_code=422)
        return redirect(f"{PATH}?year={day.year}", flash(N_("Saved %(day)s."), day=day.isoformat()))

    @post("/overrides/{day:date}/delete", name="calendar:delete", opt={"roles": {OPS_ADMIN}}, status_code=303)
    async def delete_override(self, request: Request[Any, Any, Any], ctx: OpsCtx, day: FromPath[date]
                              ) -> Template | Redirect:
        shell = await Shell.load(request, OPS)
        form = await Form.read(request)
        try:
            await calendar.delete_override(ctx, day, reason=form.text("reason"))
        except PawPayError as exc:
            if not is_form_error(exc):
                raise
            return await self._page(shell, ctx, year=day.year, errors={"reason": _errors(exc).popitem()[1]},
                                    delete_day=day.isoformat(), status_code=422)
        return redirect(f"{PATH}?year={day.year}", flash(N_("Deleted the override for %(day)s."),
                                                         day=day.isoformat()))

    @post("/bulk", name="calendar:bulk", opt={"roles": {OPS_ADMIN}}, status_code=303)
    async def bulk(self, request: Request[Any, Any, Any], ctx: OpsCtx) -> Template | Redirect:
        shell = await Shell.load(request, OPS)
        raw = await request.form()
        form = Form([(k, v) for k, v in raw.multi_items() if k != "lines"])
        lines_value = raw.get("lines")
        lines = lines_value if isinstance(lines_value, str) and len(lines_value) <= MAX_BULK_CHARS else ""
        confirm, note = form.flag("confirm"), form.text("note")
        values: dict[str, Any] = {"year": form.text("year"), "lines": lines, "confirm": confirm, "note": note}
        errors: FieldErrors = {}
        bad_lines: list[dict[str, Any]] = []
        year: int | None = None
        try:
            year = int(form.text("year"))
        except ValueError:
            errors["year"] = N_("Enter a year such as 2027.")
        if year is not None:
            try:
                saved = await calendar.set_overrides_bulk(ctx, lines, year=year, confirm_year=confirm,
                                                          note=note)
            except PawPayError as exc:
                if not is_form_error(exc):
                    raise
                errors = _errors(exc, {"year": "bulk_year", "note": "bulk_note"})
                bad_lines = list(exc.data.get("errors") or [])
            else:
                message = (N_("Saved %(count)s days of %(year)s and confirmed the year.") if confirm
                           else N_("Saved %(count)s days of %(year)s."))
                return redirect(f"{PATH}?year={year}", flash(message, count=len(saved), year=year))
        if "year" in errors:
            errors["bulk_year"] = errors.pop("year")
        return await self._page(shell, ctx, year=year if year and 2000 <= year <= 2200 else None, bulk=values,
                                errors=errors, bulk_lines=bad_lines, status_code=422)

    @post("/years/{year:int}/confirm", name="calendar:confirm", opt={"roles": {OPS_ADMIN}}, status_code=303)
    async def confirm(self, request: Request[Any, Any, Any], ctx: OpsCtx, year: FromPath[int]
                      ) -> Template | Redirect:
        shell = await Shell.load(request, OPS)
        form = await Form.read(request)
        try:
            await calendar.confirm_year_complete(ctx, year, note=form.text("note"))
        except PawPayError as exc:
            if not is_form_error(exc):
                raise
            return await self._page(shell, ctx, year=year if 2000 <= year <= 2200 else None,
                                    errors={"confirm": _errors(exc).popitem()[1]}, status_code=422)
        return redirect(f"{PATH}?year={year}", flash(N_("%(year)s is confirmed: its other days follow the weekday "
                                                        "rule."), year=year))

    @post("/years/{year:int}/withdraw", name="calendar:withdraw", opt={"roles": {OPS_ADMIN}}, status_code=303)
    async def withdraw(self, request: Request[Any, Any, Any], ctx: OpsCtx, year: FromPath[int]
                       ) -> Template | Redirect:
        shell = await Shell.load(request, OPS)
        form = await Form.read(request)
        try:
            await calendar.withdraw_year(ctx, year, reason=form.text("reason"))
        except PawPayError as exc:
            if not is_form_error(exc):
                raise
            return await self._page(shell, ctx, year=year if 2000 <= year <= 2200 else None,
                                    errors={"withdraw_reason": _errors(exc).popitem()[1]}, status_code=422)
        return redirect(f"{PATH}?year={year}", flash(N_("The confirmation of %(year)s was withdrawn."), year=year))


ROUTES: list[Any] = [CalendarPages]
