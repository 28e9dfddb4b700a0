"""Request and response bodies of the operator alerts API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import msgspec


class AlertOut(msgspec.Struct):
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


class ResolveBody(msgspec.Struct):
    reason: str


class AlertCountOut(msgspec.Struct):
    open: int
