"""Row-level security, foreign keys, checks and the partial index of the SLA due work."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from pawpay.platform.db.rls import drop_rls, raw_sql_migration, tenant_table_rls

ID = "2026-11-22T20:16:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "row-level security, foreign keys, checks, SLA due-work index"

TABLES = ["aftersales_ticket", "aftersales_ticket_event", "aftersales_ticket_photo", "aftersales_clinic_coupon"]

FORWARDS = [
    *[statement for table in TABLES for statement in tenant_table_rls(table)],
    "ALTER TABLE aftersales_ticket ADD CONSTRAINT aftersales_ticket_ck_kind CHECK (kind IN "
    "('damaged', 'near_expiry', 'missing', 'wrong_item', 'pet_health', 'complaint'))",
    "ALTER TABLE aftersales_ticket ADD CONSTRAINT aftersales_ticket_ck_state CHECK (state IN "
    "('open', 'in_progress', 'waiting_customer', 'resolved', 'closed'))",
    "ALTER TABLE aftersales_ticket ADD CONSTRAINT aftersales_ticket_ck_postage CHECK (reship_postage_fen >= 0)",
    "CREATE INDEX aftersales_ticket_ix_due ON aftersales_ticket (escalate_at) WHERE escalate_at IS NOT NULL",
    "CREATE INDEX aftersales_ticket_ix_tenant_state ON aftersales_ticket (tenant_id, state, sla_deadline)",
    "CREATE INDEX aftersales_ticket_ix_tenant_customer ON aftersales_ticket (tenant_id, customer_id, created_at)",
    "ALTER TABLE aftersales_ticket_event ADD CONSTRAINT aftersales_ticket_event_fk_ticket FOREIGN KEY "
    "(tenant_id, ticket_id) REFERENCES aftersales_ticket(tenant_id, id)",
    "CREATE INDEX aftersales_ticket_event_ix_ticket ON aftersales_ticket_event (tenant_id, ticket_id, created_at)",
    "ALTER TABLE aftersales_ticket_photo ADD CONSTRAINT aftersales_ticket_photo_fk_ticket FOREIGN KEY "
    "(tenant_id, ticket_id) REFERENCES aftersales_ticket(tenant_id, id)",
    "CREATE INDEX aftersales_ticket_photo_ix_ticket ON aftersales_ticket_photo (tenant_id, ticket_id)",
    "ALTER TABLE aftersales_clinic_coupon ADD CONSTRAINT aftersales_clinic_coupon_fk_ticket FOREIGN KEY "
    "(tenant_id, ticket_id) REFERENCES aftersales_ticket(tenant_id, id)",
    "ALTER TABLE aftersales_clinic_coupon ADD CONSTRAINT aftersales_clinic_coupon_ck_discount CHECK "
    "(discount_kind IN ('percent', 'amount') AND discount_value > 0)",
]
BACKWARDS = [
    "ALTER TABLE aftersales_clinic_coupon DROP CONSTRAINT IF EXISTS aftersales_clinic_coupon_ck_discount",
    "ALTER TABLE aftersales_clinic_coupon DROP CONSTRAINT IF EXISTS aftersales_clinic_coupon_fk_ticket",
    "DROP INDEX IF EXISTS aftersales_ticket_photo_ix_ticket",
    "ALTER TABLE aftersales_ticket_photo DROP CONSTRAINT IF EXISTS aftersales_ticket_photo_fk_ticket",
    "DROP INDEX IF EXISTS aftersales_ticket_event_ix_ticket",
    "ALTER TABLE aftersales_ticket_event DROP CONSTRAINT IF EXISTS aftersales_ticket_event_fk_ticket",
    "DROP INDEX IF EXISTS aftersales_ticket_ix_tenant_customer",
    "DROP INDEX IF EXISTS aftersales_ticket_ix_tenant_state",
    "DROP INDEX IF EXISTS aftersales_ticket_ix_due",
    "ALTER TABLE aftersales_ticket DROP CONSTRAINT IF EXISTS aftersales_ticket_ck_postage",
    "ALTER TABLE aftersales_ticket DROP CONSTRAINT IF EXISTS aftersales_ticket_ck_state",
    "ALTER TABLE aftersales_ticket DROP CONSTRAINT IF EXISTS aftersales_ticket_ck_kind",
    *[statement for table in reversed(TABLES) for statement in drop_rls(table, [f"{table}_tenant_isolation"])],
]


async def forwards() -> MigrationManager:
    return raw_sql_migration(ID, "aftersales", DESCRIPTION, FORWARDS, BACKWARDS)
