"""Succeeds: creates ``throwaway_kept``."""

from __future__ import annotations

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-22T17:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "a migration that works"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="throwaway", description=DESCRIPTION)

    async def run() -> None:
        engine = engine_finder()
        assert engine is not None
        await engine.run_ddl("CREATE TABLE throwaway_kept (id integer PRIMARY KEY)")

    manager.add_raw(run)
    return manager
