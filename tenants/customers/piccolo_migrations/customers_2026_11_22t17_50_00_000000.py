"""Row-level security, foreign keys and checks of the customers tables."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from pawpay.platform.db.rls import drop_rls, raw_sql_migration, tenant_table_rls

ID = "2026-11-22T17:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "row-level security, foreign keys, checks"

FORWARDS = [
    *tenant_table_rls("customer"),
    *tenant_table_rls("pet"),
    *tenant_table_rls("customer_message"),
    "ALTER TABLE customer ADD CONSTRAINT customer_fk_tenant FOREIGN KEY (tenant_id) REFERENCES tenant(id)",
    "CREATE INDEX customer_ix_tenant_phone ON customer (tenant_id, phone_index)",
    "CREATE INDEX customer_ix_tenant_created ON customer (tenant_id, created_at DESC)",
    "ALTER TABLE pet ADD CONSTRAINT pet_fk_customer FOREIGN KEY (tenant_id, customer_id) "
    "REFERENCES customer(tenant_id, id)",
    "CREATE INDEX pet_ix_tenant_customer ON pet (tenant_id, customer_id)",
    "ALTER TABLE pet ADD CONSTRAINT pet_ck_species CHECK (species IN ('cat', 'dog'))",
    "ALTER TABLE pet ADD CONSTRAINT pet_ck_dates CHECK (adoption_date IS NULL OR birthday <= adoption_date)",
    "ALTER TABLE customer_message ADD CONSTRAINT customer_message_fk_customer FOREIGN KEY (tenant_id, customer_id) "
    "REFERENCES customer(tenant_id, id)",
    "ALTER TABLE customer_message ADD CONSTRAINT customer_message_ck_channel "
    "CHECK (channel IN ('sms', 'mini_program'))",
    "CREATE INDEX customer_message_ix_tenant_customer ON customer_message (tenant_id, customer_id, created_at DESC)",
]
BACKWARDS = [
    "DROP INDEX IF EXISTS customer_message_ix_tenant_customer",
    "ALTER TABLE customer_message DROP CONSTRAINT IF EXISTS customer_message_ck_channel",
    "ALTER TABLE customer_message DROP CONSTRAINT IF EXISTS customer_message_fk_customer",
    "ALTER TABLE pet DROP CONSTRAINT IF EXISTS pet_ck_dates",
    "ALTER TABLE pet DROP CONSTRAINT IF EXISTS pet_ck_species",
    "DROP INDEX IF EXISTS pet_ix_tenant_customer",
    "ALTER TABLE pet DROP CONSTRAINT IF EXISTS pet_fk_customer",
    "DROP INDEX IF EXISTS customer_ix_tenant_created",
    "DROP INDEX IF EXISTS customer_ix_tenant_phone",
    "ALTER TABLE customer DROP CONSTRAINT IF EXISTS customer_fk_tenant",
    *drop_rls("customer_message", ["customer_message_tenant_isolation"]),
    *drop_rls("pet", ["pet_tenant_isolation"]),
    *drop_rls("customer", ["customer_tenant_isolation"]),
]


async def forwards() -> MigrationManager:
    return raw_sql_migration(ID, "customers", DESCRIPTION, FORWARDS, BACKWARDS)
