"""Row-level security, keys and checks for advances."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from pawpay.platform.db.rls import drop_rls, raw_sql_migration, tenant_table_rls

ID = "2026-11-22T18:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "row-level security, keys, checks"

FORWARDS = [
    *tenant_table_rls("advance"),
    "ALTER TABLE advance ADD CONSTRAINT advance_fk_tenant FOREIGN KEY (tenant_id) REFERENCES tenant(id)",
    "ALTER TABLE advance ADD CONSTRAINT advance_ck_state "
    "CHECK (state IN ('requested', 'funded', 'repaying', 'repaid', 'declined', 'defaulted'))",
    "ALTER TABLE advance ADD CONSTRAINT advance_ck_amounts CHECK (principal_fen > 0 AND fee_fen >= 0 "
    "AND repaid_fen >= 0 AND defaulted_fen >= 0 AND repaid_fen + defaulted_fen <= principal_fen + fee_fen)",
    "ALTER TABLE advance ADD CONSTRAINT advance_ck_policy "
    "CHECK (guarantee_policy IN ('store_bears', 'platform_guarantee', 'partner_bears'))",
    "CREATE INDEX advance_ix_tenant_state ON advance (tenant_id, state)",
]

BACKWARDS = [
    "DROP INDEX IF EXISTS advance_ix_tenant_state",
    "ALTER TABLE advance DROP CONSTRAINT IF EXISTS advance_ck_policy",
    "ALTER TABLE advance DROP CONSTRAINT IF EXISTS advance_ck_amounts",
    "ALTER TABLE advance DROP CONSTRAINT IF EXISTS advance_ck_state",
    "ALTER TABLE advance DROP CONSTRAINT IF EXISTS advance_fk_tenant",
    *drop_rls("advance", ["advance_tenant_isolation"]),
]


async def forwards() -> MigrationManager:
    return raw_sql_migration(ID, "advances", DESCRIPTION, FORWARDS, BACKWARDS)
