"""Run every component's migrations, once, even when several processes start together."""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Callable

import asyncpg

from pawpay.platform.db.engine import configure_engine
from pawpay.platform.db.roles import ensure_app_role, grant_app_privileges

log = logging.getLogger(__name__)

# pg_advisory_lock key shared by every pawpay process migrating this database ("pawpay" in ASCII).
MIGRATION_LOCK_KEY = 0x7061777061790001


class MigrationFailed(Exception):
    """A migration failed; it was rolled back and the schema is as it was before it."""


async def migrate(
    owner_dsn: str, app_role: str, *, progress: Callable[[str], None] | None = None
) -> list[str]:
    """Apply pending migrations as the schema owner and grant the app role its privileges.

    Returns the output lines of piccolo's migration runner. A session advisory lock on a
    dedicated connection (not a pooled one: pool release unlocks everything) serialises
    concurrent migrators; the second finds nothing left to do.
    """
    from piccolo.apps.migrations.commands.forwards import run_forwards

    say = progress or log.info
    lock_conn = await asyncpg.connect(owner_dsn)
    try:
        say("waiting for the migration lock …")
        await lock_conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_KEY)
        say("applying migrations …")
        configure_engine(owner_dsn)
        captured = io.StringIO()
        with contextlib.redirect_stdout(captured):
            try:
                result = await run_forwards(app_name="all")
            except Exception as exc:
                raise MigrationFailed(f"migration failed and was rolled back: {exc}") from exc
        lines = [line for line in captured.getvalue().splitlines() if line.strip()]
        for line in lines:
            if "Running" in line or "ok!" in line or line.strip().startswith("-"):
                say(line.strip())
        if not result.success:
            raise MigrationFailed(f"migration failed and was rolled back: {result.message}")
        await ensure_app_role(lock_conn, app_role)
        await grant_app_privileges(lock_conn, app_role)
        say("migrations complete")
        return lines
    finally:
        try:
            await lock_conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_KEY)
        finally:
            await lock_conn.close()
