"""Row-level security for the tenant clocks (tenant table) and the periodic jobs (platform table)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from pawpay.platform.db.rls import drop_rls, platform_table_rls, raw_sql_migration, tenant_table_rls

ID = "2026-11-22T15:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "row-level security"

FORWARDS = [
    *tenant_table_rls("tenant_clock"),
    *platform_table_rls("scheduled_job"),
    "ALTER TABLE tenant_clock ADD CONSTRAINT tenant_clock_fk_tenant FOREIGN KEY (tenant_id) REFERENCES tenant(id)",
    "ALTER TABLE scheduled_job ADD CONSTRAINT scheduled_job_ck_interval CHECK (interval_seconds > 0)",
]
BACKWARDS = [
    "ALTER TABLE scheduled_job DROP CONSTRAINT IF EXISTS scheduled_job_ck_interval",
    "ALTER TABLE tenant_clock DROP CONSTRAINT IF EXISTS tenant_clock_fk_tenant",
    *drop_rls("scheduled_job", ["scheduled_job_platform_only"]),
    *drop_rls("tenant_clock", ["tenant_clock_tenant_isolation"]),
]


async def forwards() -> MigrationManager:
    return raw_sql_migration(ID, "jobs", DESCRIPTION, FORWARDS, BACKWARDS)
