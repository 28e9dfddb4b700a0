"""One message-log row per provider message id: a re-sent message (a retried job) is not logged twice."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from pawpay.platform.db.rls import raw_sql_migration

ID = "2026-11-22T21:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "customer_message: unique message key per store"

FORWARDS = [
    "CREATE UNIQUE INDEX customer_message_ux_key ON customer_message (tenant_id, message_key) "
    "WHERE message_key IS NOT NULL",
]
BACKWARDS = [
    "DROP INDEX IF EXISTS customer_message_ux_key",
]


async def forwards() -> MigrationManager:
    return raw_sql_migration(ID, "customers", DESCRIPTION, FORWARDS, BACKWARDS)
