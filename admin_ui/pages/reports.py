"""Operator reports (``/ops/reports``): platform fee income, releases, deposits and advances by
store and period (day, week, month) over a date range, with totals and a CSV download."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.response import Template

from pawpay.admin_ui.labels import N_
from pawpay.admin_ui.pages._forms import parse_date
from pawpay.admin_ui.shell import OPS, FieldErrors, Shell, field_errors, is_form_error
from pawpay.platform.clock import utcnow
from pawpay.platform.errors import PawPayError
from pawpay.platform.hooks.types import NavItem
from pawpay.platform.identity.roles import OPERATOR_ROLES
from pawpay.platform.reports import services as reports
from pawpay.platform.web.deps import OpsCtx

PERIOD_LABELS = {"day": N_("Day"), "week": N_("Week"), "month": N_("Month")}
COLUMN_LABELS = {
    "fee_income_fen": N_("Platform fee income"),
    "released_fen": N_("Released"),
    "refunds_fen": N_("Refunds"),
    "deposit_withheld_fen": N_("Deposit withheld"),
    "deposit_released_fen": N_("Deposit released"),
    "advances_funded_fen": N_("Advances paid"),
    "advances_repaid_fen": N_("Advances repaid"),
    "advances_defaulted_fen": N_("Advances defaulted"),
}
SERVICE_MESSAGES = (
    N_("the period is day, week or month"),
    N_("the start is after the end"),
    N_("at most three years at a time"),
)


def _query(request: Request[Any, Any, Any], errors: FieldErrors) -> tuple[date, date, str]:
    today = (utcnow() + timedelta(hours=8)).date()  # the form's default range: this month, Beijing time
    since = parse_date(request.query_params.get("since"), "since", errors) or today.replace(day=1)
    until = parse_date(request.query_params.get("until"), "until", errors) or today
    period = request.query_params.get("period") or "day"
    if period not in PERIOD_LABELS:
        errors["period"] = N_("the period is day, week or month")
        period = "day"
    return since, until, period


class OpsReportPages(Controller):
    path = "/ops/reports"
    opt = {"auth": "platform", "roles": set(OPERATOR_ROLES)}
    include_in_schema = False

    @get("/", name="reports:ops")
    async def report(self, request: Request[Any, Any, Any], ctx: OpsCtx) -> Template:
        shell = await Shell.load(request, OPS)
        errors: FieldErrors = {}
        since, until, period = _query(request, errors)
        report = None
        if not errors:
            try:
                report = await reports.money_report(ctx, since=since, until=until, period=period)
            except PawPayError as exc:
                if not is_form_error(exc):
                    raise
                errors = field_errors(exc)
        return shell.render("reports/ops.html", {
            "report": report, "since": since, "until": until, "period": period, "periods": PERIOD_LABELS,
            "columns": COLUMN_LABELS, "errors": errors,
            "csv": f"/ops/reports/money.csv?since={since.isoformat()}&until={until.isoformat()}&period={period}",
        }, status_code=422 if errors else 200)

    @get("/money.csv", name="reports:ops_csv")
    async def csv(self, request: Request[Any, Any, Any], ctx: OpsCtx) -> Response[bytes]:
        errors: FieldErrors = {}
        since, until, period = _query(request, errors)
        report = await reports.money_report(ctx, since=since, until=until, period=period)
        return Response(reports.report_csv(report), media_type="text/csv; charset=utf-8", headers={
            "content-disposition": f'attachment; filename="{reports.filename(report)}"',
            "cache-control": "private, no-store", "x-content-type-options": "nosniff"})


ROUTES: list[Any] = [OpsReportPages]
NAV: dict[str, list[NavItem]] = {OPS: [NavItem(label=N_("Reports"), path="/ops/reports", order=43)]}
