"""Rows the jobs component owns: per-tenant test clocks and the platform's periodic jobs.

``tenant_clock`` is a tenant table (RLS by ``tenant_id``): a store in test mode moves its own
time forward; nobody else's. ``scheduled_job`` is a platform table (visible only in platform
scope): one row per periodic job, claimed by the scheduler like any other due row.
"""

from __future__ import annotations

from piccolo.columns import BigInt, Integer, Text, Timestamptz, Varchar
from piccolo.columns.column_types import UUID
from piccolo.columns.defaults.uuid import UUID4
from piccolo.table import Table


class TenantClock(Table):
    id = UUID(primary_key=True, default=UUID4())
    tenant_id = UUID(default=None, null=False, unique=True)
    # How far this store's "now" is ahead of the system clock; only ever grows.
    offset_seconds = BigInt(default=0)
    updated_at = Timestamptz()


class ScheduledJob(Table):
    id = UUID(primary_key=True, default=UUID4())
    name = Varchar(length=100, unique=True)
    interval_seconds = Integer()
    next_run_at = Timestamptz()
    lease_until = Timestamptz(null=True, default=None)
    last_run_at = Timestamptz(null=True, default=None)
    last_error = Text(default="")
