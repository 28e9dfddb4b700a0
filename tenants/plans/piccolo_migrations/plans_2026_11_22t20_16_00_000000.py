"""Row-level security, foreign keys and checks of the pet overrides and stage switches."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from pawpay.platform.db.rls import drop_rls, raw_sql_migration, tenant_table_rls

ID = "2026-11-22T20:16:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "row-level security of pet overrides and stage switches"

FORWARDS = [
    *tenant_table_rls("pet_plan_override"),
    *tenant_table_rls("plan_stage_switch"),
    "ALTER TABLE pet_plan_override ADD CONSTRAINT pet_plan_override_fk_pet "
    "FOREIGN KEY (tenant_id, pet_id) REFERENCES pet(tenant_id, id)",
    "ALTER TABLE pet_plan_override ADD CONSTRAINT pet_plan_override_fk_plan "
    "FOREIGN KEY (tenant_id, plan_id) REFERENCES plan(tenant_id, id)",
    "ALTER TABLE pet_plan_override ADD CONSTRAINT pet_plan_override_ck_reason CHECK (length(btrim(reason)) > 0)",
    "ALTER TABLE pet_plan_override ADD CONSTRAINT pet_plan_override_ck_what "
    "CHECK (plan_id IS NOT NULL OR jsonb_array_length(lines) > 0)",
    "ALTER TABLE plan_stage_switch ADD CONSTRAINT plan_stage_switch_fk_pet "
    "FOREIGN KEY (tenant_id, pet_id) REFERENCES pet(tenant_id, id)",
    "ALTER TABLE plan_stage_switch ADD CONSTRAINT plan_stage_switch_fk_plan "
    "FOREIGN KEY (tenant_id, plan_id) REFERENCES plan(tenant_id, id)",
    "ALTER TABLE plan_stage_switch ADD CONSTRAINT plan_stage_switch_ck_stages CHECK ("
    "to_stage IN ('kitten', 'puppy', 'junior', 'adult') AND from_stage IN ('kitten', 'puppy', 'junior', 'adult') "
    "AND to_stage <> from_stage)",
    "CREATE INDEX plan_stage_switch_ix_tenant_contract ON plan_stage_switch (tenant_id, contract_id, sequence)",
]
BACKWARDS = [
    "DROP INDEX IF EXISTS plan_stage_switch_ix_tenant_contract",
    "ALTER TABLE plan_stage_switch DROP CONSTRAINT IF EXISTS plan_stage_switch_ck_stages",
    "ALTER TABLE plan_stage_switch DROP CONSTRAINT IF EXISTS plan_stage_switch_fk_plan",
    "ALTER TABLE plan_stage_switch DROP CONSTRAINT IF EXISTS plan_stage_switch_fk_pet",
    "ALTER TABLE pet_plan_override DROP CONSTRAINT IF EXISTS pet_plan_override_ck_what",
    "ALTER TABLE pet_plan_override DROP CONSTRAINT IF EXISTS pet_plan_override_ck_reason",
    "ALTER TABLE pet_plan_override DROP CONSTRAINT IF EXISTS pet_plan_override_fk_plan",
    "ALTER TABLE pet_plan_override DROP CONSTRAINT IF EXISTS pet_plan_override_fk_pet",
    *drop_rls("plan_stage_switch", ["plan_stage_switch_tenant_isolation"]),
    *drop_rls("pet_plan_override", ["pet_plan_override_tenant_isolation"]),
]


async def forwards() -> MigrationManager:
    manager: MigrationManager = raw_sql_migration(ID, "plans", DESCRIPTION, FORWARDS, BACKWARDS)
    return manager
