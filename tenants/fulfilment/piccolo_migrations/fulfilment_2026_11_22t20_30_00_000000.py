"""Row-level security, checks, the one-box-per-period and one-reship-per-ticket rules, due-work indexes."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from pawpay.platform.db.rls import drop_rls, raw_sql_migration, tenant_table_rls

ID = "2026-11-22T20:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "row-level security, checks, unique period/ticket, due-work indexes"

TABLES = ["fulfilment_shipment", "fulfilment_tracking_event"]

FORWARDS = [
    *[statement for table in TABLES for statement in tenant_table_rls(table)],
    "ALTER TABLE fulfilment_shipment ADD CONSTRAINT fulfilment_shipment_ck_kind CHECK (kind IN ('period', 'reship'))",
    "ALTER TABLE fulfilment_shipment ADD CONSTRAINT fulfilment_shipment_ck_status CHECK (status IN ('pending', "
    "'exception', 'accepted', 'picked', 'shipped', 'in_transit', 'out_for_delivery', 'delivered', 'problem', "
    "'returned', 'cancelled'))",
    "ALTER TABLE fulfilment_shipment ADD CONSTRAINT fulfilment_shipment_ck_postage CHECK (postage_fen >= 0)",
    "ALTER TABLE fulfilment_shipment ADD CONSTRAINT fulfilment_shipment_ck_period CHECK "
    "(kind <> 'period' OR installment_id IS NOT NULL)",
    "CREATE UNIQUE INDEX fulfilment_shipment_uq_period ON fulfilment_shipment (tenant_id, installment_id) "
    "WHERE kind = 'period'",
    "CREATE UNIQUE INDEX fulfilment_shipment_uq_ticket ON fulfilment_shipment (tenant_id, ticket_id) "
    "WHERE ticket_id IS NOT NULL",
    "CREATE INDEX fulfilment_shipment_ix_submit_due ON fulfilment_shipment (submit_at) WHERE submit_at IS NOT NULL",
    "CREATE INDEX fulfilment_shipment_ix_poll_due ON fulfilment_shipment (poll_at) WHERE poll_at IS NOT NULL",
    "CREATE INDEX fulfilment_shipment_ix_tenant_status ON fulfilment_shipment (tenant_id, status, created_at)",
    "CREATE INDEX fulfilment_shipment_ix_tenant_contract ON fulfilment_shipment (tenant_id, contract_id)",
    "CREATE INDEX fulfilment_shipment_ix_tenant_customer ON fulfilment_shipment (tenant_id, customer_id)",
    "ALTER TABLE fulfilment_tracking_event ADD CONSTRAINT fulfilment_tracking_event_fk_shipment FOREIGN KEY "
    "(tenant_id, shipment_id) REFERENCES fulfilment_shipment(tenant_id, id)",
]
BACKWARDS = [
    "ALTER TABLE fulfilment_tracking_event DROP CONSTRAINT IF EXISTS fulfilment_tracking_event_fk_shipment",
    "DROP INDEX IF EXISTS fulfilment_shipment_ix_tenant_customer",
    "DROP INDEX IF EXISTS fulfilment_shipment_ix_tenant_contract",
    "DROP INDEX IF EXISTS fulfilment_shipment_ix_tenant_status",
    "DROP INDEX IF EXISTS fulfilment_shipment_ix_poll_due",
    "DROP INDEX IF EXISTS fulfilment_shipment_ix_submit_due",
    "DROP INDEX IF EXISTS fulfilment_shipment_uq_ticket",
    "DROP INDEX IF EXISTS fulfilment_shipment_uq_period",
    "ALTER TABLE fulfilment_shipment DROP CONSTRAINT IF EXISTS fulfilment_shipment_ck_period",
    "ALTER TABLE fulfilment_shipment DROP CONSTRAINT IF EXISTS fulfilment_shipment_ck_postage",
    "ALTER TABLE fulfilment_shipment DROP CONSTRAINT IF EXISTS fulfilment_shipment_ck_status",
    "ALTER TABLE fulfilment_shipment DROP CONSTRAINT IF EXISTS fulfilment_shipment_ck_kind",
    *[statement for table in reversed(TABLES) for statement in drop_rls(table, [f"{table}_tenant_isolation"])],
]


async def forwards() -> MigrationManager:
    return raw_sql_migration(ID, "fulfilment", DESCRIPTION, FORWARDS, BACKWARDS)
