"""The debit attempts' lease index: the scheduler's backpressure counts the attempts in flight."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from pawpay.platform.db.rls import raw_sql_migration

ID = "2026-11-22T23:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "billing: index of the leased debit attempts (backpressure)"

FORWARDS = [
    "CREATE INDEX debit_attempt_ix_lease ON debit_attempt (lease_until) WHERE lease_until IS NOT NULL",
]
BACKWARDS = [
    "DROP INDEX IF EXISTS debit_attempt_ix_lease",
]


async def forwards() -> MigrationManager:
    return raw_sql_migration(ID, "billing", DESCRIPTION, FORWARDS, BACKWARDS)
