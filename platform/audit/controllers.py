"""Audit API: a store reads its own log (managers and finance); operators read everyone's."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import msgspec
from litestar import Controller, get
from litestar.params import FromQuery

from pawpay.platform.audit import services
from pawpay.platform.identity.roles import FINANCE, MANAGER
from pawpay.platform.web.deps import OpsCtx, TenantCtx
from pawpay.platform.web.pagination import Page, check_window
from pawpay.platform.web.schemas import to_schema


class AuditOut(msgspec.Struct):
    id: uuid.UUID
    tenant_id: uuid.UUID | None
    actor_id: uuid.UUID | None
    actor_label: str
    action: str
    target_type: str
    target_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    request_id: str
    ip: str
    created_at: datetime


async def _page(ctx: Any, flt: services.AuditFilter, limit: int, offset: int) -> Page[AuditOut]:
    limit, offset = check_window(limit, offset)
    views, total = await services.list_entries(ctx, flt, limit=limit, offset=offset)
    return Page(items=[to_schema(v, AuditOut) for v in views], total=total, limit=limit, offset=offset)


class AuditController(Controller):
    path = "/api/v1/audit"
    tags = ["audit"]
    opt = {"auth": "tenant", "roles": {MANAGER, FINANCE}}

    @get("/", operation_id="ListAuditEntries")
    async def list_entries(
        self, ctx: TenantCtx, action: FromQuery[str | None] = None, target_type: FromQuery[str | None] = None,
        target_id: FromQuery[str | None] = None, actor_id: FromQuery[uuid.UUID | None] = None,
        since: FromQuery[datetime | None] = None, until: FromQuery[datetime | None] = None,
        limit: FromQuery[int] = 50, offset: FromQuery[int] = 0,
    ) -> Page[AuditOut]:
        flt = services.AuditFilter(action=action, target_type=target_type, target_id=target_id,
                                   actor_id=actor_id, since=since, until=until)
        return await _page(ctx, flt, limit, offset)


class OpsAuditController(Controller):
    path = "/api/v1/ops/audit"
    tags = ["audit"]
    opt = {"auth": "platform"}

    @get("/", operation_id="ListAllAuditEntries")
    async def list_entries(
        self, ctx: OpsCtx, action: FromQuery[str | None] = None, tenant_id: FromQuery[uuid.UUID | None] = None,
        target_type: FromQuery[str | None] = None, target_id: FromQuery[str | None] = None,
        actor_id: FromQuery[uuid.UUID | None] = None, since: FromQuery[datetime | None] = None,
        until: FromQuery[datetime | None] = None, limit: FromQuery[int] = 50, offset: FromQuery[int] = 0,
    ) -> Page[AuditOut]:
        flt = services.AuditFilter(action=action, tenant_id=tenant_id, target_type=target_type,
                                   target_id=target_id, actor_id=actor_id, since=since, until=until)
        return await _page(ctx, flt, limit, offset)
