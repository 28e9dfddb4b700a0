"""Audit API: a store reads its own log (managers and finance); operators read everyone's."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime
from typing import Any

import msgspec
from litestar import Controller, get

from pawpay.platform.audit import services
from pawpay.platform.identity.roles import FINANCE, MANAGER
from pawpay.platform.tenancy.context import PlatformContext, TenantContext
from pawpay.platform.web.pagination import Page, check_window


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


def _out(view: services.AuditView) -> AuditOut:
    return msgspec.convert(dataclasses.asdict(view), AuditOut)


async def _page(ctx: Any, flt: services.AuditFilter, limit: int, offset: int) -> Page[AuditOut]:
    limit, offset = check_window(limit, offset)
    views, total = await services.list_entries(ctx, flt, limit=limit, offset=offset)
    return Page(items=[_out(v) for v in views], total=total, limit=limit, offset=offset)


class AuditController(Controller):
    path = "/api/v1/audit"
    tags = ["audit"]
    opt = {"auth": "tenant", "roles": {MANAGER, FINANCE}}

    @get("/", operation_id="ListAuditEntries")
    async def list_entries(
        self, ctx: TenantContext, action: str | None = None, target_type: str | None = None,
        target_id: str | None = None, actor_id: uuid.UUID | None = None, since: datetime | None = None,
        until: datetime | None = None, limit: int = 50, offset: int = 0,
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
        self, ctx: PlatformContext, action: str | None = None, tenant_id: uuid.UUID | None = None,
        target_type: str | None = None, target_id: str | None = None, actor_id: uuid.UUID | None = None,
        since: datetime | None = None, until: datetime | None = None, limit: int = 50, offset: int = 0,
    ) -> Page[AuditOut]:
        flt = services.AuditFilter(action=action, tenant_id=tenant_id, target_type=target_type,
                                   target_id=target_id, actor_id=actor_id, since=since, until=until)
        return await _page(ctx, flt, limit, offset)
