"""Write and read the audit log. ``record`` joins the caller's transaction, so an audit entry
commits or rolls back together with the change it describes."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pawpay.platform.audit.tables import AuditEntry
from pawpay.platform.errors import ScopeViolation
from pawpay.platform.tenancy.context import PlatformContext, TenantContext
from pawpay.platform.tenancy.scope import platform_scope, tenant_scope

# Never written into before/after snapshots, whatever a caller passes.
_REDACTED_KEYS = frozenset({"password", "password_hash", "secret", "secret_hash", "token", "token_hash", "api_key"})


@dataclass(frozen=True, slots=True)
class AuditView:
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


def _redact(snapshot: dict[str, Any] | None) -> dict[str, Any] | None:
    if snapshot is None:
        return None
    return {k: ("[redacted]" if k in _REDACTED_KEYS else v) for k, v in snapshot.items()}


async def record(
    ctx: TenantContext | PlatformContext,
    action: str,
    *,
    target_type: str = "",
    target_id: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    tenant_id: uuid.UUID | None = None,
    ip: str = "",
) -> uuid.UUID:
    """Append one entry in the current scope's transaction (or a new one).

    For a :class:`TenantContext` the entry belongs to that tenant; an operator's entry may name
    the tenant it concerns (``tenant_id``) so that the store sees it in its own log too.
    """
    if isinstance(ctx, TenantContext):
        if tenant_id is not None and tenant_id != ctx.tenant_id:
            raise ScopeViolation("a tenant cannot write another tenant's audit log")
        tenant_id = ctx.tenant_id
    entry = AuditEntry(
        tenant_id=tenant_id,
        actor_id=ctx.actor_id,
        actor_label=ctx.actor_label or "",
        action=action,
        target_type=target_type,
        target_id=target_id,
        before=json.dumps(_redact(before), default=str) if before is not None else None,
        after=json.dumps(_redact(after), default=str) if after is not None else None,
        request_id=ctx.request_id or "",
        ip=ip,
    )
    if isinstance(ctx, TenantContext):
        async with tenant_scope(ctx):
            await entry.save()
    else:
        async with platform_scope(f"audit {action}", ctx):
            await entry.save()
    await _broadcast(entry)
    return uuid.UUID(str(entry.id))


async def _broadcast(entry: AuditEntry) -> None:
    from pawpay.platform.hooks._manager import get_plugin_manager

    get_plugin_manager().hook.pawpay_audit_recorded(
        entry={
            "id": str(entry.id),
            "action": entry.action,
            "tenant_id": str(entry.tenant_id) if entry.tenant_id else None,
            "actor_id": str(entry.actor_id) if entry.actor_id else None,
            "target_type": entry.target_type,
            "target_id": entry.target_id,
            "request_id": entry.request_id,
        }
    )


@dataclass(frozen=True, slots=True)
class AuditFilter:
    action: str | None = None
    actor_id: uuid.UUID | None = None
    target_type: str | None = None
    target_id: str | None = None
    tenant_id: uuid.UUID | None = None
    since: datetime | None = None
    until: datetime | None = None


def _where(query: Any, flt: AuditFilter) -> Any:
    if flt.action:
        query = query.where(AuditEntry.action.like(f"{flt.action}%"))
    if flt.actor_id:
        query = query.where(AuditEntry.actor_id == flt.actor_id)
    if flt.target_type:
        query = query.where(AuditEntry.target_type == flt.target_type)
    if flt.target_id:
        query = query.where(AuditEntry.target_id == flt.target_id)
    if flt.tenant_id:
        query = query.where(AuditEntry.tenant_id == flt.tenant_id)
    if flt.since:
        query = query.where(AuditEntry.created_at >= flt.since)
    if flt.until:
        query = query.where(AuditEntry.created_at < flt.until)
    return query


async def _list(flt: AuditFilter, limit: int, offset: int) -> tuple[list[AuditView], int]:
    rows = await _where(AuditEntry.select(), flt).order_by(AuditEntry.created_at, ascending=False).order_by(
        AuditEntry.id
    ).limit(limit).offset(offset).output(load_json=True)
    total = await _where(AuditEntry.count(), flt)
    return [AuditView(**row) for row in rows], total


async def list_entries(
    ctx: TenantContext | PlatformContext, flt: AuditFilter | None = None, *, limit: int = 50, offset: int = 0
) -> tuple[list[AuditView], int]:
    """Entries newest first: a store sees its own; an operator sees all (filterable by tenant)."""
    flt = flt or AuditFilter()
    if isinstance(ctx, TenantContext):
        async with tenant_scope(ctx):
            return await _list(flt, limit, offset)
    async with platform_scope("list audit entries", ctx):
        return await _list(flt, limit, offset)
