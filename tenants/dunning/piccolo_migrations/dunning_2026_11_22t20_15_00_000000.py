"""Row-level security, checks and the due-work index of the penalty table."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from pawpay.platform.db.rls import drop_rls, raw_sql_migration, tenant_table_rls

ID = "2026-11-22T20:15:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "penalty: row-level security, checks, due-work index"

FORWARDS = [
    *tenant_table_rls("dunning_penalty"),
    "ALTER TABLE dunning_penalty ADD CONSTRAINT dunning_penalty_ck_status CHECK (status IN "
    "('due', 'submitted', 'unknown', 'succeeded', 'failed'))",
    "ALTER TABLE dunning_penalty ADD CONSTRAINT dunning_penalty_ck_amount CHECK (amount_fen > 0 AND fee_fen >= 0 "
    "AND fee_fen <= amount_fen)",
    "CREATE INDEX dunning_penalty_ix_due ON dunning_penalty (charge_at) WHERE charge_at IS NOT NULL",
    "CREATE INDEX dunning_penalty_ix_tenant_contract ON dunning_penalty (tenant_id, contract_id)",
]
BACKWARDS = [
    "DROP INDEX IF EXISTS dunning_penalty_ix_tenant_contract",
    "DROP INDEX IF EXISTS dunning_penalty_ix_due",
    "ALTER TABLE dunning_penalty DROP CONSTRAINT IF EXISTS dunning_penalty_ck_amount",
    "ALTER TABLE dunning_penalty DROP CONSTRAINT IF EXISTS dunning_penalty_ck_status",
    *drop_rls("dunning_penalty", ["dunning_penalty_tenant_isolation"]),
]


async def forwards() -> MigrationManager:
    return raw_sql_migration(ID, "dunning", DESCRIPTION, FORWARDS, BACKWARDS)
