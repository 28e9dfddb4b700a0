"""A line's amounts include the advance repayment split (gross = fee + refund + deposit + split + release)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from pawpay.platform.db.rls import raw_sql_migration

ID = "2026-11-22T18:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "advance repayment splits in statement lines"

FORWARDS = [
    "ALTER TABLE settlement_line DROP CONSTRAINT settlement_line_ck_amounts",
    "ALTER TABLE settlement_line ADD CONSTRAINT settlement_line_ck_amounts "
    "CHECK (gross_fen = fee_fen + refund_fen + deposit_fen + split_fen + release_fen AND release_fen >= 0 "
    "AND deposit_fen >= 0 AND split_fen >= 0 AND (split_fen = 0) = (split_ref = ''))",
    "CREATE INDEX settlement_line_ix_tenant_split ON settlement_line (tenant_id, split_ref) WHERE split_ref <> ''",
]

BACKWARDS = [
    "DROP INDEX IF EXISTS settlement_line_ix_tenant_split",
    "ALTER TABLE settlement_line DROP CONSTRAINT settlement_line_ck_amounts",
    "ALTER TABLE settlement_line ADD CONSTRAINT settlement_line_ck_amounts "
    "CHECK (gross_fen = fee_fen + refund_fen + deposit_fen + release_fen AND release_fen >= 0 AND deposit_fen >= 0)",
]


async def forwards() -> MigrationManager:
    return raw_sql_migration(ID, "settlement", DESCRIPTION, FORWARDS, BACKWARDS)
