"""Audit entries. Append-only: the database refuses UPDATE, DELETE and TRUNCATE (see migrations)."""

from __future__ import annotations

from piccolo.columns import JSONB, BigSerial, Timestamptz, Varchar
from piccolo.columns.column_types import UUID
from piccolo.columns.defaults.uuid import UUID4
from piccolo.table import Table


class AuditEntry(Table):
    id = UUID(primary_key=True, default=UUID4())
    # NULL for platform-level actions (operators acting on the platform itself).
    tenant_id = UUID(default=None, null=True)
    actor_id = UUID(default=None, null=True)
    actor_label = Varchar(length=254, default="")
    action = Varchar(length=64)
    target_type = Varchar(length=64, default="")
    target_id = Varchar(length=64, default="")
    before = JSONB(default=None, null=True)
    after = JSONB(default=None, null=True)
    request_id = Varchar(length=64, default="")
    ip = Varchar(length=64, default="")
    created_at = Timestamptz()
    # Entries of one transaction share created_at (its start); seq orders them as they happened.
    seq = BigSerial()
