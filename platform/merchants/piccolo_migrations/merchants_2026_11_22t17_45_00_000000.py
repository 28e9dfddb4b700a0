"""Terms and reminders are written by the platform only: a store reads its own rows, never writes them.

(The merchant profile keeps the ordinary tenant policy: a store records its own agreement signature,
sub-merchant application and go-live request.)
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from pawpay.platform.db.rls import CURRENT_TENANT, IN_PLATFORM_SCOPE, raw_sql_migration

ID = "2026-11-22T17:45:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "terms and reminders: store reads, platform writes"

_READ = f"(tenant_id = {CURRENT_TENANT} OR {IN_PLATFORM_SCOPE})"


def _platform_writes(table: str, *, update: bool) -> list[str]:
    statements = [
        f"DROP POLICY IF EXISTS {table}_tenant_isolation ON {table}",
        f"CREATE POLICY {table}_tenant_read ON {table} FOR SELECT USING {_READ}",
        f"CREATE POLICY {table}_platform_insert ON {table} FOR INSERT WITH CHECK {IN_PLATFORM_SCOPE}",
    ]
    if update:
        statements.append(f"CREATE POLICY {table}_platform_update ON {table} FOR UPDATE "
                          f"USING {IN_PLATFORM_SCOPE} WITH CHECK {IN_PLATFORM_SCOPE}")
    return statements


def _back(table: str) -> list[str]:
    return [
        f"DROP POLICY IF EXISTS {table}_platform_update ON {table}",
        f"DROP POLICY IF EXISTS {table}_platform_insert ON {table}",
        f"DROP POLICY IF EXISTS {table}_tenant_read ON {table}",
        f"CREATE POLICY {table}_tenant_isolation ON {table} USING {_READ} WITH CHECK {_READ}",
    ]


FORWARDS = [*_platform_writes("merchant_terms", update=False), *_platform_writes("merchant_reminder", update=True)]
BACKWARDS = [*_back("merchant_reminder"), *_back("merchant_terms")]


async def forwards() -> MigrationManager:
    return raw_sql_migration(ID, "merchants", DESCRIPTION, FORWARDS, BACKWARDS)
