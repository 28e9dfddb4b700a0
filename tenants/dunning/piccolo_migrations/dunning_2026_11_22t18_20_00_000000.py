"""Row-level security, foreign keys, checks and the partial indexes of the due work."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from pawpay.platform.db.rls import drop_rls, raw_sql_migration, tenant_table_rls

ID = "2026-11-22T18:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "row-level security, foreign keys, checks, due-work indexes"

TABLES = ["dunning_ladder_step", "dunning_template", "dunning_forbidden_phrase", "dunning_case", "dunning_step_run",
          "dunning_contact", "dunning_task", "dunning_action", "dunning_pause", "dunning_ending"]

FORWARDS = [
    *[statement for table in TABLES for statement in tenant_table_rls(table)],
    "ALTER TABLE dunning_ladder_step ADD CONSTRAINT dunning_ladder_step_ck_action CHECK (action IN "
    "('sms', 'mini_program', 'task', 'extension_offer', 'escalate'))",
    "ALTER TABLE dunning_ladder_step ADD CONSTRAINT dunning_ladder_step_ck_day CHECK (day_offset BETWEEN 0 AND 365)",
    "ALTER TABLE dunning_case ADD CONSTRAINT dunning_case_ck_status CHECK (status IN ('open', 'closed'))",
    "CREATE INDEX dunning_case_ix_due ON dunning_case (next_run_at) WHERE next_run_at IS NOT NULL",
    "CREATE INDEX dunning_case_ix_tenant_status ON dunning_case (tenant_id, status, opened_at)",
    "ALTER TABLE dunning_step_run ADD CONSTRAINT dunning_step_run_fk_case FOREIGN KEY (tenant_id, case_id) "
    "REFERENCES dunning_case(tenant_id, id)",
    "CREATE INDEX dunning_contact_ix_tenant_installment ON dunning_contact (tenant_id, installment_id, created_at)",
    "CREATE INDEX dunning_task_ix_tenant_status_due ON dunning_task (tenant_id, status, due_at)",
    "ALTER TABLE dunning_task ADD CONSTRAINT dunning_task_ck_status CHECK (status IN ('open', 'done', 'cancelled'))",
    "CREATE INDEX dunning_action_ix_tenant_installment ON dunning_action (tenant_id, installment_id, created_at)",
    "CREATE INDEX dunning_pause_ix_due ON dunning_pause (resume_at) WHERE resume_at IS NOT NULL",
    "CREATE INDEX dunning_pause_ix_tenant_contract ON dunning_pause (tenant_id, contract_id)",
    "CREATE INDEX dunning_ending_ix_tenant_contract ON dunning_ending (tenant_id, contract_id)",
]
BACKWARDS = [
    "DROP INDEX IF EXISTS dunning_ending_ix_tenant_contract",
    "DROP INDEX IF EXISTS dunning_pause_ix_tenant_contract",
    "DROP INDEX IF EXISTS dunning_pause_ix_due",
    "DROP INDEX IF EXISTS dunning_action_ix_tenant_installment",
    "ALTER TABLE dunning_task DROP CONSTRAINT IF EXISTS dunning_task_ck_status",
    "DROP INDEX IF EXISTS dunning_task_ix_tenant_status_due",
    "DROP INDEX IF EXISTS dunning_contact_ix_tenant_installment",
    "ALTER TABLE dunning_step_run DROP CONSTRAINT IF EXISTS dunning_step_run_fk_case",
    "DROP INDEX IF EXISTS dunning_case_ix_tenant_status",
    "DROP INDEX IF EXISTS dunning_case_ix_due",
    "ALTER TABLE dunning_case DROP CONSTRAINT IF EXISTS dunning_case_ck_status",
    "ALTER TABLE dunning_ladder_step DROP CONSTRAINT IF EXISTS dunning_ladder_step_ck_day",
    "ALTER TABLE dunning_ladder_step DROP CONSTRAINT IF EXISTS dunning_ladder_step_ck_action",
    *[statement for table in reversed(TABLES) for statement in drop_rls(table, [f"{table}_tenant_isolation"])],
]


async def forwards() -> MigrationManager:
    return raw_sql_migration(ID, "dunning", DESCRIPTION, FORWARDS, BACKWARDS)
