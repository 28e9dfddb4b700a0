"""Row-level security (platform only), foreign keys, checks and the queue's indexes."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from pawpay.platform.db.rls import drop_rls, platform_table_rls, raw_sql_migration

ID = "2026-11-22T17:21:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "row-level security, foreign keys, checks, indexes"

_TABLES = ("store_application", "application_document", "application_check", "application_event")
_STATES = "('draft', 'submitted', 'in_review', 'approved', 'rejected', 'needs_info')"

FORWARDS = [
    *[statement for table in _TABLES for statement in platform_table_rls(table)],
    f"ALTER TABLE store_application ADD CONSTRAINT store_application_ck_state CHECK (state IN {_STATES})",
    "ALTER TABLE store_application ADD CONSTRAINT store_application_fk_tenant "
    "FOREIGN KEY (provisioned_tenant_id) REFERENCES tenant(id)",
    "CREATE INDEX store_application_ix_state_submitted ON store_application (state, submitted_at)",
    "CREATE INDEX store_application_ix_assigned ON store_application (assigned_to, state)",
    "CREATE INDEX store_application_ix_id_index ON store_application (legal_rep_id_index)",
    # One USCC per open or approved application; the service checks first and answers 409.
    "CREATE UNIQUE INDEX store_application_uq_uscc_held ON store_application (uscc) "
    "WHERE state IN ('submitted', 'in_review', 'needs_info', 'approved')",
    "ALTER TABLE application_document ADD CONSTRAINT application_document_fk_application "
    "FOREIGN KEY (application_id) REFERENCES store_application(id) ON DELETE CASCADE",
    "ALTER TABLE application_check ADD CONSTRAINT application_check_fk_application "
    "FOREIGN KEY (application_id) REFERENCES store_application(id) ON DELETE CASCADE",
    "ALTER TABLE application_check ADD CONSTRAINT application_check_ck_status "
    "CHECK (status IN ('passed', 'failed', 'pending', 'error'))",
    "ALTER TABLE application_event ADD CONSTRAINT application_event_fk_application "
    "FOREIGN KEY (application_id) REFERENCES store_application(id) ON DELETE CASCADE",
    "CREATE INDEX application_event_ix_application_created ON application_event (application_id, created_at)",
]
BACKWARDS = [
    "DROP INDEX IF EXISTS application_event_ix_application_created",
    "ALTER TABLE application_event DROP CONSTRAINT IF EXISTS application_event_fk_application",
    "ALTER TABLE application_check DROP CONSTRAINT IF EXISTS application_check_ck_status",
    "ALTER TABLE application_check DROP CONSTRAINT IF EXISTS application_check_fk_application",
    "ALTER TABLE application_document DROP CONSTRAINT IF EXISTS application_document_fk_application",
    "DROP INDEX IF EXISTS store_application_uq_uscc_held",
    "DROP INDEX IF EXISTS store_application_ix_id_index",
    "DROP INDEX IF EXISTS store_application_ix_assigned",
    "DROP INDEX IF EXISTS store_application_ix_state_submitted",
    "ALTER TABLE store_application DROP CONSTRAINT IF EXISTS store_application_fk_tenant",
    "ALTER TABLE store_application DROP CONSTRAINT IF EXISTS store_application_ck_state",
    *[statement for table in reversed(_TABLES) for statement in drop_rls(table, [f"{table}_platform_only"])],
]


async def forwards() -> MigrationManager:
    return raw_sql_migration(ID, "onboarding", DESCRIPTION, FORWARDS, BACKWARDS)
