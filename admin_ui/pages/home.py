"""The landing pages of both areas: ``/admin`` (store staff) and ``/ops`` (operators)."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.response import Template

from pawpay.admin_ui.shell import ADMIN, OPS, Shell
from pawpay.platform.alerts import services as alerts
from pawpay.platform.business_calendar import services as calendar
from pawpay.platform.tenancy import services as tenancy
from pawpay.platform.web.deps import OpsCtx


@get("/admin", opt={"auth": "tenant"}, name="shell:admin", include_in_schema=False)
async def admin_dashboard(request: Request[Any, Any, Any]) -> Template:
    shell = await Shell.load(request, ADMIN)
    return shell.render("shell/admin_dashboard.html")


@get("/ops", opt={"auth": "platform"}, name="shell:ops", include_in_schema=False)
async def ops_dashboard(request: Request[Any, Any, Any], ctx: OpsCtx) -> Template:
    shell = await Shell.load(request, OPS)
    _, store_count = await tenancy.list_tenants(ctx, limit=1)
    return shell.render("shell/ops_dashboard.html", {
        "store_count": store_count,
        "open_alerts": await alerts.open_alert_count(ctx),
        "calendar": await calendar.coverage(ctx, today=calendar.calendar_today()),
    })
