"""Row-level security for the tenant table: a store sees only its own row; operators all."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from pawpay.platform.db.rls import CURRENT_TENANT, IN_PLATFORM_SCOPE, run_statements

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
    manager = MigrationManager(migration_id=ID, app_name="tenancy", description=DESCRIPTION)

    async def run() -> None:
        await run_statements(FORWARDS)

    async def run_backwards() -> None:
        await run_statements(BACKWARDS)

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
