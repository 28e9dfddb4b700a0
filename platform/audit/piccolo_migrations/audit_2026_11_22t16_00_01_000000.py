"""List indexes in the log's order: newest first, ties broken by the sequence number."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from pawpay.platform.db.rls import raw_sql_migration

ID = "2026-11-22T16:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "audit list indexes with the sequence number"

FORWARDS = [
    "DROP INDEX IF EXISTS audit_entry_ix_tenant_created",
    "DROP INDEX IF EXISTS audit_entry_ix_created",
    "CREATE INDEX audit_entry_ix_tenant_created ON audit_entry (tenant_id, created_at DESC, seq DESC)",
    "CREATE INDEX audit_entry_ix_created ON audit_entry (created_at DESC, seq DESC)",
]
BACKWARDS = [
    "DROP INDEX IF EXISTS audit_entry_ix_created",
    "DROP INDEX IF EXISTS audit_entry_ix_tenant_created",
    "CREATE INDEX audit_entry_ix_tenant_created ON audit_entry (tenant_id, created_at DESC)",
    "CREATE INDEX audit_entry_ix_created ON audit_entry (created_at DESC)",
]


async def forwards() -> MigrationManager:
    return raw_sql_migration(ID, "audit", DESCRIPTION, FORWARDS, BACKWARDS)
