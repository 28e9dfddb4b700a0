"""A signing abandoned half-way expires (state ``expired``)."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from pawpay.platform.db.rls import raw_sql_migration

ID = "2026-11-22T18:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "signing state expired"

FORWARDS = [
    "ALTER TABLE signing DROP CONSTRAINT IF EXISTS signing_ck_state",
    "ALTER TABLE signing ADD CONSTRAINT signing_ck_state CHECK (state IN "
    "('in_progress', 'manual_review', 'declined', 'completed', 'expired'))",
    "CREATE INDEX signing_ix_stale ON signing (updated_at) WHERE state IN ('in_progress', 'manual_review')",
]
BACKWARDS = [
    "DROP INDEX IF EXISTS signing_ix_stale",
    "ALTER TABLE signing DROP CONSTRAINT IF EXISTS signing_ck_state",
    "ALTER TABLE signing ADD CONSTRAINT signing_ck_state CHECK (state IN "
    "('in_progress', 'manual_review', 'declined', 'completed'))",
]


async def forwards() -> MigrationManager:
    return raw_sql_migration(ID, "signing", DESCRIPTION, FORWARDS, BACKWARDS)
