"""Row-level security, tenant foreign keys, append-only terms and bounds checks for the merchants app."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from pawpay.platform.db.rls import append_only, drop_rls, raw_sql_migration, tenant_table_rls

ID = "2026-11-22T17:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "row-level security, append-only terms"

FORWARDS = [
    *tenant_table_rls("merchant_terms"),
    *tenant_table_rls("merchant_profile"),
    *tenant_table_rls("merchant_reminder"),
    "ALTER TABLE merchant_terms ADD CONSTRAINT merchant_terms_fk_tenant FOREIGN KEY (tenant_id) REFERENCES tenant(id)",
    "ALTER TABLE merchant_profile ADD CONSTRAINT merchant_profile_fk_tenant "
    "FOREIGN KEY (tenant_id) REFERENCES tenant(id)",
    "ALTER TABLE merchant_reminder ADD CONSTRAINT merchant_reminder_fk_tenant "
    "FOREIGN KEY (tenant_id) REFERENCES tenant(id)",
    "ALTER TABLE merchant_terms ADD CONSTRAINT merchant_terms_ck_version CHECK (version >= 1)",
    "ALTER TABLE merchant_terms ADD CONSTRAINT merchant_terms_ck_fee CHECK (fee_rate_bp BETWEEN 0 AND 1000)",
    "ALTER TABLE merchant_terms ADD CONSTRAINT merchant_terms_ck_settlement CHECK (settlement_days IN (1, 7))",
    "ALTER TABLE merchant_terms ADD CONSTRAINT merchant_terms_ck_deposit CHECK (deposit_ratio_bp >= 3000)",
    "ALTER TABLE merchant_terms ADD CONSTRAINT merchant_terms_ck_cooling_off "
    "CHECK (cooling_off_days_min >= 0 AND cooling_off_days_min <= cooling_off_days_max)",
    *append_only("merchant_terms"),
]
BACKWARDS = [
    "DROP TRIGGER IF EXISTS merchant_terms_append_only ON merchant_terms",
    "DROP TRIGGER IF EXISTS merchant_terms_no_truncate ON merchant_terms",
    "ALTER TABLE merchant_terms DROP CONSTRAINT IF EXISTS merchant_terms_ck_cooling_off",
    "ALTER TABLE merchant_terms DROP CONSTRAINT IF EXISTS merchant_terms_ck_deposit",
    "ALTER TABLE merchant_terms DROP CONSTRAINT IF EXISTS merchant_terms_ck_settlement",
    "ALTER TABLE merchant_terms DROP CONSTRAINT IF EXISTS merchant_terms_ck_fee",
    "ALTER TABLE merchant_terms DROP CONSTRAINT IF EXISTS merchant_terms_ck_version",
    "ALTER TABLE merchant_reminder DROP CONSTRAINT IF EXISTS merchant_reminder_fk_tenant",
    "ALTER TABLE merchant_profile DROP CONSTRAINT IF EXISTS merchant_profile_fk_tenant",
    "ALTER TABLE merchant_terms DROP CONSTRAINT IF EXISTS merchant_terms_fk_tenant",
    *drop_rls("merchant_reminder", ["merchant_reminder_tenant_isolation"]),
    *drop_rls("merchant_profile", ["merchant_profile_tenant_isolation"]),
    *drop_rls("merchant_terms", ["merchant_terms_tenant_isolation"]),
]


async def forwards() -> MigrationManager:
    return raw_sql_migration(ID, "merchants", DESCRIPTION, FORWARDS, BACKWARDS)
