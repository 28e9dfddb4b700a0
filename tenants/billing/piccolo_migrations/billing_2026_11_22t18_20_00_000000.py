"""Row-level security, foreign keys, due-work indexes and checks for billing."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from pawpay.platform.db.rls import append_only, drop_rls, raw_sql_migration, tenant_table_rls

ID = "2026-11-22T18:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "billing: row-level security, foreign keys, due-work indexes, append-only points"

FORWARDS = [
    *tenant_table_rls("debit_attempt"),
    *tenant_table_rls("debit_reminder"),
    *tenant_table_rls("points_entry"),
    *tenant_table_rls("billing_settings"),
    "ALTER TABLE debit_attempt ADD CONSTRAINT debit_attempt_fk_installment FOREIGN KEY (installment_id) "
    "REFERENCES installment(id)",
    "ALTER TABLE debit_attempt ADD CONSTRAINT debit_attempt_ck_status CHECK (status IN "
    "('planned', 'submitted', 'succeeded', 'failed', 'unknown', 'cancelled'))",
    "ALTER TABLE debit_attempt ADD CONSTRAINT debit_attempt_ck_amount "
    "CHECK (amount_fen > 0 AND fee_fen >= 0 AND fee_fen <= amount_fen)",
    # At most one success per installment (the rail's one success per cycle), whatever happens.
    "CREATE UNIQUE INDEX debit_attempt_uq_installment_succeeded ON debit_attempt (tenant_id, installment_id) "
    "WHERE status = 'succeeded'",
    "CREATE INDEX debit_attempt_ix_due ON debit_attempt (next_attempt_at) WHERE next_attempt_at IS NOT NULL",
    "CREATE INDEX debit_attempt_ix_tenant_installment ON debit_attempt (tenant_id, installment_id, attempt_no)",
    "CREATE INDEX debit_attempt_ix_tenant_created ON debit_attempt (tenant_id, created_at DESC)",
    "ALTER TABLE debit_reminder ADD CONSTRAINT debit_reminder_fk_installment FOREIGN KEY (installment_id) "
    "REFERENCES installment(id)",
    "CREATE INDEX debit_reminder_ix_due ON debit_reminder (send_at) WHERE send_at IS NOT NULL",
    "CREATE INDEX points_entry_ix_tenant_customer ON points_entry (tenant_id, customer_id)",
    *append_only("points_entry"),
]
BACKWARDS = [
    "DROP TRIGGER IF EXISTS points_entry_append_only ON points_entry",
    "DROP TRIGGER IF EXISTS points_entry_no_truncate ON points_entry",
    "DROP INDEX IF EXISTS points_entry_ix_tenant_customer",
    "DROP INDEX IF EXISTS debit_reminder_ix_due",
    "ALTER TABLE debit_reminder DROP CONSTRAINT IF EXISTS debit_reminder_fk_installment",
    "DROP INDEX IF EXISTS debit_attempt_ix_tenant_created",
    "DROP INDEX IF EXISTS debit_attempt_ix_tenant_installment",
    "DROP INDEX IF EXISTS debit_attempt_ix_due",
    "DROP INDEX IF EXISTS debit_attempt_uq_installment_succeeded",
    "ALTER TABLE debit_attempt DROP CONSTRAINT IF EXISTS debit_attempt_ck_amount",
    "ALTER TABLE debit_attempt DROP CONSTRAINT IF EXISTS debit_attempt_ck_status",
    "ALTER TABLE debit_attempt DROP CONSTRAINT IF EXISTS debit_attempt_fk_installment",
    *drop_rls("billing_settings", ["billing_settings_tenant_isolation"]),
    *drop_rls("points_entry", ["points_entry_tenant_isolation"]),
    *drop_rls("debit_reminder", ["debit_reminder_tenant_isolation"]),
    *drop_rls("debit_attempt", ["debit_attempt_tenant_isolation"]),
]


async def forwards() -> MigrationManager:
    return raw_sql_migration(ID, "billing", DESCRIPTION, FORWARDS, BACKWARDS)
