"""Row-level security for the calendar's reference tables: every scope reads, only the platform writes."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from pawpay.platform.db.rls import CURRENT_TENANT, IN_PLATFORM_SCOPE, PLATFORM_SETTING, drop_rls, raw_sql_migration

ID = "2026-11-22T17:25:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "row-level security: read in every scope, write in platform scope"

# Public reference data: a store's settlement job (tenant scope), the operator console (platform
# scope) and an anonymous request all classify days. The read policy names the three scopes
# explicitly (platform, a tenant, none at all) rather than USING (true), so that it stays keyed on
# the scope settings like every other policy; writes need the platform scope.
_ANY_SCOPE = (
    f"({IN_PLATFORM_SCOPE} OR {CURRENT_TENANT} IS NOT NULL "
    f"OR COALESCE(current_setting('{PLATFORM_SETTING}', true), '') <> 'on')"
)


def _public_read_platform_write(table: str) -> list[str]:
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"CREATE POLICY {table}_read_any_scope ON {table} FOR SELECT USING {_ANY_SCOPE}",
        f"CREATE POLICY {table}_insert_platform ON {table} FOR INSERT WITH CHECK {IN_PLATFORM_SCOPE}",
        f"CREATE POLICY {table}_update_platform ON {table} FOR UPDATE "
        f"USING {IN_PLATFORM_SCOPE} WITH CHECK {IN_PLATFORM_SCOPE}",
        f"CREATE POLICY {table}_delete_platform ON {table} FOR DELETE USING {IN_PLATFORM_SCOPE}",
    ]


def _policies(table: str) -> list[str]:
    return [f"{table}_{p}" for p in ("read_any_scope", "insert_platform", "update_platform", "delete_platform")]


FORWARDS = [
    *_public_read_platform_write("business_day_override"),
    *_public_read_platform_write("business_calendar_year"),
    "ALTER TABLE business_calendar_year ADD CONSTRAINT business_calendar_year_ck_year "
    "CHECK (year BETWEEN 2000 AND 2200)",
]
BACKWARDS = [
    "ALTER TABLE business_calendar_year DROP CONSTRAINT IF EXISTS business_calendar_year_ck_year",
    *drop_rls("business_calendar_year", _policies("business_calendar_year")),
    *drop_rls("business_day_override", _policies("business_day_override")),
]


async def forwards() -> MigrationManager:
    return raw_sql_migration(ID, "business_calendar", DESCRIPTION, FORWARDS, BACKWARDS)
