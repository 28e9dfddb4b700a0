"""The audit log: row-level security, append-only (the database refuses UPDATE/DELETE/TRUNCATE)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from pawpay.platform.db.rls import append_only, drop_rls, raw_sql_migration, tenant_table_rls

ID = "2026-11-22T15:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "row-level security and append-only"

FORWARDS = [
    *tenant_table_rls("audit_entry", nullable_tenant=True),
    *append_only("audit_entry"),
    "CREATE INDEX audit_entry_ix_tenant_created ON audit_entry (tenant_id, created_at DESC)",
    "CREATE INDEX audit_entry_ix_created ON audit_entry (created_at DESC)",
]
BACKWARDS = [
    "DROP INDEX IF EXISTS audit_entry_ix_created",
    "DROP INDEX IF EXISTS audit_entry_ix_tenant_created",
    "DROP TRIGGER IF EXISTS audit_entry_no_truncate ON audit_entry",
    "DROP TRIGGER IF EXISTS audit_entry_append_only ON audit_entry",
    *drop_rls("audit_entry", ["audit_entry_tenant_isolation"]),
]


async def forwards() -> MigrationManager:
    return raw_sql_migration(ID, "audit", DESCRIPTION, FORWARDS, BACKWARDS)
