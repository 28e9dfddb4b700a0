"""Row-level security, foreign keys, checks and tenant-first indexes for settlement."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from pawpay.platform.db.rls import drop_rls, raw_sql_migration, tenant_table_rls

ID = "2026-11-22T17:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "row-level security, keys, checks, indexes"

_TABLES = ["settlement_item", "settlement_refund", "settlement_batch", "settlement_line", "settlement_schedule"]

FORWARDS = [
    *(stmt for table in _TABLES for stmt in tenant_table_rls(table)),
    *(f"ALTER TABLE {t} ADD CONSTRAINT {t}_fk_tenant FOREIGN KEY (tenant_id) REFERENCES tenant(id)" for t in _TABLES),
    "ALTER TABLE settlement_item ADD CONSTRAINT settlement_item_uq_tenant_id UNIQUE (tenant_id, id)",
    "ALTER TABLE settlement_batch ADD CONSTRAINT settlement_batch_uq_tenant_id UNIQUE (tenant_id, id)",
    "ALTER TABLE settlement_item ADD CONSTRAINT settlement_item_ck_amounts "
    "CHECK (amount_fen > 0 AND fee_fen >= 0 AND refunded_fen >= 0 AND fee_fen + refunded_fen <= amount_fen)",
    "ALTER TABLE settlement_item ADD CONSTRAINT settlement_item_ck_days CHECK (settlement_days BETWEEN 1 AND 30)",
    "ALTER TABLE settlement_item ADD CONSTRAINT settlement_item_ck_status CHECK (status IN "
    "('held', 'calendar_pending', 'releasing', 'released', 'deposit_held', 'deposit_released'))",
    "ALTER TABLE settlement_item ADD CONSTRAINT settlement_item_ck_releasable "
    "CHECK ((status = 'calendar_pending') = (releasable_on IS NULL))",
    "CREATE INDEX settlement_item_ix_tenant_status_releasable ON settlement_item (tenant_id, status, releasable_on)",
    "ALTER TABLE settlement_refund ADD CONSTRAINT settlement_refund_fk_item "
    "FOREIGN KEY (tenant_id, item_id) REFERENCES settlement_item(tenant_id, id)",
    "ALTER TABLE settlement_refund ADD CONSTRAINT settlement_refund_ck_amount CHECK (amount_fen > 0)",
    "ALTER TABLE settlement_batch ADD CONSTRAINT settlement_batch_ck_status "
    "CHECK (status IN ('running', 'completed', 'incomplete'))",
    "CREATE INDEX settlement_batch_ix_day ON settlement_batch (business_day)",
    "ALTER TABLE settlement_line ADD CONSTRAINT settlement_line_fk_batch "
    "FOREIGN KEY (tenant_id, batch_id) REFERENCES settlement_batch(tenant_id, id)",
    "ALTER TABLE settlement_line ADD CONSTRAINT settlement_line_fk_item "
    "FOREIGN KEY (tenant_id, item_id) REFERENCES settlement_item(tenant_id, id)",
    "ALTER TABLE settlement_line ADD CONSTRAINT settlement_line_ck_status "
    "CHECK (status IN ('pending', 'unknown', 'succeeded', 'failed', 'withheld'))",
    "ALTER TABLE settlement_line ADD CONSTRAINT settlement_line_ck_amounts "
    "CHECK (gross_fen = fee_fen + refund_fen + deposit_fen + release_fen AND release_fen >= 0 AND deposit_fen >= 0)",
    "CREATE INDEX settlement_line_ix_tenant_status ON settlement_line (tenant_id, status)",
    "CREATE INDEX settlement_schedule_ix_next_run ON settlement_schedule (next_run_at)",
]

BACKWARDS = [
    "DROP INDEX IF EXISTS settlement_schedule_ix_next_run",
    "DROP INDEX IF EXISTS settlement_line_ix_tenant_status",
    "ALTER TABLE settlement_line DROP CONSTRAINT IF EXISTS settlement_line_ck_amounts",
    "ALTER TABLE settlement_line DROP CONSTRAINT IF EXISTS settlement_line_ck_status",
    "ALTER TABLE settlement_line DROP CONSTRAINT IF EXISTS settlement_line_fk_item",
    "ALTER TABLE settlement_line DROP CONSTRAINT IF EXISTS settlement_line_fk_batch",
    "DROP INDEX IF EXISTS settlement_batch_ix_day",
    "ALTER TABLE settlement_batch DROP CONSTRAINT IF EXISTS settlement_batch_ck_status",
    "ALTER TABLE settlement_refund DROP CONSTRAINT IF EXISTS settlement_refund_ck_amount",
    "ALTER TABLE settlement_refund DROP CONSTRAINT IF EXISTS settlement_refund_fk_item",
    "DROP INDEX IF EXISTS settlement_item_ix_tenant_status_releasable",
    "ALTER TABLE settlement_item DROP CONSTRAINT IF EXISTS settlement_item_ck_releasable",
    "ALTER TABLE settlement_item DROP CONSTRAINT IF EXISTS settlement_item_ck_status",
    "ALTER TABLE settlement_item DROP CONSTRAINT IF EXISTS settlement_item_ck_days",
    "ALTER TABLE settlement_item DROP CONSTRAINT IF EXISTS settlement_item_ck_amounts",
    "ALTER TABLE settlement_batch DROP CONSTRAINT IF EXISTS settlement_batch_uq_tenant_id",
    "ALTER TABLE settlement_item DROP CONSTRAINT IF EXISTS settlement_item_uq_tenant_id",
    *(f"ALTER TABLE {t} DROP CONSTRAINT IF EXISTS {t}_fk_tenant" for t in _TABLES),
    *(stmt for table in reversed(_TABLES) for stmt in drop_rls(table, [f"{table}_tenant_isolation"])),
]


async def forwards() -> MigrationManager:
    return raw_sql_migration(ID, "settlement", DESCRIPTION, FORWARDS, BACKWARDS)
