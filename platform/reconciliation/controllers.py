"""``/api/v1/reconciliation`` (a store's runs and differences) and ``/api/v1/ops/reconciliation``
(operators: every store's runs, open differences, run a day, resolve a difference)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from litestar import Controller, get, post
from litestar.params import FromPath, FromQuery, JSONBody

from pawpay.platform.identity.roles import FINANCE, MANAGER, OPS_ADMIN, OPS_FINANCE
from pawpay.platform.reconciliation import services
from pawpay.platform.reconciliation.schemas import DifferenceOut, ReconRunOut, ResolveBody, RunOutcomeOut
from pawpay.platform.web.deps import OpsCtx, TenantCtx
from pawpay.platform.web.pagination import Page, check_window
from pawpay.platform.web.schemas import to_schema


class ReconciliationController(Controller):
    path = "/api/v1/reconciliation"
    tags = ["reconciliation"]
    opt = {"auth": "tenant", "roles": {MANAGER, FINANCE}}

    @get("/runs", operation_id="ListReconciliationRuns")
    async def runs(self, ctx: TenantCtx, limit: FromQuery[int] = 50,
                   offset: FromQuery[int] = 0) -> Page[ReconRunOut]:
        limit, offset = check_window(limit, offset)
        views, total = await services.store_runs(ctx, limit=limit, offset=offset)
        return Page(items=[to_schema(v, ReconRunOut) for v in views], total=total, limit=limit, offset=offset)

    @get("/differences", operation_id="ListReconciliationDifferences")
    async def differences(self, ctx: TenantCtx, day: FromQuery[date | None] = None) -> list[DifferenceOut]:
        return [to_schema(v, DifferenceOut) for v in await services.store_differences(ctx, day)]


class OpsReconciliationController(Controller):
    path = "/api/v1/ops/reconciliation"
    tags = ["reconciliation"]
    opt = {"auth": "platform", "roles": {OPS_FINANCE, OPS_ADMIN}}

    @get("/runs", operation_id="OpsListReconciliationRuns")
    async def runs(self, ctx: OpsCtx, day: FromQuery[date | None] = None,
                   tenant_id: FromQuery[uuid.UUID | None] = None, limit: FromQuery[int] = 50,
                   offset: FromQuery[int] = 0) -> Page[ReconRunOut]:
        limit, offset = check_window(limit, offset)
        views, total = await services.ops_runs(ctx, day=day, tenant_id=tenant_id, limit=limit, offset=offset)
        return Page(items=[to_schema(v, ReconRunOut) for v in views], total=total, limit=limit, offset=offset)

    @get("/differences", operation_id="OpsListReconciliationDifferences")
    async def differences(self, ctx: OpsCtx, status: FromQuery[Literal["open", "all"]] = "open",
                          day: FromQuery[date | None] = None, tenant_id: FromQuery[uuid.UUID | None] = None,
                          limit: FromQuery[int] = 50, offset: FromQuery[int] = 0) -> Page[DifferenceOut]:
        limit, offset = check_window(limit, offset)
        views, total = await services.ops_differences(ctx, open_only=status == "open", day=day, tenant_id=tenant_id,
                                                      limit=limit, offset=offset)
        return Page(items=[to_schema(v, DifferenceOut) for v in views], total=total, limit=limit, offset=offset)

    @post("/run", operation_id="OpsRunReconciliation", status_code=200)
    async def run(self, ctx: OpsCtx, day: FromQuery[date]) -> list[RunOutcomeOut]:
        """Reconcile ``day`` for every store (re-running updates each store's run)."""
        return [to_schema(o, RunOutcomeOut) for o in await services.run_all(ctx, day)]

    @post("/differences/{difference_id:uuid}/resolve", operation_id="OpsResolveReconciliationDifference",
          status_code=200)
    async def resolve(self, ctx: OpsCtx, difference_id: FromPath[uuid.UUID],
                      data: JSONBody[ResolveBody]) -> DifferenceOut:
        return to_schema(await services.resolve_difference(ctx, difference_id, reason=data.reason), DifferenceOut)
