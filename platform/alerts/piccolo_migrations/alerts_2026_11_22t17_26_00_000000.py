"""Operators only (platform-table RLS); one open alert per key; the status is one of two values."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from pawpay.platform.db.rls import drop_rls, platform_table_rls, raw_sql_migration

ID = "2026-11-22T17:26:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "row-level security, one open alert per key"

FORWARDS = [
    *platform_table_rls("operator_alert"),
    "ALTER TABLE operator_alert ADD CONSTRAINT operator_alert_ck_status CHECK (status IN ('open', 'resolved'))",
    "ALTER TABLE operator_alert ADD CONSTRAINT operator_alert_ck_resolved "
    "CHECK ((status = 'open') = (resolved_at IS NULL))",
    # raise_alert upserts on this: re-raising an open key updates it instead of adding a row.
    "CREATE UNIQUE INDEX operator_alert_uq_open_key ON operator_alert (key) WHERE status = 'open'",
    "CREATE INDEX operator_alert_ix_status_last_seen ON operator_alert (status, last_seen_at DESC)",
]
BACKWARDS = [
    "DROP INDEX IF EXISTS operator_alert_ix_status_last_seen",
    "DROP INDEX IF EXISTS operator_alert_uq_open_key",
    "ALTER TABLE operator_alert DROP CONSTRAINT IF EXISTS operator_alert_ck_resolved",
    "ALTER TABLE operator_alert DROP CONSTRAINT IF EXISTS operator_alert_ck_status",
    *drop_rls("operator_alert", ["operator_alert_platform_only"]),
]


async def forwards() -> MigrationManager:
    return raw_sql_migration(ID, "alerts", DESCRIPTION, FORWARDS, BACKWARDS)
