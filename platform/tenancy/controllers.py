"""Tenant API: a store reads its own record; operators list and create stores."""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec
from litestar import Controller, get, post
from litestar.params import FromPath, FromQuery, JSONBody

from pawpay.platform.identity.roles import OPS_ADMIN
from pawpay.platform.tenancy import services
from pawpay.platform.web.deps import OpsCtx, TenantCtx
from pawpay.platform.web.pagination import Page, check_window
from pawpay.platform.web.schemas import to_schema


class TenantOut(msgspec.Struct):
    id: uuid.UUID
    slug: str
    name: str
    status: str
    time_zone: str
    test_mode: bool
    created_at: datetime


class NewTenantBody(msgspec.Struct, forbid_unknown_fields=True):
    slug: str
    name: str
    time_zone: str = "Asia/Shanghai"


class TenantController(Controller):
    path = "/api/v1"
    tags = ["tenants"]

    @get("/tenant", opt={"auth": "tenant"}, operation_id="GetOwnTenant")
    async def own(self, ctx: TenantCtx) -> TenantOut:
        return to_schema(await services.get_own_tenant(ctx), TenantOut)

    @get("/ops/tenants", opt={"auth": "platform"}, operation_id="ListTenants")
    async def list_tenants(
        self, ctx: OpsCtx, limit: FromQuery[int] = 50, offset: FromQuery[int] = 0
    ) -> Page[TenantOut]:
        limit, offset = check_window(limit, offset)
        views, total = await services.list_tenants(ctx, limit=limit, offset=offset)
        return Page(items=[to_schema(v, TenantOut) for v in views], total=total, limit=limit, offset=offset)

    @get("/ops/tenants/{tenant_id:uuid}", opt={"auth": "platform"}, operation_id="GetTenant")
    async def get_tenant(self, ctx: OpsCtx, tenant_id: FromPath[uuid.UUID]) -> TenantOut:
        return to_schema(await services.get_tenant(ctx, tenant_id), TenantOut)

    @post("/ops/tenants", opt={"auth": "platform", "roles": {OPS_ADMIN}}, operation_id="CreateTenant")
    async def create_tenant(self, ctx: OpsCtx, data: JSONBody[NewTenantBody]) -> TenantOut:
        view = await services.create_tenant(ctx, slug=data.slug, name=data.name, time_zone=data.time_zone)
        return to_schema(view, TenantOut)
