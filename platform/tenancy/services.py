"""Tenant services: the only entry point other components use to create and read stores."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from asyncpg.exceptions import UniqueViolationError

from pawpay.platform.clock import validate_time_zone
from pawpay.platform.errors import Conflict, ErrorCode, NotFound, ValidationFailed
from pawpay.platform.tenancy.context import PlatformContext, TenantContext
from pawpay.platform.tenancy.scope import after_commit, platform_scope, tenant_scope
from pawpay.platform.tenancy.tables import Tenant

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,61}[a-z0-9])$")


@dataclass(frozen=True, slots=True)
class TenantView:
    id: uuid.UUID
    slug: str
    name: str
    status: str
    time_zone: str
    test_mode: bool
    created_at: datetime


def _view(row: dict[str, Any]) -> TenantView:
    return TenantView(
        id=row["id"],
        slug=row["slug"],
        name=row["name"],
        status=row["status"],
        time_zone=row["time_zone"],
        test_mode=row["test_mode"],
        created_at=row["created_at"],
    )


_COLUMNS = (Tenant.id, Tenant.slug, Tenant.name, Tenant.status, Tenant.time_zone, Tenant.test_mode, Tenant.created_at)


async def create_tenant(
    ctx: PlatformContext, *, slug: str, name: str, time_zone: str = "Asia/Shanghai", test_mode: bool = True
) -> TenantView:
    """Create a store. Operators only (platform scope); audited. Plugins hear of it through
    ``pawpay_tenant_created`` once the store is committed (never for a rolled-back one)."""
    from pawpay.platform.audit.services import record

    if not SLUG_RE.match(slug):
        raise ValidationFailed(
            "slug must be 3-63 lowercase letters, digits or hyphens", field="slug", value=slug
        )
    name = name.strip()
    if not name:
        raise ValidationFailed("name must not be empty", field="name")
    try:
        validate_time_zone(time_zone)
    except ValueError as exc:
        raise ValidationFailed(str(exc), field="time_zone", value=time_zone) from None
    async with platform_scope("create tenant", ctx):
        try:
            rows = await Tenant.insert(
                Tenant(slug=slug, name=name, time_zone=time_zone, test_mode=test_mode)
            ).returning(*_COLUMNS)
        except UniqueViolationError:
            raise Conflict(f"a store with slug {slug!r} exists", code=ErrorCode.TENANT_SLUG_TAKEN) from None
        view = _view(rows[0])
        await record(
            ctx, "tenant.created", target_type="tenant", target_id=str(view.id), tenant_id=view.id,
            after={"slug": slug, "name": name, "time_zone": time_zone, "test_mode": test_mode},
        )
        after_commit(lambda: _broadcast_created(view))
    return view


def _broadcast_created(view: TenantView) -> None:
    from pawpay.platform.hooks._manager import get_plugin_manager

    get_plugin_manager().hook.pawpay_tenant_created(tenant_id=str(view.id), name=view.name)


async def get_own_tenant(ctx: TenantContext) -> TenantView:
    async with tenant_scope(ctx):
        row = await Tenant.select(*_COLUMNS).where(Tenant.id == ctx.tenant_id).first()
    if row is None:
        raise NotFound("store not found")
    return _view(row)


async def get_tenant(ctx: PlatformContext, tenant_id: uuid.UUID) -> TenantView:
    async with platform_scope("read tenant", ctx):
        row = await Tenant.select(*_COLUMNS).where(Tenant.id == tenant_id).first()
    if row is None:
        raise NotFound("store not found")
    return _view(row)


async def get_tenant_by_slug(slug: str) -> TenantView:
    """The store a public link names (``/sign/{slug}``, posters): any unknown slug is the same NotFound.

    Public pages have no principal yet; this read runs in its own narrow platform scope and
    reveals only what the link already names.
    """
    if not isinstance(slug, str) or not SLUG_RE.match(slug):
        raise NotFound("store not found")
    async with platform_scope("resolve a store's public link"):
        row = await Tenant.select(*_COLUMNS).where(Tenant.slug == slug).first()
    if row is None:
        raise NotFound("store not found")
    return _view(row)


async def list_tenants(ctx: PlatformContext, *, limit: int = 50, offset: int = 0) -> tuple[list[TenantView], int]:
    async with platform_scope("list tenants", ctx):
        rows = await Tenant.select(*_COLUMNS).order_by(Tenant.created_at).limit(limit).offset(offset)
        total = await Tenant.count()
    return [_view(r) for r in rows], total


async def tenant_ids(ctx: PlatformContext) -> list[uuid.UUID]:
    """Every store's id, oldest first: for fleet jobs that then work store by store, each in its own scope."""
    async with platform_scope("list store ids", ctx):
        rows = await Tenant.select(Tenant.id).order_by(Tenant.created_at)
    return [r["id"] for r in rows]


async def tenant_names(ctx: PlatformContext, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    async with platform_scope("tenant names", ctx):
        rows = await Tenant.select(Tenant.id, Tenant.name).where(Tenant.id.is_in(list(ids)))
    return {r["id"]: r["name"] for r in rows}


TENANT_STATUSES = ("active", "suspended")


async def set_tenant_status(
    ctx: PlatformContext, tenant_id: uuid.UUID, *, status: str | None = None, test_mode: bool | None = None,
    reason: str,
) -> TenantView:
    """Suspend or reinstate a store (``status``) and/or take it out of test mode (``test_mode``).

    Operators only (platform scope); ``reason`` is required and goes to the audit log with the
    before and after values. Changing nothing is allowed (and still audited, with the reason).
    """
    from pawpay.platform.audit.services import record
    from pawpay.platform.clock import utcnow

    if status is not None and status not in TENANT_STATUSES:
        raise ValidationFailed("status must be active or suspended", field="status", value=status)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("a reason is required", field="reason")
    async with platform_scope("set tenant status", ctx):
        row = await Tenant.select(*_COLUMNS).where(Tenant.id == tenant_id).lock_rows("UPDATE").first()
        if row is None:
            raise NotFound("store not found")
        before = _view(row)
        changes: dict[Any, Any] = {Tenant.updated_at: utcnow()}
        if status is not None:
            changes[Tenant.status] = status
        if test_mode is not None:
            changes[Tenant.test_mode] = test_mode
        rows = await Tenant.update(changes).where(Tenant.id == tenant_id).returning(*_COLUMNS)
        view = _view(rows[0])
        await record(
            ctx, "tenant.status_changed", target_type="tenant", target_id=str(tenant_id), tenant_id=tenant_id,
            before={"status": before.status, "test_mode": before.test_mode},
            after={"status": view.status, "test_mode": view.test_mode, "reason": reason[:1000]},
        )
    return view
