"""A declined penalty can be settled by hand: the statuses paid_to_store and waived."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from pawpay.platform.db.rls import raw_sql_migration

ID = "2026-11-23T00:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "penalty: settled by hand (paid to the store, waived)"

FORWARDS = [
    "ALTER TABLE dunning_penalty DROP CONSTRAINT dunning_penalty_ck_status",
    "ALTER TABLE dunning_penalty ADD CONSTRAINT dunning_penalty_ck_status CHECK (status IN "
    "('due', 'submitted', 'unknown', 'succeeded', 'failed', 'paid_to_store', 'waived'))",
]
BACKWARDS = [
    "ALTER TABLE dunning_penalty DROP CONSTRAINT dunning_penalty_ck_status",
    "ALTER TABLE dunning_penalty ADD CONSTRAINT dunning_penalty_ck_status CHECK (status IN "
    "('due', 'submitted', 'unknown', 'succeeded', 'failed'))",
]


async def forwards() -> MigrationManager:
    return raw_sql_migration(ID, "dunning", DESCRIPTION, FORWARDS, BACKWARDS)
