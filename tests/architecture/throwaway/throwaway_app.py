"""A piccolo app whose second migration fails half-way: ``test_migrations.py`` proves that the
failure leaves the schema exactly as it was (each migration runs in one transaction)."""

from __future__ import annotations

from pathlib import Path

from piccolo.conf.apps import AppConfig

APP_CONFIG = AppConfig(
    app_name="throwaway",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[],
    migration_dependencies=[],
    commands=[],
)
