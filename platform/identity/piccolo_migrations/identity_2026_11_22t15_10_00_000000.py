"""Row-level security for accounts, sessions, API keys and the login throttle; tenant foreign keys."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

from pawpay.platform.db.rls import drop_rls, platform_table_rls, raw_sql_migration, tenant_table_rls

ID = "2026-11-22T15:10:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "row-level security"

FORWARDS = [
    *tenant_table_rls("account", nullable_tenant=True),
    *tenant_table_rls("web_session", nullable_tenant=True),
    *tenant_table_rls("api_key"),
    *platform_table_rls("login_throttle"),
    "ALTER TABLE account ADD CONSTRAINT account_fk_tenant FOREIGN KEY (tenant_id) REFERENCES tenant(id)",
    "ALTER TABLE api_key ADD CONSTRAINT api_key_fk_tenant FOREIGN KEY (tenant_id) REFERENCES tenant(id)",
    "ALTER TABLE web_session ADD CONSTRAINT web_session_fk_account FOREIGN KEY (account_id) "
    "REFERENCES account(id) ON DELETE CASCADE",
    "ALTER TABLE account ADD CONSTRAINT account_ck_kind CHECK ((kind = 'operator') = (tenant_id IS NULL))",
]
BACKWARDS = [
    "ALTER TABLE account DROP CONSTRAINT IF EXISTS account_ck_kind",
    "ALTER TABLE web_session DROP CONSTRAINT IF EXISTS web_session_fk_account",
    "ALTER TABLE api_key DROP CONSTRAINT IF EXISTS api_key_fk_tenant",
    "ALTER TABLE account DROP CONSTRAINT IF EXISTS account_fk_tenant",
    *drop_rls("login_throttle", ["login_throttle_platform_only"]),
    *drop_rls("api_key", ["api_key_tenant_isolation"]),
    *drop_rls("web_session", ["web_session_tenant_isolation"]),
    *drop_rls("account", ["account_tenant_isolation"]),
]


async def forwards() -> MigrationManager:
    return raw_sql_migration(ID, "identity", DESCRIPTION, FORWARDS, BACKWARDS)
