"""The receipt outbox's due-work index."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from pawpay.platform.db.rls import raw_sql_migration

ID = "2026-11-22T20:18:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "billing: due-work index of the debit receipts"

FORWARDS = [
    "CREATE INDEX debit_attempt_ix_receipt_due ON debit_attempt (receipt_due_at) WHERE receipt_due_at IS NOT NULL",
]
BACKWARDS = [
    "DROP INDEX IF EXISTS debit_attempt_ix_receipt_due",
]


async def forwards() -> MigrationManager:
    return raw_sql_migration(ID, "billing", DESCRIPTION, FORWARDS, BACKWARDS)
