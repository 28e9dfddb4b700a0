"""Migrations are safe to run from several processes at once, and a failing one changes nothing.

Each test migrates its own fresh database in subprocesses (the engine is process-wide and the
test session's engine points at the session database), through ``pawpay.platform.db.migrate``,
exactly as ``pawpay migrate`` does.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from pawpay.platform.db.roles import ensure_database
from pawpay.platform.testing.database import TestDatabase, describe, drop_database, new_database_name

pytestmark = pytest.mark.integration

THROWAWAY = Path(__file__).parent / "throwaway"
REPO_ROOT = Path(__file__).resolve().parents[2]

MIGRATE = textwrap.dedent(
    """
    import asyncio, json, os, sys

    if os.environ.get("THROWAWAY_DIR"):
        # Add the throwaway app to the platform's own, as a plugin would.
        sys.path.insert(0, os.environ["THROWAWAY_DIR"])
        from pawpay.platform.hooks import _manager, hookimpl

        class Throwaway:
            @hookimpl
            def pawpay_piccolo_apps(self):
                return ["throwaway_app"]

        pm = _manager.build_plugin_manager(extra_plugins=[Throwaway()])
        _manager.get_plugin_manager = lambda: pm

    from pawpay.platform.db.migrate import MigrationFailed, migrate

    try:
        lines = asyncio.run(migrate(os.environ["OWNER_DSN"], "pawpay_app", progress=lambda line: None))
    except MigrationFailed as exc:
        print(json.dumps({"failed": str(exc), "type": "MigrationFailed"}))
    except Exception as exc:  # piccolo lets an exception raised inside a migration escape as is
        print(json.dumps({"failed": str(exc), "type": type(exc).__name__}))
    else:
        print(json.dumps({"applied": [line.strip() for line in lines if "[forwards]" in line]}))
    """
)


@pytest.fixture
async def fresh_database(pawpay_postgres_server: str) -> AsyncIterator[TestDatabase]:
    db = describe(pawpay_postgres_server, new_database_name())
    assert await ensure_database(pawpay_postgres_server, db.name)
    try:
        yield db
    finally:
        await drop_database(pawpay_postgres_server, db.name)


async def _migrate_in_subprocess(db: TestDatabase, **env: str) -> dict[str, Any]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", MIGRATE, cwd=str(REPO_ROOT),
        env={**os.environ, "OWNER_DSN": db.owner_dsn, "PYTHONSAFEPATH": "1", **env},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 0, stderr.decode()[-3000:]
    result: dict[str, Any] = json.loads(stdout.decode().strip().splitlines()[-1])
    return result


async def test_two_concurrent_migrators_apply_everything_exactly_once(fresh_database: TestDatabase) -> None:
    first, second = await asyncio.gather(
        _migrate_in_subprocess(fresh_database), _migrate_in_subprocess(fresh_database)
    )
    applied = sorted([first["applied"], second["applied"]], key=len)
    assert applied[0] == []  # whoever waited for the lock found nothing left to do
    assert len(applied[1]) >= 6
    conn = await asyncpg.connect(fresh_database.owner_dsn)
    try:
        rows = await conn.fetch("SELECT app_name, name, count(*) AS n FROM migration GROUP BY 1, 2")
        assert rows
        assert all(r["n"] == 1 for r in rows)
        assert len(rows) == len(applied[1])
        assert await conn.fetchval("SELECT to_regclass('public.audit_entry') IS NOT NULL")
        assert await conn.fetchval("SELECT has_table_privilege('pawpay_app', 'audit_entry', 'INSERT')")
    finally:
        await conn.close()
    again = await _migrate_in_subprocess(fresh_database)
    assert again["applied"] == []


async def test_a_failing_migration_leaves_the_schema_as_it_was(fresh_database: TestDatabase) -> None:
    result = await _migrate_in_subprocess(fresh_database, THROWAWAY_DIR=str(THROWAWAY))
    assert "failed" in result, result
    assert "fails on purpose" in result["failed"] or "rolled back" in result["failed"]
    conn = await asyncpg.connect(fresh_database.owner_dsn)
    try:
        # The migration before the failing one stays; everything the failing one did is gone.
        assert await conn.fetchval("SELECT to_regclass('public.throwaway_kept') IS NOT NULL")
        assert await conn.fetchval("SELECT to_regclass('public.throwaway_half') IS NULL")
        columns = [r["attname"] for r in await conn.fetch(
            "SELECT attname FROM pg_attribute WHERE attrelid = 'throwaway_kept'::regclass AND attnum > 0 "
            "AND NOT attisdropped")]
        assert columns == ["id"]
        assert await conn.fetchval("SELECT count(*) FROM throwaway_kept") == 0
        recorded = [r["name"] for r in await conn.fetch("SELECT name FROM migration WHERE app_name = 'throwaway'")]
        assert recorded == ["2026-11-22T17:00:00:000000"]
    finally:
        await conn.close()
