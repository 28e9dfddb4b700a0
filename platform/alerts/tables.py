"""Operator alerts: a platform table (operators only; no store ever sees it).

``store_tenant_id`` names the store an alert concerns; it is not called ``tenant_id`` on purpose:
the row belongs to the platform, not to that store (a ``tenant_id`` column would make it a
tenant table, readable in that store's scope).
"""

from __future__ import annotations

from piccolo.columns import JSONB, Integer, Text, Timestamptz, Varchar
from piccolo.columns.column_types import UUID
from piccolo.columns.defaults.uuid import UUID4
from piccolo.table import Table


class OperatorAlert(Table):
    id = UUID(primary_key=True, default=UUID4())
    key = Varchar(length=200)  # unique while open (partial unique index in the raw migration)
    kind = Varchar(length=64, index=True)
    message = Text(default="")
    store_tenant_id = UUID(null=True, default=None, index=True)
    data = JSONB(default="{}")
    status = Varchar(length=16, default="open")  # open | resolved
    occurrences = Integer(default=1)
    first_seen_at = Timestamptz()
    last_seen_at = Timestamptz()
    resolved_at = Timestamptz(null=True, default=None)
    resolved_by = Varchar(length=255, default="")
    resolution_reason = Text(default="")
