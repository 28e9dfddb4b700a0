"""``/api/v1/settlement`` (a store's batches and statements) and ``/api/v1/ops/settlement``
(operators: every store's batches; run or re-run a day)."""

from __future__ import annotations

import uuid
from datetime import date

from litestar import Controller, Response, get, post
from litestar.params import FromPath, FromQuery

from pawpay.platform.identity.roles import FINANCE, MANAGER, OPS_ADMIN, OPS_FINANCE
from pawpay.platform.settlement import services, statements
from pawpay.platform.settlement.schemas import RunOutcomeOut, SettlementBatchOut, StatementOut
from pawpay.platform.web.deps import OpsCtx, TenantCtx
from pawpay.platform.web.pagination import Page, check_window
from pawpay.platform.web.schemas import to_schema


def download(view: services.StatementView, fmt: str) -> Response[bytes]:
    from pawpay.platform.errors import NotFound

    if fmt == "csv":
        body, media = statements.statement_csv(view), "text/csv; charset=utf-8"
    elif fmt == "xlsx":
        body, media = statements.statement_xlsx(view), (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    else:
        raise NotFound("unknown statement format")
    return Response(body, media_type=media, headers={
        "content-disposition": f'attachment; filename="{statements.filename(view, fmt)}"',
        "cache-control": "private, no-store", "x-content-type-options": "nosniff"})


class SettlementController(Controller):
    path = "/api/v1/settlement"
    tags = ["settlement"]
    opt = {"auth": "tenant", "roles": {MANAGER, FINANCE}}

    @get("/batches", operation_id="ListSettlementBatches")
    async def batches(self, ctx: TenantCtx, limit: FromQuery[int] = 50,
                      offset: FromQuery[int] = 0) -> Page[SettlementBatchOut]:
        limit, offset = check_window(limit, offset)
        views, total = await services.list_batches(ctx, limit=limit, offset=offset)
        return Page(items=[to_schema(v, SettlementBatchOut) for v in views], total=total, limit=limit, offset=offset)

    @get("/batches/{batch_id:uuid}", operation_id="GetSettlementStatement")
    async def statement(self, ctx: TenantCtx, batch_id: FromPath[uuid.UUID]) -> StatementOut:
        return to_schema(await services.get_statement(ctx, batch_id), StatementOut)

    @get("/batches/{batch_id:uuid}/statement.csv", operation_id="DownloadSettlementStatementCsv")
    async def csv(self, ctx: TenantCtx, batch_id: FromPath[uuid.UUID]) -> Response[bytes]:
        return download(await services.get_statement(ctx, batch_id), "csv")

    @get("/batches/{batch_id:uuid}/statement.xlsx", operation_id="DownloadSettlementStatementXlsx")
    async def xlsx(self, ctx: TenantCtx, batch_id: FromPath[uuid.UUID]) -> Response[bytes]:
        return download(await services.get_statement(ctx, batch_id), "xlsx")


class OpsSettlementController(Controller):
    path = "/api/v1/ops/settlement"
    tags = ["settlement"]
    opt = {"auth": "platform", "roles": {OPS_FINANCE, OPS_ADMIN}}

    @get("/batches", operation_id="OpsListSettlementBatches")
    async def batches(self, ctx: OpsCtx, day: FromQuery[date | None] = None, limit: FromQuery[int] = 50,
                      offset: FromQuery[int] = 0) -> Page[SettlementBatchOut]:
        limit, offset = check_window(limit, offset)
        views, total = await services.ops_batches(ctx, business_day=day, limit=limit, offset=offset)
        return Page(items=[to_schema(v, SettlementBatchOut) for v in views], total=total, limit=limit, offset=offset)

    @post("/run", operation_id="OpsRunSettlement", status_code=200)
    async def run(self, ctx: OpsCtx, day: FromQuery[date]) -> list[RunOutcomeOut]:
        """Run (or resume) every store's batch for ``day``; a completed batch is left unchanged."""
        return [to_schema(o, RunOutcomeOut) for o in await services.run_all(ctx, day)]
