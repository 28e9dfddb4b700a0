"""Row-level security, foreign keys, checks and the due-list index of the visits."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from pawpay.platform.db.rls import drop_rls, raw_sql_migration, tenant_table_rls

ID = "2026-11-22T20:25:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "row-level security, foreign keys, checks, due-list index"

FORWARDS = [
    *tenant_table_rls("visit"),
    "ALTER TABLE visit ADD CONSTRAINT visit_fk_contract FOREIGN KEY (tenant_id, contract_id) "
    "REFERENCES contract(tenant_id, id)",
    "ALTER TABLE visit ADD CONSTRAINT visit_fk_pet FOREIGN KEY (tenant_id, pet_id) REFERENCES pet(tenant_id, id)",
    "ALTER TABLE visit ADD CONSTRAINT visit_ck_day CHECK (day IN (7, 30))",
    "ALTER TABLE visit ADD CONSTRAINT visit_ck_status CHECK (status IN ('open', 'done', 'cancelled'))",
    "ALTER TABLE visit ADD CONSTRAINT visit_ck_settled CHECK (settled IN ('', 'yes', 'somewhat', 'no'))",
    "ALTER TABLE visit ADD CONSTRAINT visit_ck_satisfaction "
    "CHECK (satisfaction IS NULL OR satisfaction BETWEEN 1 AND 5)",
    "ALTER TABLE visit ADD CONSTRAINT visit_ck_done CHECK (status <> 'done' OR (settled <> '' AND satisfaction IS NOT "
    "NULL AND completed_at IS NOT NULL))",
    "CREATE INDEX visit_ix_tenant_status_due ON visit (tenant_id, status, due_on)",
]
BACKWARDS = [
    "DROP INDEX IF EXISTS visit_ix_tenant_status_due",
    "ALTER TABLE visit DROP CONSTRAINT IF EXISTS visit_ck_done",
    "ALTER TABLE visit DROP CONSTRAINT IF EXISTS visit_ck_satisfaction",
    "ALTER TABLE visit DROP CONSTRAINT IF EXISTS visit_ck_settled",
    "ALTER TABLE visit DROP CONSTRAINT IF EXISTS visit_ck_status",
    "ALTER TABLE visit DROP CONSTRAINT IF EXISTS visit_ck_day",
    "ALTER TABLE visit DROP CONSTRAINT IF EXISTS visit_fk_pet",
    "ALTER TABLE visit DROP CONSTRAINT IF EXISTS visit_fk_contract",
    *drop_rls("visit", ["visit_tenant_isolation"]),
]


async def forwards() -> MigrationManager:
    manager: MigrationManager = raw_sql_migration(ID, "visits", DESCRIPTION, FORWARDS, BACKWARDS)
    return manager
