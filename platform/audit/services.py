"""Write and read the audit log. ``record`` joins the caller's transaction, so an audit entry
commits or rolls back together with the change it describes; plugins observing the log
(``pawpay_audit_recorded``) hear of an entry only once it is committed."""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pawpay.platform.audit.tables import AuditEntry
from pawpay.platform.errors import ScopeViolation
from pawpay.platform.tenancy.context import PlatformContext, TenantContext
from pawpay.platform.tenancy.scope import after_commit, scope_for

# A snapshot key containing any of these is never written, whatever a caller passes (nested too).
_SECRET_KEY_PARTS = ("password", "secret", "token", "api_key", "apikey", "private_key", "credential")
REDACTED = "[redacted]"


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


def _is_secret_key(key: object) -> bool:
    name = str(key).lower()
    return any(part in name for part in _SECRET_KEY_PARTS)


def _redact_value(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: (REDACTED if _is_secret_key(k) else _redact_value(v)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact_value(v) for v in value]
    return value


def redact(snapshot: dict[str, Any] | None) -> dict[str, Any] | None:
    """``snapshot`` with the value of every secret-looking key replaced by ``[redacted]``."""
    if snapshot is None:
        return None
    redacted: dict[str, Any] = _redact_value(snapshot)
    return redacted


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
        before=json.dumps(redact(before), default=str) if before is not None else None,
        after=json.dumps(redact(after), default=str) if after is not None else None,
        request_id=ctx.request_id or "",
        ip=ip,
    )
    insert = AuditEntry.insert(entry).returning(AuditEntry.id, AuditEntry.created_at)
    async with scope_for(ctx, f"audit {action}"):
        rows = await insert
        entry_id = uuid.UUID(str(rows[0]["id"]))
        created_at = rows[0]["created_at"]
        after_commit(lambda: _broadcast(entry, entry_id, created_at))
    return entry_id


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One entry for :func:`record_many` (the arguments of :func:`record`)."""

    action: str
    target_type: str = ""
    target_id: str = ""
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None


async def record_many(ctx: TenantContext, records: Sequence[AuditRecord]) -> list[uuid.UUID]:
    """Append several entries of one store in one INSERT (batch work: a debit batch), in the current
    scope's transaction, in order; each is announced after commit like :func:`record`'s."""
    if not records:
        return []
    actor_label = ctx.actor_label or ""
    request_id = ctx.request_id or ""
    befores = [json.dumps(redact(r.before), default=str) if r.before is not None else None for r in records]
    afters = [json.dumps(redact(r.after), default=str) if r.after is not None else None for r in records]
    async with scope_for(ctx, f"audit {records[0].action} x{len(records)}"):
        # Raw and unnest: one statement, no ORM object per entry; ids, times and seq from the defaults.
        rows = await AuditEntry.raw(
            "INSERT INTO audit_entry (tenant_id, actor_id, actor_label, action, target_type, target_id, before, "
            "after, request_id, ip) SELECT {}, {}::uuid, {}, r.action, r.target_type, r.target_id, r.before::jsonb, "
            "r.after::jsonb, {}, '' FROM unnest({}::text[], {}::text[], {}::text[], {}::text[], {}::text[]) "
            "WITH ORDINALITY AS r(action, target_type, target_id, before, after, n) ORDER BY r.n "
            "RETURNING id, created_at",
            ctx.tenant_id, ctx.actor_id, actor_label, request_id, [r.action for r in records],
            [r.target_type for r in records], [r.target_id for r in records], befores, afters)
        stamped = [(r, uuid.UUID(str(row["id"])), row["created_at"]) for r, row in zip(records, rows, strict=True)]

        def announce() -> None:
            for r, entry_id, created_at in stamped:
                _announce_entry(entry_id, created_at, action=r.action, tenant_id=ctx.tenant_id,
                                actor_id=ctx.actor_id, target_type=r.target_type, target_id=r.target_id,
                                request_id=request_id)

        after_commit(announce)
    return [entry_id for _r, entry_id, _c in stamped]


def _announce_entry(entry_id: uuid.UUID, created_at: datetime, *, action: str, tenant_id: uuid.UUID | None,
                    actor_id: uuid.UUID | None, target_type: str, target_id: str, request_id: str) -> None:
    from pawpay.platform.hooks._manager import get_plugin_manager

    get_plugin_manager().hook.pawpay_audit_recorded(
        entry={
            "id": str(entry_id),
            "created_at": created_at.isoformat(),
            "action": action,
            "tenant_id": str(tenant_id) if tenant_id else None,
            "actor_id": str(actor_id) if actor_id else None,
            "target_type": target_type,
            "target_id": target_id,
            "request_id": request_id,
        }
    )


def _broadcast(entry: AuditEntry, entry_id: uuid.UUID, created_at: datetime) -> None:
    from pawpay.platform.hooks._manager import get_plugin_manager

    get_plugin_manager().hook.pawpay_audit_recorded(
        entry={
            "id": str(entry_id),
            "created_at": created_at.isoformat(),
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


def _like_prefix(text: str) -> str:
    """A LIKE pattern matching values that start with ``text`` taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{escaped}%"


def _where(query: Any, flt: AuditFilter) -> Any:
    # ``action`` matches a prefix: "account." finds every account action.
    if flt.action:
        query = query.where(AuditEntry.action.like(_like_prefix(flt.action)))
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


_VIEW_COLUMNS = (
    AuditEntry.id, AuditEntry.tenant_id, AuditEntry.actor_id, AuditEntry.actor_label, AuditEntry.action,
    AuditEntry.target_type, AuditEntry.target_id, AuditEntry.before, AuditEntry.after, AuditEntry.request_id,
    AuditEntry.ip, AuditEntry.created_at,
)


async def _list(flt: AuditFilter, limit: int, offset: int) -> tuple[list[AuditView], int]:
    # Newest first; entries of one transaction share created_at, so seq keeps their real order.
    rows = await _where(AuditEntry.select(*_VIEW_COLUMNS), flt).order_by(
        AuditEntry.created_at, AuditEntry.seq, ascending=False
    ).limit(limit).offset(offset).output(load_json=True)
    total = await _where(AuditEntry.count(), flt)
    return [AuditView(**row) for row in rows], total


async def list_entries(
    ctx: TenantContext | PlatformContext, flt: AuditFilter | None = None, *, limit: int = 50, offset: int = 0
) -> tuple[list[AuditView], int]:
    """Entries newest first: a store sees its own; an operator sees all (filterable by tenant)."""
    flt = flt or AuditFilter()
    if isinstance(ctx, TenantContext):
        # Filter explicitly, not by RLS alone: the policy's "OR platform scope" branch keeps the
        # planner off the (tenant_id, created_at) index (a full scan; see docs/benchmarks.md).
        flt = dataclasses.replace(flt, tenant_id=ctx.tenant_id)
    async with scope_for(ctx, "list audit entries"):
        return await _list(flt, limit, offset)
