"""The database roles pawpay relies on for Row-Level Security.

Migrations run as the schema owner; the application connects as ``database_app_role``, which
must be ``NOSUPERUSER NOBYPASSRLS`` and own no table, so that RLS binds it in every mode — the
embedded one included (pgserver's own user is a superuser).
"""

from __future__ import annotations

import asyncpg

from pawpay.platform.db.rls import _check_identifier

# Tables the application may read and append to, never change (audit log and its kin).
APPEND_ONLY_TRIGGER_SUFFIX = "_append_only"


class UnsafeDatabaseRole(Exception):
    """The runtime role would bypass Row-Level Security."""


async def ensure_database(server_dsn: str, database: str) -> bool:
    """Create ``database`` on the server if it does not exist; return True if it was created."""
    conn = await asyncpg.connect(server_dsn)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", database)
        if exists:
            return False
        await conn.execute(f'CREATE DATABASE "{_check_identifier(database)}"')
        return True
    finally:
        await conn.close()


async def ensure_app_role(owner_conn: asyncpg.Connection, role: str) -> None:
    """Create the login role the app connects as, if missing, and make sure it cannot bypass RLS."""
    r = _check_identifier(role)
    exists = await owner_conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role)
    if not exists:
        await owner_conn.execute(f"CREATE ROLE {r} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE")
    else:
        await owner_conn.execute(f"ALTER ROLE {r} NOSUPERUSER NOBYPASSRLS")


async def grant_app_privileges(owner_conn: asyncpg.Connection, role: str) -> None:
    """Grant the app role what it needs on every pawpay table, and no more.

    Append-only tables (those with an ``*_append_only`` trigger) get SELECT and INSERT only.
    piccolo's own ``migration`` table is never granted.
    """
    r = _check_identifier(role)
    db = await owner_conn.fetchval("SELECT current_database()")
    await owner_conn.execute(f'GRANT CONNECT ON DATABASE "{_check_identifier(db)}" TO {r}')
    await owner_conn.execute(f"GRANT USAGE ON SCHEMA public TO {r}")
    tables = await owner_conn.fetch(
        """
        SELECT c.relname AS name,
               EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid
                       AND t.tgname = c.relname || $1) AS append_only
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname <> 'migration'
        """,
        APPEND_ONLY_TRIGGER_SUFFIX,
    )
    for row in tables:
        t = _check_identifier(row["name"])
        await owner_conn.execute(f"REVOKE ALL ON {t} FROM {r}")
        privileges = "SELECT, INSERT" if row["append_only"] else "SELECT, INSERT, UPDATE, DELETE"
        await owner_conn.execute(f"GRANT {privileges} ON {t} TO {r}")
    await owner_conn.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {r}")


async def check_app_role(app_conn: asyncpg.Connection) -> None:
    """Refuse to run as a role that would bypass RLS (superuser, BYPASSRLS, or a table owner)."""
    row = await app_conn.fetchrow(
        "SELECT rolname, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
    )
    assert row is not None
    if row["rolsuper"] or row["rolbypassrls"]:
        raise UnsafeDatabaseRole(
            f"PAWPAY_DATABASE_URL connects as {row['rolname']!r}, which bypasses row-level security. "
            "Connect as the application role (PAWPAY_DATABASE_APP_ROLE, created by `pawpay migrate`)."
        )
    owned = await app_conn.fetchval(
        "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user"
    )
    if owned:
        raise UnsafeDatabaseRole(
            f"the role {row['rolname']!r} owns {owned} table(s); the application role must not own "
            "tables. Run migrations as the owner (PAWPAY_MIGRATE_DATABASE_URL)."
        )
