"""``/api/v1/ops/reports``: operators' money report (JSON and CSV)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from litestar import Controller, Response, get
from litestar.params import FromQuery

from pawpay.platform.identity.roles import OPS_ADMIN, OPS_FINANCE
from pawpay.platform.reports import services
from pawpay.platform.reports.schemas import MoneyReportOut
from pawpay.platform.web.deps import OpsCtx
from pawpay.platform.web.schemas import to_schema


class OpsReportsController(Controller):
    path = "/api/v1/ops/reports"
    tags = ["reports"]
    opt = {"auth": "platform", "roles": {OPS_FINANCE, OPS_ADMIN}}

    @get("/money", operation_id="OpsMoneyReport")
    async def money(self, ctx: OpsCtx, since: FromQuery[date], until: FromQuery[date],
                    period: FromQuery[Literal["day", "week", "month"]] = "day",
                    tenant_id: FromQuery[uuid.UUID | None] = None) -> MoneyReportOut:
        report = await services.money_report(ctx, since=since, until=until, period=period, tenant_id=tenant_id)
        return to_schema(report, MoneyReportOut)

    @get("/money.csv", operation_id="OpsMoneyReportCsv")
    async def money_csv(self, ctx: OpsCtx, since: FromQuery[date], until: FromQuery[date],
                        period: FromQuery[Literal["day", "week", "month"]] = "day",
                        tenant_id: FromQuery[uuid.UUID | None] = None) -> Response[bytes]:
        report = await services.money_report(ctx, since=since, until=until, period=period, tenant_id=tenant_id)
        return Response(services.report_csv(report), media_type="text/csv; charset=utf-8", headers={
            "content-disposition": f'attachment; filename="{services.filename(report)}"',
            "cache-control": "private, no-store", "x-content-type-options": "nosniff"})
