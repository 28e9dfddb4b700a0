"""Row-level security and foreign keys for webhook deliveries and events."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from pawpay.platform.db.rls import drop_rls, raw_sql_migration, tenant_table_rls

ID = "2026-11-22T16:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "row-level security"

FORWARDS = [
    *tenant_table_rls("webhook_delivery"),
    *tenant_table_rls("webhook_event"),
    "ALTER TABLE webhook_delivery ADD CONSTRAINT webhook_delivery_fk_tenant FOREIGN KEY (tenant_id) "
    "REFERENCES tenant(id)",
    "ALTER TABLE webhook_event ADD CONSTRAINT webhook_event_fk_delivery FOREIGN KEY (delivery_id) "
    "REFERENCES webhook_delivery(id)",
    "CREATE INDEX webhook_event_ix_due ON webhook_event (process_after) WHERE processed_at IS NULL",
]
BACKWARDS = [
    "DROP INDEX IF EXISTS webhook_event_ix_due",
    "ALTER TABLE webhook_event DROP CONSTRAINT IF EXISTS webhook_event_fk_delivery",
    "ALTER TABLE webhook_delivery DROP CONSTRAINT IF EXISTS webhook_delivery_fk_tenant",
    *drop_rls("webhook_event", ["webhook_event_tenant_isolation"]),
    *drop_rls("webhook_delivery", ["webhook_delivery_tenant_isolation"]),
]


async def forwards() -> MigrationManager:
    return raw_sql_migration(ID, "webhooks", DESCRIPTION, FORWARDS, BACKWARDS)
