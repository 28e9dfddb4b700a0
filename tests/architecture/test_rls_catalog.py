"""Row-level security, read from the catalog of the migrated test database (ARCHITECTURE §3).

Every table in ``public`` with a ``tenant_id`` column must have RLS enabled *and* forced and
policies keyed on the scope settings; every other table (piccolo's ``migration`` bookkeeping
aside) is a platform table with the same protection. A table added later without them fails
here. The application role must not be able to bypass any of it.
"""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest
from piccolo.querystring import QueryString

from pawpay.platform.db.engine import get_engine
from pawpay.platform.db.rls import PLATFORM_SETTING, TENANT_SETTING

pytestmark = pytest.mark.integration

PICCOLO_BOOKKEEPING = {"migration"}


async def _tables(owner: asyncpg.Connection) -> list[asyncpg.Record]:
    return await owner.fetch(
        """
        SELECT c.relname AS name, c.relrowsecurity AS enabled, c.relforcerowsecurity AS forced,
               EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id'
                       AND NOT a.attisdropped) AS has_tenant_id
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
        ORDER BY c.relname
        """
    )


async def _policies(owner: asyncpg.Connection, table: str) -> list[asyncpg.Record]:
    return await owner.fetch(
        "SELECT policyname, permissive, cmd, qual, with_check FROM pg_policies "
        "WHERE schemaname = 'public' AND tablename = $1",
        table,
    )


def _keyed_on_scope(expression: str | None) -> bool:
    return expression is not None and (TENANT_SETTING in expression or PLATFORM_SETTING in expression)


async def test_the_catalog_lists_the_known_tenant_tables(owner: asyncpg.Connection) -> None:
    tables = {row["name"]: row for row in await _tables(owner)}
    # A guard against the query itself silently matching nothing.
    assert {"account", "api_key", "audit_entry", "web_session"} <= {n for n, r in tables.items() if r["has_tenant_id"]}
    assert {"tenant", "login_throttle"} <= {n for n, r in tables.items() if not r["has_tenant_id"]}


async def test_every_tenant_table_has_forced_rls_and_a_tenant_policy(owner: asyncpg.Connection) -> None:
    problems = []
    for table in await _tables(owner):
        if not table["has_tenant_id"]:
            continue
        name = table["name"]
        if not table["enabled"]:
            problems.append(f"{name}: ALTER TABLE {name} ENABLE ROW LEVEL SECURITY is missing")
        if not table["forced"]:
            problems.append(f"{name}: ALTER TABLE {name} FORCE ROW LEVEL SECURITY is missing")
        policies = await _policies(owner, name)
        if not policies:
            problems.append(f"{name}: has no policy (use pawpay.platform.db.rls.tenant_table_rls)")
        elif not any(
            "tenant_id" in (p["qual"] or "") and TENANT_SETTING in (p["qual"] or "")
            and (p["with_check"] is None or TENANT_SETTING in p["with_check"] or p["cmd"] == "SELECT")
            for p in policies
        ):
            problems.append(f"{name}: no policy compares tenant_id with {TENANT_SETTING}")
        problems += _loose_policies(name, policies)
    assert not problems, "tenant tables without row-level security:\n" + "\n".join(problems)


async def test_every_platform_table_has_forced_rls(owner: asyncpg.Connection) -> None:
    problems = []
    for table in await _tables(owner):
        name = table["name"]
        if table["has_tenant_id"] or name in PICCOLO_BOOKKEEPING:
            continue
        if not (table["enabled"] and table["forced"]):
            problems.append(f"{name}: RLS enabled={table['enabled']} forced={table['forced']} "
                            "(use pawpay.platform.db.rls.platform_table_rls)")
        policies = await _policies(owner, name)
        if not policies:
            problems.append(f"{name}: has no policy")
        problems += _loose_policies(name, policies)
    assert not problems, "platform tables without row-level security:\n" + "\n".join(problems)


def _loose_policies(table: str, policies: list[asyncpg.Record]) -> list[str]:
    """Permissive policies are OR-ed: one that ignores the scope settings opens the table."""
    problems = []
    for p in policies:
        if p["permissive"] != "PERMISSIVE":
            continue
        if p["qual"] is not None and not _keyed_on_scope(p["qual"]):
            problems.append(f"{table}: policy {p['policyname']} USING ({p['qual']}) ignores the scope settings")
        if p["with_check"] is not None and not _keyed_on_scope(p["with_check"]):
            problems.append(f"{table}: policy {p['policyname']} WITH CHECK ({p['with_check']}) ignores the scope")
        if p["cmd"] in ("ALL", "INSERT", "UPDATE") and p["qual"] is None and p["with_check"] is None:
            problems.append(f"{table}: policy {p['policyname']} has no condition at all")
    return problems


async def _app_role(pawpay_database: Any) -> str:
    # Through the app's own engine: the role the running application really uses.
    rows = await get_engine().run_querystring(QueryString("SELECT current_user AS role"))
    return str(rows[0]["role"])


async def test_the_app_role_cannot_bypass_rls(owner: asyncpg.Connection, pawpay_database: Any) -> None:
    role = await _app_role(pawpay_database)
    row = await owner.fetchrow("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = $1", role)
    assert row is not None
    assert row["rolsuper"] is False, f"{role} is a superuser"
    assert row["rolbypassrls"] is False, f"{role} has BYPASSRLS"
    owned = await owner.fetch(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relowner = (SELECT oid FROM pg_roles WHERE rolname = $1)",
        role,
    )
    assert owned == [], f"{role} owns {[r['relname'] for r in owned]} (owners bypass unforced RLS, can ALTER)"


async def test_the_app_role_cannot_truncate_or_touch_migrations(
    owner: asyncpg.Connection, pawpay_database: Any
) -> None:
    role = await _app_role(pawpay_database)
    rows = await owner.fetch(
        """
        SELECT c.relname AS name,
               has_table_privilege($1, c.oid, 'TRUNCATE') AS can_truncate,
               has_table_privilege($1, c.oid, 'SELECT') AS can_select
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind = 'r'
        """,
        role,
    )
    assert rows
    assert [r["name"] for r in rows if r["can_truncate"]] == []
    migration = [r for r in rows if r["name"] == "migration"]
    assert migration
    assert not migration[0]["can_select"]
