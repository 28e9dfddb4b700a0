"""``/api/v1/advances`` (a store's advances) and ``/api/v1/ops/advances`` (operators: every
store's advances, totals, mark a default)."""

from __future__ import annotations

import uuid

from litestar import Controller, get, post
from litestar.params import FromPath, FromQuery, JSONBody

from pawpay.platform.advances import services
from pawpay.platform.advances.schemas import AdvanceOut, AdvanceTotalsOut, DefaultBody, RequestAdvanceBody
from pawpay.platform.identity.roles import FINANCE, MANAGER, OPS_ADMIN, OPS_FINANCE
from pawpay.platform.web.deps import OpsCtx, TenantCtx
from pawpay.platform.web.pagination import Page, check_window
from pawpay.platform.web.schemas import to_schema


class AdvancesController(Controller):
    path = "/api/v1/advances"
    tags = ["advances"]
    opt = {"auth": "tenant", "roles": {MANAGER, FINANCE}}

    @get("/", operation_id="ListAdvances")
    async def list_advances(self, ctx: TenantCtx, status: FromQuery[str | None] = None, limit: FromQuery[int] = 50,
                            offset: FromQuery[int] = 0) -> Page[AdvanceOut]:
        limit, offset = check_window(limit, offset)
        views, total = await services.list_advances(ctx, state=status, limit=limit, offset=offset)
        return Page(items=[to_schema(v, AdvanceOut) for v in views], total=total, limit=limit, offset=offset)

    @get("/totals", operation_id="GetAdvanceTotals")
    async def totals(self, ctx: TenantCtx) -> AdvanceTotalsOut:
        return to_schema(await services.store_totals(ctx), AdvanceTotalsOut)

    @get("/contracts/{contract_ref:str}", operation_id="GetContractAdvance")
    async def get_advance(self, ctx: TenantCtx, contract_ref: FromPath[str]) -> AdvanceOut:
        return to_schema(await services.get_advance(ctx, contract_ref), AdvanceOut)

    @post("/", operation_id="RequestAdvance", status_code=200, opt={"auth": "tenant", "roles": {MANAGER}})
    async def request_advance(self, ctx: TenantCtx, data: JSONBody[RequestAdvanceBody]) -> AdvanceOut:
        """Request (or ask again about) a contract's advance; idempotent per contract."""
        view = await services.request_advance_for_contract(
            ctx, contract_ref=data.contract_ref, total_fen=data.total_fen, terms_version=data.terms_version,
            periods=data.periods, first_due_on=data.first_due_on)
        return to_schema(view, AdvanceOut)


class OpsAdvancesController(Controller):
    path = "/api/v1/ops/advances"
    tags = ["advances"]
    opt = {"auth": "platform", "roles": {OPS_FINANCE, OPS_ADMIN}}

    @get("/", operation_id="OpsListAdvances")
    async def list_advances(self, ctx: OpsCtx, tenant_id: FromQuery[uuid.UUID | None] = None,
                            status: FromQuery[str | None] = None, limit: FromQuery[int] = 50,
                            offset: FromQuery[int] = 0) -> Page[AdvanceOut]:
        limit, offset = check_window(limit, offset)
        views, total = await services.ops_advances(ctx, tenant_id=tenant_id, state=status, limit=limit, offset=offset)
        return Page(items=[to_schema(v, AdvanceOut) for v in views], total=total, limit=limit, offset=offset)

    @get("/totals", operation_id="OpsAdvanceTotals")
    async def totals(self, ctx: OpsCtx) -> list[AdvanceTotalsOut]:
        return [to_schema(t, AdvanceTotalsOut) for t in await services.ops_totals(ctx)]

    @post("/{tenant_id:uuid}/{contract_ref:str}/default", operation_id="OpsMarkAdvanceDefault", status_code=200)
    async def mark_default(self, ctx: OpsCtx, tenant_id: FromPath[uuid.UUID], contract_ref: FromPath[str],
                           data: JSONBody[DefaultBody]) -> AdvanceOut:
        return to_schema(await services.ops_mark_default(ctx, tenant_id, contract_ref, reason=data.reason),
                         AdvanceOut)
