"""Providers API: the catalogue, a store's choice per category (managers change it and test
the connection), and the operators' overview of which store uses what."""

from __future__ import annotations

from litestar import Controller, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody

from pawpay.platform.identity.roles import MANAGER, OPERATOR_ROLES, TENANT_ROLES
from pawpay.platform.providers import services
from pawpay.platform.providers.schemas import (
    AvailableProviderOut,
    ConnectionCheckOut,
    OverviewPageOut,
    ProviderChoiceBody,
    StoreOverviewOut,
    StoreProviderOut,
)
from pawpay.platform.web.deps import OpsCtx, TenantCtx
from pawpay.platform.web.pagination import check_window
from pawpay.platform.web.schemas import to_schema

_EVERY_ROLE = set(TENANT_ROLES) | set(OPERATOR_ROLES)


class ProviderController(Controller):
    path = "/api/v1"
    tags = ["providers"]

    @get("/providers", opt={"auth": "any", "roles": _EVERY_ROLE}, operation_id="ListAvailableProviders")
    async def list_available(self, category: FromQuery[str | None] = None) -> list[AvailableProviderOut]:
        return [to_schema(p, AvailableProviderOut) for p in services.available_providers(category)]

    @get("/store/providers", opt={"auth": "tenant", "roles": set(TENANT_ROLES)}, operation_id="ListStoreProviders")
    async def list_store(self, ctx: TenantCtx) -> list[StoreProviderOut]:
        return [to_schema(v, StoreProviderOut) for v in await services.list_store_providers(ctx)]

    @get("/store/providers/{category:str}", opt={"auth": "tenant", "roles": set(TENANT_ROLES)},
         operation_id="GetStoreProvider")
    async def get_store(self, ctx: TenantCtx, category: FromPath[str]) -> StoreProviderOut:
        return to_schema(await services.get_store_provider(ctx, category), StoreProviderOut)

    @put("/store/providers/{category:str}", opt={"auth": "tenant", "roles": {MANAGER}},
         operation_id="SetStoreProvider")
    async def set_store(
        self, ctx: TenantCtx, category: FromPath[str], data: JSONBody[ProviderChoiceBody]
    ) -> StoreProviderOut:
        view = await services.set_store_provider(ctx, category, data.provider, data.config)
        return to_schema(view, StoreProviderOut)

    @post("/store/providers/{category:str}/test", opt={"auth": "tenant", "roles": {MANAGER}},
          operation_id="TestStoreProvider", status_code=200)
    async def test_store(self, ctx: TenantCtx, category: FromPath[str]) -> ConnectionCheckOut:
        return to_schema(await services.check_connection(ctx, category), ConnectionCheckOut)


class OpsProviderController(Controller):
    path = "/api/v1/ops/providers"
    tags = ["providers"]

    @get("/", opt={"auth": "platform", "roles": set(OPERATOR_ROLES)}, operation_id="ProviderOverview")
    async def overview(self, ctx: OpsCtx, limit: FromQuery[int] = 50, offset: FromQuery[int] = 0) -> OverviewPageOut:
        limit, offset = check_window(limit, offset)
        stores, total = await services.store_provider_overview(ctx, limit=limit, offset=offset)
        return OverviewPageOut(stores=[to_schema(s, StoreOverviewOut) for s in stores], total=total)
