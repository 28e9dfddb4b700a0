"""A real PostgreSQL for tests, found in this order (ARCHITECTURE §8):

1. ``PAWPAY_TEST_DATABASE_URL`` — a server URL whose user may create databases (CI sets it to
   the machine's PostgreSQL); each test session creates and later drops its own database;
2. testcontainers, when a Docker engine answers;
3. an embedded ``pgserver`` in a temporary directory.

Migrations run as that (owner) user; the tests then connect as the NOBYPASSRLS app role,
exactly as production does.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar

from pawpay.platform.db.urls import with_database, with_user

APP_ROLE = "pawpay_app"


@dataclass(frozen=True, slots=True)
class TestDatabase:
    __test__: ClassVar[bool] = False  # not a test class, whatever pytest thinks of the name

    server_dsn: str  # superuser/owner, database "postgres"
    owner_dsn: str  # owner, the test database
    app_dsn: str  # the app role, the test database
    name: str


def _docker_available() -> bool:
    try:
        import docker

        docker.from_env(timeout=2).ping()
    except Exception:
        return False
    return True


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """Yield a superuser URL of some PostgreSQL server (see the module docstring for the order)."""
    if url := os.environ.get("PAWPAY_TEST_DATABASE_URL"):
        yield url
        return
    if _docker_available():
        try:
            from testcontainers.community.postgres import PostgresContainer
        except ImportError:
            from testcontainers.postgres import PostgresContainer
        with PostgresContainer("postgres:16-alpine", driver=None) as pg:
            yield pg.get_connection_url()
        return
    import pgserver

    tmp = tempfile.mkdtemp(prefix="pawpay-pg-")
    server = pgserver.get_server(tmp, cleanup_mode="stop")  # type: ignore[attr-defined]
    try:
        yield server.get_uri()
    finally:
        server.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)


def new_database_name() -> str:
    return f"pawpay_test_{uuid.uuid4().hex[:10]}"


def describe(server_dsn: str, name: str) -> TestDatabase:
    owner = with_database(server_dsn, name)
    return TestDatabase(server_dsn=server_dsn, owner_dsn=owner, app_dsn=with_user(owner, APP_ROLE), name=name)


async def drop_database(server_dsn: str, name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(server_dsn)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()
