"""Row-level security, keys and checks for deposits; the history is append-only."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from pawpay.platform.db.rls import append_only, drop_rls, raw_sql_migration, tenant_table_rls

ID = "2026-11-22T17:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "row-level security, keys, checks"

FORWARDS = [
    *tenant_table_rls("deposit_account"),
    *tenant_table_rls("deposit_event"),
    "ALTER TABLE deposit_account ADD CONSTRAINT deposit_account_fk_tenant FOREIGN KEY (tenant_id) REFERENCES tenant(id)",
    "ALTER TABLE deposit_event ADD CONSTRAINT deposit_event_fk_tenant FOREIGN KEY (tenant_id) REFERENCES tenant(id)",
    "ALTER TABLE deposit_account ADD CONSTRAINT deposit_account_ck_amounts "
    "CHECK (monthly_fulfilment_fen >= 0 AND ratio_bp >= 0 AND target_fen >= 0)",
    "ALTER TABLE deposit_event ADD CONSTRAINT deposit_event_ck_kind "
    "CHECK (kind IN ('target_changed', 'withheld', 'released'))",
    "CREATE INDEX deposit_event_ix_tenant_created ON deposit_event (tenant_id, created_at)",
    *append_only("deposit_event"),
]

BACKWARDS = [
    "DROP TRIGGER IF EXISTS deposit_event_no_truncate ON deposit_event",
    "DROP TRIGGER IF EXISTS deposit_event_append_only ON deposit_event",
    "DROP INDEX IF EXISTS deposit_event_ix_tenant_created",
    "ALTER TABLE deposit_event DROP CONSTRAINT IF EXISTS deposit_event_ck_kind",
    "ALTER TABLE deposit_account DROP CONSTRAINT IF EXISTS deposit_account_ck_amounts",
    "ALTER TABLE deposit_event DROP CONSTRAINT IF EXISTS deposit_event_fk_tenant",
    "ALTER TABLE deposit_account DROP CONSTRAINT IF EXISTS deposit_account_fk_tenant",
    *drop_rls("deposit_event", ["deposit_event_tenant_isolation"]),
    *drop_rls("deposit_account", ["deposit_account_tenant_isolation"]),
]


async def forwards() -> MigrationManager:
    return raw_sql_migration(ID, "deposits", DESCRIPTION, FORWARDS, BACKWARDS)
