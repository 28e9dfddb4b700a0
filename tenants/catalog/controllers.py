"""``/api/v1/catalog``: a store's SKUs and services. Managers write; sales staff read."""

from __future__ import annotations

import uuid

from litestar import Controller, delete, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody

from pawpay.platform.identity.roles import FRONT_DESK, MANAGER
from pawpay.platform.web.deps import TenantCtx
from pawpay.platform.web.pagination import Page, check_window
from pawpay.platform.web.schemas import to_schema
from pawpay.tenants.catalog import services
from pawpay.tenants.catalog.schemas import DeletedOut, ServiceBody, ServiceOut, SkuBody, SkuOut

WRITERS = {"roles": {MANAGER}}


class CatalogController(Controller):
    path = "/api/v1/catalog"
    tags = ["catalog"]
    opt = {"auth": "tenant", "roles": {MANAGER, FRONT_DESK}}

    @get("/skus", operation_id="ListCatalogSkus")
    async def list_skus(self, ctx: TenantCtx, kind: FromQuery[str | None] = None, active_only: FromQuery[bool] = False,
                        q: FromQuery[str | None] = None, limit: FromQuery[int] = 50, offset: FromQuery[int] = 0
                        ) -> Page[SkuOut]:
        limit, offset = check_window(limit, offset)
        views, total = await services.list_skus(ctx, kind=kind, active_only=active_only, search=q, limit=limit,
                                                offset=offset)
        return Page(items=[to_schema(v, SkuOut) for v in views], total=total, limit=limit, offset=offset)

    @post("/skus", operation_id="CreateCatalogSku", opt=WRITERS)
    async def create_sku(self, ctx: TenantCtx, data: JSONBody[SkuBody]) -> SkuOut:
        return to_schema(await services.create_sku(ctx, _sku(data)), SkuOut)

    @get("/skus/{sku_id:uuid}", operation_id="GetCatalogSku")
    async def get_sku(self, ctx: TenantCtx, sku_id: FromPath[uuid.UUID]) -> SkuOut:
        return to_schema(await services.get_sku(ctx, sku_id), SkuOut)

    @put("/skus/{sku_id:uuid}", operation_id="UpdateCatalogSku", opt=WRITERS)
    async def update_sku(self, ctx: TenantCtx, sku_id: FromPath[uuid.UUID], data: JSONBody[SkuBody]) -> SkuOut:
        return to_schema(await services.update_sku(ctx, sku_id, _sku(data)), SkuOut)

    @delete("/skus/{sku_id:uuid}", operation_id="DeleteCatalogSku", opt=WRITERS, status_code=200)
    async def delete_sku(self, ctx: TenantCtx, sku_id: FromPath[uuid.UUID]) -> DeletedOut:
        deleted = await services.delete_sku(ctx, sku_id)
        return DeletedOut(id=sku_id, deleted=deleted, active=False)

    @get("/services", operation_id="ListCatalogServices")
    async def list_services(self, ctx: TenantCtx, kind: FromQuery[str | None] = None,
                            active_only: FromQuery[bool] = False, q: FromQuery[str | None] = None,
                            limit: FromQuery[int] = 50, offset: FromQuery[int] = 0) -> Page[ServiceOut]:
        limit, offset = check_window(limit, offset)
        views, total = await services.list_services(ctx, kind=kind, active_only=active_only, search=q, limit=limit,
                                                    offset=offset)
        return Page(items=[to_schema(v, ServiceOut) for v in views], total=total, limit=limit, offset=offset)

    @post("/services", operation_id="CreateCatalogService", opt=WRITERS)
    async def create_service(self, ctx: TenantCtx, data: JSONBody[ServiceBody]) -> ServiceOut:
        return to_schema(await services.create_service(ctx, _service(data)), ServiceOut)

    @get("/services/{service_id:uuid}", operation_id="GetCatalogService")
    async def get_service(self, ctx: TenantCtx, service_id: FromPath[uuid.UUID]) -> ServiceOut:
        return to_schema(await services.get_service(ctx, service_id), ServiceOut)

    @put("/services/{service_id:uuid}", operation_id="UpdateCatalogService", opt=WRITERS)
    async def update_service(self, ctx: TenantCtx, service_id: FromPath[uuid.UUID], data: JSONBody[ServiceBody]
                             ) -> ServiceOut:
        view = await services.update_service(ctx, service_id, _service(data))
        return to_schema(view, ServiceOut)

    @delete("/services/{service_id:uuid}", operation_id="DeleteCatalogService", opt=WRITERS, status_code=200)
    async def delete_service(self, ctx: TenantCtx, service_id: FromPath[uuid.UUID]) -> DeletedOut:
        deleted = await services.delete_service(ctx, service_id)
        return DeletedOut(id=service_id, deleted=deleted, active=False)


def _sku(body: SkuBody) -> services.SkuInput:
    return services.SkuInput(code=body.code, name=body.name, kind=body.kind, unit=body.unit,
                             specification=body.specification, warehouse_sku_code=body.warehouse_sku_code,
                             active=body.active)


def _service(body: ServiceBody) -> services.ServiceInput:
    return services.ServiceInput(code=body.code, name=body.name, kind=body.kind, active=body.active)
