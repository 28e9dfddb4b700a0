"""Row-level security for each store's provider choice; its tenant foreign key."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from pawpay.platform.db.rls import drop_rls, raw_sql_migration, tenant_table_rls

ID = "2026-11-22T16:06:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "row-level security"

FORWARDS = [
    *tenant_table_rls("tenant_provider"),
    "ALTER TABLE tenant_provider ADD CONSTRAINT tenant_provider_fk_tenant FOREIGN KEY (tenant_id) "
    "REFERENCES tenant(id)",
]
BACKWARDS = [
    "ALTER TABLE tenant_provider DROP CONSTRAINT IF EXISTS tenant_provider_fk_tenant",
    *drop_rls("tenant_provider", ["tenant_provider_tenant_isolation"]),
]


async def forwards() -> MigrationManager:
    return raw_sql_migration(ID, "providers", DESCRIPTION, FORWARDS, BACKWARDS)
