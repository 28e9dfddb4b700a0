"""Each store's choice of provider per category, with its credentials sealed.

``tenant_provider`` is a tenant table (RLS by ``tenant_id``): one row per store and category.
``config_sealed`` holds the whole validated config as JSON, sealed (AES-GCM) and bound to
``tenant:<id>:provider:<category>:<name>``, so a sealed value copied into another store's row or
another provider does not open. ``config_preview`` is what may be shown: non-secret fields in
clear, secret fields masked. The last "test connection" result lives on the same row (``check_*``).
"""

from __future__ import annotations

from piccolo.columns import JSONB, Text, Timestamptz, Varchar
from piccolo.columns.column_types import UUID
from piccolo.columns.defaults.uuid import UUID4
from piccolo.constraints import Unique
from piccolo.table import Table


class TenantProvider(Table):
    id = UUID(primary_key=True, default=UUID4())
    tenant_id = UUID(default=None, null=False, index=True)
    category = Varchar(length=32)
    provider_name = Varchar(length=40)
    config_sealed = Text()
    config_preview = JSONB(default={})
    updated_at = Timestamptz()
    updated_by = UUID(default=None, null=True)
    # The last "test connection": status is a ProviderStatus value or "timeout"/"error"; NULL: never tested.
    check_status = Varchar(length=16, null=True, default=None)
    check_code = Varchar(length=64, default="")
    check_message = Text(default="")
    checked_at = Timestamptz(null=True, default=None)
    tenant_provider_uq_tenant_category = Unique([tenant_id, category])
