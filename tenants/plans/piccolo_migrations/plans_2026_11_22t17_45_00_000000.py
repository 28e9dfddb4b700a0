"""Row-level security, foreign keys, checks and append-only plan versions."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from pawpay.platform.db.rls import append_only, drop_rls, raw_sql_migration, tenant_table_rls

ID = "2026-11-22T17:45:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "row-level security, checks, append-only versions"

FORWARDS = [
    *tenant_table_rls("plan"),
    *tenant_table_rls("plan_version"),
    *tenant_table_rls("plan_settings"),
    "ALTER TABLE plan ADD CONSTRAINT plan_fk_tenant FOREIGN KEY (tenant_id) REFERENCES tenant(id)",
    "ALTER TABLE plan ADD CONSTRAINT plan_fk_next_stage "
    "FOREIGN KEY (tenant_id, next_stage_plan_id) REFERENCES plan(tenant_id, id)",
    "ALTER TABLE plan ADD CONSTRAINT plan_ck_species CHECK (species IN ('cat', 'dog'))",
    "ALTER TABLE plan ADD CONSTRAINT plan_ck_stage CHECK (stage IN ('kitten', 'puppy', 'junior', 'adult'))",
    "ALTER TABLE plan ADD CONSTRAINT plan_ck_periods CHECK (periods BETWEEN 12 AND 24)",
    "ALTER TABLE plan ADD CONSTRAINT plan_ck_amount CHECK (monthly_amount_fen > 0)",
    "CREATE INDEX plan_ix_tenant_species_stage ON plan (tenant_id, species, stage, active)",
    "ALTER TABLE plan_version ADD CONSTRAINT plan_version_fk_plan "
    "FOREIGN KEY (tenant_id, plan_id) REFERENCES plan(tenant_id, id)",
    "ALTER TABLE plan_version ADD CONSTRAINT plan_version_ck_periods CHECK (periods BETWEEN 12 AND 24)",
    "ALTER TABLE plan_version ADD CONSTRAINT plan_version_ck_amount CHECK (monthly_amount_fen > 0)",
    "ALTER TABLE plan_version ADD CONSTRAINT plan_version_ck_version CHECK (version >= 1)",
    "ALTER TABLE plan_version ADD CONSTRAINT plan_version_ck_penalty CHECK (penalty_rate_bp BETWEEN 0 AND 10000)",
    *append_only("plan_version"),
    "ALTER TABLE plan_settings ADD CONSTRAINT plan_settings_fk_tenant FOREIGN KEY (tenant_id) REFERENCES tenant(id)",
    "ALTER TABLE plan_settings ADD CONSTRAINT plan_settings_ck_months "
    "CHECK (junior_from_months >= 1 AND adult_from_months > junior_from_months)",
]
BACKWARDS = [
    "ALTER TABLE plan_settings DROP CONSTRAINT IF EXISTS plan_settings_ck_months",
    "ALTER TABLE plan_settings DROP CONSTRAINT IF EXISTS plan_settings_fk_tenant",
    "DROP TRIGGER IF EXISTS plan_version_append_only ON plan_version",
    "DROP TRIGGER IF EXISTS plan_version_no_truncate ON plan_version",
    "ALTER TABLE plan_version DROP CONSTRAINT IF EXISTS plan_version_ck_penalty",
    "ALTER TABLE plan_version DROP CONSTRAINT IF EXISTS plan_version_ck_version",
    "ALTER TABLE plan_version DROP CONSTRAINT IF EXISTS plan_version_ck_amount",
    "ALTER TABLE plan_version DROP CONSTRAINT IF EXISTS plan_version_ck_periods",
    "ALTER TABLE plan_version DROP CONSTRAINT IF EXISTS plan_version_fk_plan",
    "DROP INDEX IF EXISTS plan_ix_tenant_species_stage",
    "ALTER TABLE plan DROP CONSTRAINT IF EXISTS plan_ck_amount",
    "ALTER TABLE plan DROP CONSTRAINT IF EXISTS plan_ck_periods",
    "ALTER TABLE plan DROP CONSTRAINT IF EXISTS plan_ck_stage",
    "ALTER TABLE plan DROP CONSTRAINT IF EXISTS plan_ck_species",
    "ALTER TABLE plan DROP CONSTRAINT IF EXISTS plan_fk_next_stage",
    "ALTER TABLE plan DROP CONSTRAINT IF EXISTS plan_fk_tenant",
    *drop_rls("plan_settings", ["plan_settings_tenant_isolation"]),
    *drop_rls("plan_version", ["plan_version_tenant_isolation"]),
    *drop_rls("plan", ["plan_tenant_isolation"]),
]


async def forwards() -> MigrationManager:
    manager: MigrationManager = raw_sql_migration(ID, "plans", DESCRIPTION, FORWARDS, BACKWARDS)
    return manager
