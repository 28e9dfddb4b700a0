"""The store's catalog: SKUs (goods a plan ships) and services (what a plan includes in store). Tenant tables."""

from __future__ import annotations

from piccolo.columns import Boolean, Timestamptz, Varchar
from piccolo.columns.column_types import UUID
from piccolo.columns.defaults.uuid import UUID4
from piccolo.constraints import Unique
from piccolo.table import Table


class CatalogSku(Table):
    """One stock-keeping unit of a store: ``kind`` is food | litter | paste | treat | supply."""

    id = UUID(primary_key=True, default=UUID4())
    tenant_id = UUID(default=None, null=False, index=True)
    code = Varchar(length=64)
    name = Varchar(length=200)
    kind = Varchar(length=16)
    unit = Varchar(length=32, default="")
    specification = Varchar(length=200, default="")
    warehouse_sku_code = Varchar(length=64, default="")
    active = Boolean(default=True)
    # Set once a plan version lists the SKU: from then on it is deactivated, never deleted.
    used_by_plan = Boolean(default=False)
    created_at = Timestamptz()
    updated_at = Timestamptz()

    catalog_sku_uq_tenant_code = Unique([tenant_id, code])


class CatalogService(Table):
    """One service a store performs: ``kind`` is grooming | deworming | vaccine | checkup."""

    id = UUID(primary_key=True, default=UUID4())
    tenant_id = UUID(default=None, null=False, index=True)
    code = Varchar(length=64)
    name = Varchar(length=200)
    kind = Varchar(length=16)
    active = Boolean(default=True)
    used_by_plan = Boolean(default=False)
    created_at = Timestamptz()
    updated_at = Timestamptz()

    catalog_service_uq_tenant_code = Unique([tenant_id, code])
