"""Fails after it changed things: creates a table, alters the previous one, writes a row, raises."""

from __future__ import annotations

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-22T17:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "a migration that fails half-way"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="throwaway", description=DESCRIPTION)

    async def run() -> None:
        engine = engine_finder()
        assert engine is not None
        await engine.run_ddl("CREATE TABLE throwaway_half (id integer PRIMARY KEY)")
        await engine.run_ddl("ALTER TABLE throwaway_kept ADD COLUMN half_done text")
        await engine.run_ddl("INSERT INTO throwaway_kept (id) VALUES (1)")
        raise RuntimeError("this migration fails on purpose")

    manager.add_raw(run)
    return manager
