"""DDL for Row-Level Security, used by every component's raw migrations.

Two kinds of protected table:

* **tenant tables** carry ``tenant_id``; a row is visible and writable only inside
  ``tenant_scope()`` for that tenant, or inside ``platform_scope()``.
* **platform tables** (tenants, operator data, sessions, scheduler rows) are visible only inside
  ``platform_scope()``.

Outside any scope both return nothing (fail closed). ``FORCE`` makes even the table owner obey.
One statement per string: piccolo's ``run_ddl`` prepares statements and refuses several at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

TENANT_SETTING = "app.tenant_id"
PLATFORM_SETTING = "app.platform_scope"

CURRENT_TENANT = f"NULLIF(current_setting('{TENANT_SETTING}', true), '')::uuid"
IN_PLATFORM_SCOPE = f"(current_setting('{PLATFORM_SETTING}', true) = 'on')"


def _check_identifier(name: str) -> str:
    if not name.replace("_", "").isalnum() or not name[0].isalpha():
        raise ValueError(f"not a plain SQL identifier: {name!r}")
    return name


def tenant_table_rls(table: str, *, nullable_tenant: bool = False) -> list[str]:
    """Statements that isolate ``table`` by its ``tenant_id`` column.

    ``nullable_tenant``: rows with ``tenant_id IS NULL`` belong to the platform (e.g. operator
    accounts) and are visible only in platform scope; the same policy covers them.
    """
    del nullable_tenant  # NULL never equals the current tenant, so the one policy already covers it
    t = _check_identifier(table)
    condition = f"(tenant_id = {CURRENT_TENANT} OR {IN_PLATFORM_SCOPE})"
    return [
        f"ALTER TABLE {t} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {t} FORCE ROW LEVEL SECURITY",
        f"CREATE POLICY {t}_tenant_isolation ON {t} USING {condition} WITH CHECK {condition}",
    ]


def platform_table_rls(table: str) -> list[str]:
    """Statements that make ``table`` reachable only inside ``platform_scope()``."""
    t = _check_identifier(table)
    return [
        f"ALTER TABLE {t} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {t} FORCE ROW LEVEL SECURITY",
        f"CREATE POLICY {t}_platform_only ON {t} USING {IN_PLATFORM_SCOPE} WITH CHECK {IN_PLATFORM_SCOPE}",
    ]


def drop_rls(table: str, policies: Sequence[str]) -> list[str]:
    t = _check_identifier(table)
    return [f"DROP POLICY IF EXISTS {_check_identifier(p)} ON {t}" for p in policies] + [
        f"ALTER TABLE {t} NO FORCE ROW LEVEL SECURITY",
        f"ALTER TABLE {t} DISABLE ROW LEVEL SECURITY",
    ]


def append_only(table: str) -> list[str]:
    """Make the database itself refuse UPDATE, DELETE and TRUNCATE on ``table``."""
    t = _check_identifier(table)
    return [
        "CREATE OR REPLACE FUNCTION pawpay_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION 'table % is append-only', TG_TABLE_NAME "
        "USING ERRCODE = 'insufficient_privilege'; END $$",
        f"CREATE TRIGGER {t}_append_only BEFORE UPDATE OR DELETE ON {t} "
        "FOR EACH ROW EXECUTE FUNCTION pawpay_refuse_change()",
        f"CREATE TRIGGER {t}_no_truncate BEFORE TRUNCATE ON {t} "
        "FOR EACH STATEMENT EXECUTE FUNCTION pawpay_refuse_change()",
    ]


async def run_statements(statements: Sequence[str]) -> None:
    """Run DDL one statement at a time on the migration's engine (inside its transaction)."""
    from piccolo.engine.finder import engine_finder

    engine = engine_finder()
    assert engine is not None
    for statement in statements:
        await engine.run_ddl(statement)


def raw_sql_migration(
    migration_id: str, app_name: str, description: str, forwards: Sequence[str], backwards: Sequence[str]
) -> Any:
    """A piccolo migration that runs ``forwards`` (and, rolled back, ``backwards``) one statement
    at a time. Use it as a raw migration's whole ``forwards()``::

        async def forwards():
            return raw_sql_migration(ID, "my_app", DESCRIPTION, FORWARDS, BACKWARDS)

    piccolo runs a migration's raw steps *before* its table steps, so SQL that needs the tables
    (RLS, triggers, foreign keys) goes in a migration of its own, after the auto migration.
    """
    from piccolo.apps.migrations.auto.migration_manager import MigrationManager

    manager = MigrationManager(migration_id=migration_id, app_name=app_name, description=description)

    async def run() -> None:
        await run_statements(forwards)

    async def run_backwards() -> None:
        await run_statements(backwards)

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
