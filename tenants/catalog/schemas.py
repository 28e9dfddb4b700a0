"""Request and response bodies of ``/api/v1/catalog``."""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec


class SkuBody(msgspec.Struct):
    code: str
    name: str
    kind: str
    unit: str = ""
    specification: str = ""
    warehouse_sku_code: str = ""
    active: bool = True


class SkuOut(msgspec.Struct):
    id: uuid.UUID
    code: str
    name: str
    kind: str
    unit: str
    specification: str
    warehouse_sku_code: str
    active: bool
    used_by_plan: bool
    created_at: datetime
    updated_at: datetime


class ServiceBody(msgspec.Struct):
    code: str
    name: str
    kind: str
    active: bool = True


class ServiceOut(msgspec.Struct):
    id: uuid.UUID
    code: str
    name: str
    kind: str
    active: bool
    used_by_plan: bool
    created_at: datetime
    updated_at: datetime


class DeletedOut(msgspec.Struct):
    id: uuid.UUID
    deleted: bool  # false: a plan lists the item, so it was deactivated instead
    active: bool
