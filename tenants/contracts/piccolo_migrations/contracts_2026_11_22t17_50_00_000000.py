"""Row-level security, foreign keys, one open contract per pet, append-only evidence, checks."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from pawpay.platform.db.rls import append_only, drop_rls, raw_sql_migration, tenant_table_rls

ID = "2026-11-22T17:50:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "row-level security, foreign keys, one open contract per pet, append-only evidence"

FORWARDS = [
    *tenant_table_rls("contract"),
    *tenant_table_rls("installment"),
    *tenant_table_rls("contract_evidence"),
    "ALTER TABLE contract ADD CONSTRAINT contract_fk_customer FOREIGN KEY (tenant_id, customer_id) "
    "REFERENCES customer(tenant_id, id)",
    "ALTER TABLE contract ADD CONSTRAINT contract_fk_pet FOREIGN KEY (tenant_id, pet_id) REFERENCES pet(tenant_id, id)",
    # Two signings of the same pet at once: the second one's INSERT/UPDATE fails here (409).
    "CREATE UNIQUE INDEX contract_uq_tenant_pet_open ON contract (tenant_id, pet_id) "
    "WHERE state IN ('pending_signature', 'active')",
    "CREATE INDEX contract_ix_tenant_customer ON contract (tenant_id, customer_id)",
    "CREATE INDEX contract_ix_tenant_state_created ON contract (tenant_id, state, created_at DESC)",
    "ALTER TABLE contract ADD CONSTRAINT contract_ck_state CHECK (state IN "
    "('draft', 'pending_signature', 'active', 'completed', 'terminated', 'cancelled'))",
    "ALTER TABLE contract ADD CONSTRAINT contract_ck_debit_day CHECK (debit_day IN (5, 10, 15))",
    "ALTER TABLE contract ADD CONSTRAINT contract_ck_amounts CHECK (periods > 0 AND monthly_amount_fen > 0 "
    "AND total_fen = periods * monthly_amount_fen)",
    "ALTER TABLE installment ADD CONSTRAINT installment_fk_contract FOREIGN KEY (tenant_id, contract_id) "
    "REFERENCES contract(tenant_id, id)",
    "ALTER TABLE installment ADD CONSTRAINT installment_ck_status CHECK (status IN "
    "('due', 'paid', 'failed', 'paused', 'waived', 'cancelled'))",
    "ALTER TABLE installment ADD CONSTRAINT installment_ck_amount CHECK (amount_fen > 0)",
    "CREATE INDEX installment_ix_tenant_due ON installment (tenant_id, due_on) WHERE status IN ('due', 'failed')",
    "ALTER TABLE contract_evidence ADD CONSTRAINT contract_evidence_fk_contract FOREIGN KEY (tenant_id, contract_id) "
    "REFERENCES contract(tenant_id, id)",
    *append_only("contract_evidence"),
]
BACKWARDS = [
    "DROP TRIGGER IF EXISTS contract_evidence_append_only ON contract_evidence",
    "DROP TRIGGER IF EXISTS contract_evidence_no_truncate ON contract_evidence",
    "ALTER TABLE contract_evidence DROP CONSTRAINT IF EXISTS contract_evidence_fk_contract",
    "DROP INDEX IF EXISTS installment_ix_tenant_due",
    "ALTER TABLE installment DROP CONSTRAINT IF EXISTS installment_ck_amount",
    "ALTER TABLE installment DROP CONSTRAINT IF EXISTS installment_ck_status",
    "ALTER TABLE installment DROP CONSTRAINT IF EXISTS installment_fk_contract",
    "ALTER TABLE contract DROP CONSTRAINT IF EXISTS contract_ck_amounts",
    "ALTER TABLE contract DROP CONSTRAINT IF EXISTS contract_ck_debit_day",
    "ALTER TABLE contract DROP CONSTRAINT IF EXISTS contract_ck_state",
    "DROP INDEX IF EXISTS contract_ix_tenant_state_created",
    "DROP INDEX IF EXISTS contract_ix_tenant_customer",
    "DROP INDEX IF EXISTS contract_uq_tenant_pet_open",
    "ALTER TABLE contract DROP CONSTRAINT IF EXISTS contract_fk_pet",
    "ALTER TABLE contract DROP CONSTRAINT IF EXISTS contract_fk_customer",
    *drop_rls("contract_evidence", ["contract_evidence_tenant_isolation"]),
    *drop_rls("installment", ["installment_tenant_isolation"]),
    *drop_rls("contract", ["contract_tenant_isolation"]),
]


async def forwards() -> MigrationManager:
    return raw_sql_migration(ID, "contracts", DESCRIPTION, FORWARDS, BACKWARDS)
