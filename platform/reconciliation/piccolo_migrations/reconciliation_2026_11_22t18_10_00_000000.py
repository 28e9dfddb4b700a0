"""Row-level security, keys, checks and indexes for reconciliation."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from pawpay.platform.db.rls import drop_rls, raw_sql_migration, tenant_table_rls

ID = "2026-11-22T18:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "row-level security, keys, checks, indexes"

FORWARDS = [
    *tenant_table_rls("recon_run"),
    *tenant_table_rls("recon_difference"),
    "ALTER TABLE recon_run ADD CONSTRAINT recon_run_fk_tenant FOREIGN KEY (tenant_id) REFERENCES tenant(id)",
    "ALTER TABLE recon_difference ADD CONSTRAINT recon_difference_fk_tenant "
    "FOREIGN KEY (tenant_id) REFERENCES tenant(id)",
    "ALTER TABLE recon_run ADD CONSTRAINT recon_run_uq_tenant_id UNIQUE (tenant_id, id)",
    "ALTER TABLE recon_difference ADD CONSTRAINT recon_difference_fk_run "
    "FOREIGN KEY (tenant_id, run_id) REFERENCES recon_run(tenant_id, id)",
    "ALTER TABLE recon_run ADD CONSTRAINT recon_run_ck_status CHECK (status IN ('clean', 'differences', 'failed'))",
    "ALTER TABLE recon_difference ADD CONSTRAINT recon_difference_ck_kind "
    "CHECK (kind IN ('missing_in_ledger', 'extra_in_ledger', 'amount_mismatch'))",
    "ALTER TABLE recon_difference ADD CONSTRAINT recon_difference_ck_status CHECK (status IN ('open', 'resolved'))",
    "ALTER TABLE recon_difference ADD CONSTRAINT recon_difference_ck_resolved "
    "CHECK ((status = 'resolved') = (resolved_at IS NOT NULL AND resolution <> ''))",
    "CREATE INDEX recon_run_ix_day ON recon_run (business_day)",
    "CREATE INDEX recon_difference_ix_tenant_status ON recon_difference (tenant_id, status)",
]

BACKWARDS = [
    "DROP INDEX IF EXISTS recon_difference_ix_tenant_status",
    "DROP INDEX IF EXISTS recon_run_ix_day",
    "ALTER TABLE recon_difference DROP CONSTRAINT IF EXISTS recon_difference_ck_resolved",
    "ALTER TABLE recon_difference DROP CONSTRAINT IF EXISTS recon_difference_ck_status",
    "ALTER TABLE recon_difference DROP CONSTRAINT IF EXISTS recon_difference_ck_kind",
    "ALTER TABLE recon_run DROP CONSTRAINT IF EXISTS recon_run_ck_status",
    "ALTER TABLE recon_difference DROP CONSTRAINT IF EXISTS recon_difference_fk_run",
    "ALTER TABLE recon_run DROP CONSTRAINT IF EXISTS recon_run_uq_tenant_id",
    "ALTER TABLE recon_difference DROP CONSTRAINT IF EXISTS recon_difference_fk_tenant",
    "ALTER TABLE recon_run DROP CONSTRAINT IF EXISTS recon_run_fk_tenant",
    *drop_rls("recon_difference", ["recon_difference_tenant_isolation"]),
    *drop_rls("recon_run", ["recon_run_tenant_isolation"]),
]


async def forwards() -> MigrationManager:
    return raw_sql_migration(ID, "reconciliation", DESCRIPTION, FORWARDS, BACKWARDS)
