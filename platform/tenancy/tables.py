"""The tenant (one store, one merchant). A platform table: each tenant sees only its own row."""

from __future__ import annotations

from piccolo.columns import Boolean, Timestamptz, Varchar
from piccolo.columns.column_types import UUID
from piccolo.columns.defaults.uuid import UUID4
from piccolo.table import Table


class Tenant(Table):
    id = UUID(primary_key=True, default=UUID4())
    slug = Varchar(length=63, unique=True)
    name = Varchar(length=200)
    status = Varchar(length=16, default="active")  # active | suspended
    time_zone = Varchar(length=64, default="Asia/Shanghai")
    test_mode = Boolean(default=True)
    created_at = Timestamptz()
    updated_at = Timestamptz()
