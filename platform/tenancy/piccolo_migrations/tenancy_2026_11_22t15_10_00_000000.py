"""Row-level security for the tenant table: a store sees only its own row; operators all."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from pawpay.platform.db.rls import CURRENT_TENANT, IN_PLATFORM_SCOPE, raw_sql_migration

ID = "2026-11-22T15:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "row-level security"

_CONDITION = f"(id = {CURRENT_TENANT} OR {IN_PLATFORM_SCOPE})"
FORWARDS = [
    "ALTER TABLE tenant ENABLE ROW LEVEL SECURITY",
    "ALTER TABLE tenant FORCE ROW LEVEL SECURITY",
    f"CREATE POLICY tenant_own_row ON tenant USING {_CONDITION} WITH CHECK ({IN_PLATFORM_SCOPE})",
]
BACKWARDS = [
    "DROP POLICY IF EXISTS tenant_own_row ON tenant",
    "ALTER TABLE tenant NO FORCE ROW LEVEL SECURITY",
    "ALTER TABLE tenant DISABLE ROW LEVEL SECURITY",
]


async def forwards() -> MigrationManager:
    return raw_sql_migration(ID, "tenancy", DESCRIPTION, FORWARDS, BACKWARDS)
