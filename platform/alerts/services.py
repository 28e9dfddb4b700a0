"""Operator alerts: what the platform will not guess about, raised once, resolved with a reason.

Raise from any platform code (a job, a service acting for the platform)::

    from pawpay.platform.alerts import services as alerts

    await alerts.raise_alert(ctx, key=f"calendar.coverage.{year}", kind="calendar.coverage",
                             message=f"{year} has no business calendar yet", data={"year": year})

``key`` identifies the problem: re-raising a key whose alert is still open updates that alert
(``last_seen_at``, ``occurrences``, message and data) instead of adding one, so a job may raise on
every run. Once resolved, the same key raises a new alert. Operators see them on ``/ops/alerts``.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from piccolo.querystring import QueryString

from pawpay.platform.alerts.errors import AlertErrorCode, code
from pawpay.platform.alerts.tables import OperatorAlert
from pawpay.platform.audit.services import record
from pawpay.platform.clock import utcnow
from pawpay.platform.db.engine import get_engine
from pawpay.platform.errors import Conflict, NotFound, ValidationFailed
from pawpay.platform.tenancy.context import PlatformContext
from pawpay.platform.tenancy.scope import platform_scope

log = logging.getLogger(__name__)

OPEN: Final = "open"
RESOLVED: Final = "resolved"
KEY_MAX_LENGTH: Final = 200
KIND_MAX_LENGTH: Final = 64


@dataclass(frozen=True, slots=True)
class AlertView:
    id: uuid.UUID
    key: str
    kind: str
    message: str
    tenant_id: uuid.UUID | None
    data: dict[str, Any]
    status: str
    occurrences: int
    first_seen_at: datetime
    last_seen_at: datetime
    resolved_at: datetime | None
    resolved_by: str
    resolution_reason: str

    @property
    def is_open(self) -> bool:
        return self.status == OPEN


def _data(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        value = json.loads(value or "{}")
    return dict(value) if isinstance(value, dict) else {}


def _view(row: dict[str, Any]) -> AlertView:
    return AlertView(
        id=row["id"], key=row["key"], kind=row["kind"], message=row["message"], tenant_id=row["store_tenant_id"],
        data=_data(row["data"]), status=row["status"], occurrences=int(row["occurrences"]),
        first_seen_at=row["first_seen_at"], last_seen_at=row["last_seen_at"], resolved_at=row["resolved_at"],
        resolved_by=row["resolved_by"], resolution_reason=row["resolution_reason"],
    )


def _actor(ctx: PlatformContext) -> str:
    return ctx.actor_label or (str(ctx.actor_id) if ctx.actor_id else "platform")


async def raise_alert(ctx: PlatformContext, *, key: str, kind: str, message: str,
                      tenant_id: uuid.UUID | None = None, data: dict[str, Any] | None = None) -> AlertView:
    """Open an alert for ``key``, or refresh the one already open (idempotent while open).

    Runs in the platform scope (joining the caller's transaction if it is in one; a store's
    scope cannot raise alerts). A new alert is audited and logged at WARNING.
    """
    key, kind = key.strip(), kind.strip()
    if not key or len(key) > KEY_MAX_LENGTH or not kind or len(kind) > KIND_MAX_LENGTH:
        raise ValidationFailed("an alert needs a key (at most 200 characters) and a kind (at most 64)",
                               code=code(AlertErrorCode.ALERT_INVALID), field="key")
    now = utcnow()
    payload = json.dumps(data or {}, default=str, ensure_ascii=False)
    async with platform_scope(f"raise alert {key}", ctx):
        rows = await get_engine().run_querystring(QueryString(
            "INSERT INTO operator_alert (id, key, kind, message, store_tenant_id, data, status, occurrences, "
            "first_seen_at, last_seen_at, resolved_at, resolved_by, resolution_reason) "
            "VALUES ({}, {}, {}, {}, {}, {}::jsonb, 'open', 1, {}, {}, NULL, '', '') "
            "ON CONFLICT (key) WHERE status = 'open' DO UPDATE SET "
            "kind = EXCLUDED.kind, message = EXCLUDED.message, data = EXCLUDED.data, "
            "store_tenant_id = EXCLUDED.store_tenant_id, last_seen_at = EXCLUDED.last_seen_at, "
            "occurrences = operator_alert.occurrences + 1 "
            "RETURNING *",
            uuid.uuid4(), key, kind, message, tenant_id, payload, now, now,
        ))
        view = _view(rows[0])
        if view.occurrences == 1:
            log.warning("operator alert raised: %s", key, extra={"alert_key": key, "alert_kind": kind,
                                                                  "tenant_id": str(tenant_id) if tenant_id else None})
            await record(ctx, "alert.raised", target_type="operator_alert", target_id=str(view.id),
                         after={"key": key, "kind": kind, "message": message}, tenant_id=None)
    return view


async def list_alerts(ctx: PlatformContext, *, open_only: bool = True, kind: str | None = None,
                      tenant_id: uuid.UUID | None = None, limit: int = 50, offset: int = 0
                      ) -> tuple[list[AlertView], int]:
    """Open alerts (most recently seen first) or resolved ones (most recently resolved first)."""
    condition: Any = OperatorAlert.status == (OPEN if open_only else RESOLVED)
    if kind:
        condition &= OperatorAlert.kind == kind
    if tenant_id is not None:
        condition &= OperatorAlert.store_tenant_id == tenant_id
    order = OperatorAlert.last_seen_at if open_only else OperatorAlert.resolved_at
    async with platform_scope("list alerts", ctx):
        rows = await OperatorAlert.select().where(condition).order_by(order, ascending=False).order_by(
            OperatorAlert.id).limit(limit).offset(offset)
        total = await OperatorAlert.count().where(condition)
    return [_view(r) for r in rows], int(total)


async def get_alert(ctx: PlatformContext, alert_id: uuid.UUID) -> AlertView:
    async with platform_scope("get alert", ctx):
        row = await OperatorAlert.select().where(OperatorAlert.id == alert_id).first()
    if row is None:
        raise NotFound("no such alert", code=code(AlertErrorCode.ALERT_NOT_FOUND))
    return _view(row)


async def alert_kinds(ctx: PlatformContext) -> list[str]:
    """Every kind ever raised (for the filter)."""
    async with platform_scope("alert kinds", ctx):
        rows = await OperatorAlert.select(OperatorAlert.kind).distinct().order_by(OperatorAlert.kind)
    return [r["kind"] for r in rows]


async def open_alert_count(ctx: PlatformContext) -> int:
    async with platform_scope("count open alerts", ctx):
        return int(await OperatorAlert.count().where(OperatorAlert.status == OPEN))


async def resolve_alert(ctx: PlatformContext, alert_id: uuid.UUID, *, reason: str) -> AlertView:
    """Close an open alert, saying why (required). Audited."""
    reason = reason.strip()
    if not reason:
        raise ValidationFailed("a reason is required", code=code(AlertErrorCode.ALERT_REASON_REQUIRED),
                               field="reason")
    async with platform_scope("resolve alert", ctx):
        row = await OperatorAlert.select().where(OperatorAlert.id == alert_id).lock_rows("UPDATE").first()
        if row is None:
            raise NotFound("no such alert", code=code(AlertErrorCode.ALERT_NOT_FOUND))
        if row["status"] != OPEN:
            raise Conflict("the alert is resolved already", code=code(AlertErrorCode.ALERT_ALREADY_RESOLVED))
        now, actor = utcnow(), _actor(ctx)
        await OperatorAlert.update({
            OperatorAlert.status: RESOLVED, OperatorAlert.resolved_at: now, OperatorAlert.resolved_by: actor,
            OperatorAlert.resolution_reason: reason,
        }).where(OperatorAlert.id == alert_id)
        await record(ctx, "alert.resolved", target_type="operator_alert", target_id=str(alert_id),
                     before={"key": row["key"], "status": OPEN}, after={"status": RESOLVED, "reason": reason})
        row.update(status=RESOLVED, resolved_at=now, resolved_by=actor, resolution_reason=reason)
    return _view(row)


async def resolve_open(ctx: PlatformContext, *, key: str, reason: str) -> AlertView | None:
    """Resolve the open alert for ``key``, if there is one (for the code that raised it, once the
    problem is gone). Audited."""
    async with platform_scope("resolve alert by key", ctx):
        row = await OperatorAlert.select(OperatorAlert.id).where(
            (OperatorAlert.key == key) & (OperatorAlert.status == OPEN)).first()
        if row is None:
            return None
        return await resolve_alert(ctx, row["id"], reason=reason)
