"""Row-level security, foreign keys and checks of the catalog tables."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from pawpay.platform.db.rls import drop_rls, raw_sql_migration, tenant_table_rls

ID = "2026-11-22T17:45:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "row-level security, checks"

FORWARDS = [
    *tenant_table_rls("catalog_sku"),
    *tenant_table_rls("catalog_service"),
    "ALTER TABLE catalog_sku ADD CONSTRAINT catalog_sku_fk_tenant FOREIGN KEY (tenant_id) REFERENCES tenant(id)",
    "ALTER TABLE catalog_service ADD CONSTRAINT catalog_service_fk_tenant FOREIGN KEY (tenant_id) REFERENCES tenant(id)",
    "ALTER TABLE catalog_sku ADD CONSTRAINT catalog_sku_ck_kind "
    "CHECK (kind IN ('food', 'litter', 'paste', 'treat', 'supply'))",
    "ALTER TABLE catalog_service ADD CONSTRAINT catalog_service_ck_kind "
    "CHECK (kind IN ('grooming', 'deworming', 'vaccine', 'checkup'))",
    "CREATE INDEX catalog_sku_ix_tenant_active ON catalog_sku (tenant_id, active, code)",
    "CREATE INDEX catalog_service_ix_tenant_active ON catalog_service (tenant_id, active, code)",
]
BACKWARDS = [
    "DROP INDEX IF EXISTS catalog_service_ix_tenant_active",
    "DROP INDEX IF EXISTS catalog_sku_ix_tenant_active",
    "ALTER TABLE catalog_service DROP CONSTRAINT IF EXISTS catalog_service_ck_kind",
    "ALTER TABLE catalog_sku DROP CONSTRAINT IF EXISTS catalog_sku_ck_kind",
    "ALTER TABLE catalog_service DROP CONSTRAINT IF EXISTS catalog_service_fk_tenant",
    "ALTER TABLE catalog_sku DROP CONSTRAINT IF EXISTS catalog_sku_fk_tenant",
    *drop_rls("catalog_service", ["catalog_service_tenant_isolation"]),
    *drop_rls("catalog_sku", ["catalog_sku_tenant_isolation"]),
]


async def forwards() -> MigrationManager:
    manager: MigrationManager = raw_sql_migration(ID, "catalog", DESCRIPTION, FORWARDS, BACKWARDS)
    return manager
