"""Row-level security and the tenant foreign key for invitations."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from pawpay.platform.db.rls import drop_rls, raw_sql_migration, tenant_table_rls

ID = "2026-11-22T17:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "invitation row-level security"

FORWARDS = [
    *tenant_table_rls("invitation"),
    "ALTER TABLE invitation ADD CONSTRAINT invitation_fk_tenant FOREIGN KEY (tenant_id) REFERENCES tenant(id)",
    "CREATE INDEX invitation_ix_tenant_email ON invitation (tenant_id, email)",
]
BACKWARDS = [
    "DROP INDEX IF EXISTS invitation_ix_tenant_email",
    "ALTER TABLE invitation DROP CONSTRAINT IF EXISTS invitation_fk_tenant",
    *drop_rls("invitation", ["invitation_tenant_isolation"]),
]


async def forwards() -> MigrationManager:
    return raw_sql_migration(ID, "identity", DESCRIPTION, FORWARDS, BACKWARDS)
