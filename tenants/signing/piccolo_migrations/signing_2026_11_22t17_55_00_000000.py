"""Row-level security, indexes and checks of the signing tables."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from pawpay.platform.db.rls import drop_rls, raw_sql_migration, tenant_table_rls

ID = "2026-11-22T17:55:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "row-level security, indexes and checks of the signing tables"

FORWARDS = [
    *tenant_table_rls("signing_otp"),
    *tenant_table_rls("signing_session"),
    *tenant_table_rls("signing"),
    *tenant_table_rls("risk_decision"),
    "CREATE INDEX signing_otp_ix_tenant_phone ON signing_otp (tenant_id, phone_index, created_at DESC)",
    "CREATE INDEX signing_session_ix_tenant_phone ON signing_session (tenant_id, phone_index)",
    "CREATE INDEX signing_ix_tenant_phone ON signing (tenant_id, phone_index, created_at DESC)",
    "CREATE INDEX signing_ix_tenant_state ON signing (tenant_id, state, updated_at DESC)",
    # Platform-scope anti-fraud counts (the same ID or phone in other stores) read these.
    "CREATE INDEX signing_ix_id_index ON signing (id_index, tenant_id) WHERE id_index <> ''",
    "CREATE INDEX signing_ix_phone_index ON signing (phone_index, tenant_id)",
    "CREATE INDEX risk_decision_ix_tenant_signing ON risk_decision (tenant_id, signing_id, created_at)",
    "ALTER TABLE signing ADD CONSTRAINT signing_uq_tenant_id UNIQUE (tenant_id, id)",
    "ALTER TABLE risk_decision ADD CONSTRAINT risk_decision_fk_signing FOREIGN KEY (tenant_id, signing_id) "
    "REFERENCES signing(tenant_id, id)",
    "ALTER TABLE signing ADD CONSTRAINT signing_ck_state CHECK (state IN "
    "('in_progress', 'manual_review', 'declined', 'completed'))",
    "ALTER TABLE risk_decision ADD CONSTRAINT risk_decision_ck_outcome CHECK (outcome IN "
    "('approve', 'conditional', 'decline', 'manual_review'))",
    "ALTER TABLE signing_otp ADD CONSTRAINT signing_otp_ck_attempts CHECK (attempts >= 0)",
]
BACKWARDS = [
    "ALTER TABLE signing_otp DROP CONSTRAINT IF EXISTS signing_otp_ck_attempts",
    "ALTER TABLE risk_decision DROP CONSTRAINT IF EXISTS risk_decision_ck_outcome",
    "ALTER TABLE signing DROP CONSTRAINT IF EXISTS signing_ck_state",
    "ALTER TABLE risk_decision DROP CONSTRAINT IF EXISTS risk_decision_fk_signing",
    "ALTER TABLE signing DROP CONSTRAINT IF EXISTS signing_uq_tenant_id",
    "DROP INDEX IF EXISTS risk_decision_ix_tenant_signing",
    "DROP INDEX IF EXISTS signing_ix_phone_index",
    "DROP INDEX IF EXISTS signing_ix_id_index",
    "DROP INDEX IF EXISTS signing_ix_tenant_state",
    "DROP INDEX IF EXISTS signing_ix_tenant_phone",
    "DROP INDEX IF EXISTS signing_session_ix_tenant_phone",
    "DROP INDEX IF EXISTS signing_otp_ix_tenant_phone",
    *drop_rls("risk_decision", ["risk_decision_tenant_isolation"]),
    *drop_rls("signing", ["signing_tenant_isolation"]),
    *drop_rls("signing_session", ["signing_session_tenant_isolation"]),
    *drop_rls("signing_otp", ["signing_otp_tenant_isolation"]),
]


async def forwards() -> MigrationManager:
    return raw_sql_migration(ID, "signing", DESCRIPTION, FORWARDS, BACKWARDS)
