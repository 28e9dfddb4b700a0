"""``/api/v1/ops/alerts``: operator alerts (every operator role reads and resolves)."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from litestar import Controller, get, post
from litestar.params import FromPath, FromQuery, JSONBody

from pawpay.platform.alerts import services
from pawpay.platform.alerts.schemas import AlertCountOut, AlertOut, ResolveBody
from pawpay.platform.identity.roles import OPERATOR_ROLES
from pawpay.platform.web.deps import OpsCtx
from pawpay.platform.web.pagination import Page, check_window
from pawpay.platform.web.schemas import to_schema

OPERATORS: Any = {"auth": "platform", "roles": set(OPERATOR_ROLES)}


class AlertController(Controller):
    path = "/api/v1/ops/alerts"
    tags = ["alerts"]
    opt = OPERATORS

    @get("/", operation_id="ListOperatorAlerts")
    async def list_alerts(
        self,
        ctx: OpsCtx,
        status: FromQuery[Literal["open", "resolved"]] = "open",
        kind: FromQuery[str | None] = None,
        tenant_id: FromQuery[uuid.UUID | None] = None,
        limit: FromQuery[int] = 50,
        offset: FromQuery[int] = 0,
    ) -> Page[AlertOut]:
        limit, offset = check_window(limit, offset)
        views, total = await services.list_alerts(ctx, open_only=status == "open", kind=kind, tenant_id=tenant_id,
                                                  limit=limit, offset=offset)
        return Page(items=[to_schema(v, AlertOut) for v in views], total=total, limit=limit, offset=offset)

    @get("/count", operation_id="CountOpenOperatorAlerts")
    async def count(self, ctx: OpsCtx) -> AlertCountOut:
        return AlertCountOut(open=await services.open_alert_count(ctx))

    @get("/{alert_id:uuid}", operation_id="GetOperatorAlert")
    async def get_alert(self, ctx: OpsCtx, alert_id: FromPath[uuid.UUID]) -> AlertOut:
        return to_schema(await services.get_alert(ctx, alert_id), AlertOut)

    @post("/{alert_id:uuid}/resolve", operation_id="ResolveOperatorAlert", status_code=200)
    async def resolve(self, ctx: OpsCtx, alert_id: FromPath[uuid.UUID], data: JSONBody[ResolveBody]) -> AlertOut:
        return to_schema(await services.resolve_alert(ctx, alert_id, reason=data.reason), AlertOut)
