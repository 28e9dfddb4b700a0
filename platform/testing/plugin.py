"""pawpay's pytest plugin (entry point ``pytest11``): a migrated PostgreSQL, two seeded stores,
factories and an HTTP client through the real app.

Third-party plugin packages get the same fixtures. Everything is session-scoped on one event
loop (asyncpg pools are loop-bound), so set in your pytest config::

    asyncio_mode = "auto"
    asyncio_default_fixture_loop_scope = "session"
    asyncio_default_test_loop_scope = "session"
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pawpay.platform.testing.database import TestDatabase

# Fixture modules published with this plugin (per-domain, Saleor-style).
pytest_plugins = ["pawpay.platform.testing.jobs"]


def pytest_configure(config: pytest.Config) -> None:
    # Provider packages run pawpay's contract suite without declaring its marker themselves.
    config.addinivalue_line("markers", "contract: pawpay's provider contract suite")


@dataclass(frozen=True, slots=True)
class SeededStore:
    """A tenant with a manager account (password ``PASSWORD``)."""

    tenant_id: uuid.UUID
    slug: str
    name: str
    manager_id: uuid.UUID
    manager_email: str


PASSWORD = "correct-horse-9"  # noqa: S105 - the seeded test accounts' password


@pytest.fixture(scope="session")
def pawpay_postgres_server() -> Iterator[str]:
    from pawpay.platform.testing.database import postgres_server

    with postgres_server() as url:
        yield url


@pytest.fixture(scope="session")
def pawpay_data_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="pawpay-test-data-") as tmp:
        yield Path(tmp)


@pytest.fixture(scope="session")
async def pawpay_database(pawpay_postgres_server: str, pawpay_data_dir: Path) -> AsyncIterator[TestDatabase]:
    """A fresh, migrated database for this test session; the process engine points at it as the
    app role (NOSUPERUSER NOBYPASSRLS), with a pool on the session's event loop."""
    from pawpay.platform.db.engine import close_pool, configure_engine, start_pool
    from pawpay.platform.db.migrate import migrate
    from pawpay.platform.db.roles import ensure_database
    from pawpay.platform.settings import get_settings
    from pawpay.platform.testing.database import APP_ROLE, describe, drop_database, new_database_name

    db = describe(pawpay_postgres_server, new_database_name())
    os.environ.update({
        "PAWPAY_ENV": "test",
        "PAWPAY_DATABASE_URL": db.app_dsn,
        "PAWPAY_MIGRATE_DATABASE_URL": db.owner_dsn,
        "PAWPAY_DATA_DIR": str(pawpay_data_dir),
        "PAWPAY_SECRET_KEY": "test-secret-key-not-for-production",
        "PAWPAY_LOG_LEVEL": "WARNING",
    })
    get_settings.cache_clear()
    await ensure_database(pawpay_postgres_server, db.name)
    await migrate(db.owner_dsn, APP_ROLE, progress=lambda _line: None)
    configure_engine(db.app_dsn)
    await start_pool(1, 8)
    try:
        # Every test database holds at least two stores (Zulip's "several realms" rule), so a
        # query that forgets its tenant shows up as a leak instead of passing by luck.
        _seeded["a"] = await create_store(f"alpha-{uuid.uuid4().hex[:6]}", "Alpha 宠物店")
        _seeded["b"] = await create_store(f"bravo-{uuid.uuid4().hex[:6]}", "Bravo 宠物店")
        yield db
    finally:
        await close_pool()
        await drop_database(pawpay_postgres_server, db.name)


@pytest.fixture
async def owner(pawpay_database: TestDatabase) -> AsyncIterator[Any]:
    """An asyncpg connection as the schema owner (catalog reads, fixtures RLS would refuse)."""
    import asyncpg

    conn = await asyncpg.connect(pawpay_database.owner_dsn)
    try:
        yield conn
    finally:
        await conn.close()


@pytest.fixture
async def rollback(pawpay_database: TestDatabase) -> AsyncIterator[None]:
    """Per-test isolation for service-level tests: the test runs inside one platform-scope
    transaction that is rolled back afterwards, so nothing it writes outlives it.

    Services join that transaction (``platform_scope``) or narrow it to one store
    (``tenant_scope``), exactly as inside a request. Not for HTTP tests: a request opens its own
    transaction; those tests isolate themselves with stores of their own (``create_store()``).
    """
    from pawpay.platform.tenancy.scope import platform_scope

    async with platform_scope("per-test isolation") as tx:
        yield
        await tx.rollback()  # type: ignore[no-untyped-call]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def create_store(slug: str | None = None, name: str | None = None) -> SeededStore:
    """Create a tenant and its manager through the real services (platform scope)."""
    from pawpay.platform.identity.roles import MANAGER
    from pawpay.platform.identity.services import create_staff
    from pawpay.platform.tenancy.context import PlatformContext
    from pawpay.platform.tenancy.services import create_tenant

    ctx = PlatformContext(actor_label="test-fixture")
    slug = slug or f"store-{uuid.uuid4().hex[:8]}"
    tenant = await create_tenant(ctx, slug=slug, name=name or f"Store {slug}")
    email = f"manager@{slug}.test"
    manager = await create_staff(ctx, tenant_id=tenant.id, email=email, password=PASSWORD, roles=[MANAGER],
                                 display_name="Manager")
    return SeededStore(tenant.id, tenant.slug, tenant.name, manager.id, email)


_seeded: dict[str, SeededStore] = {}


@pytest.fixture(scope="session")
def store_a(pawpay_database: TestDatabase) -> SeededStore:
    """The first of the two stores every test database holds."""
    return _seeded["a"]


@pytest.fixture(scope="session")
def store_b(pawpay_database: TestDatabase) -> SeededStore:
    """The second store: tests prove it can never see or touch ``store_a``'s data."""
    return _seeded["b"]


@pytest.fixture(scope="session")
async def operator(pawpay_database: TestDatabase) -> dict[str, Any]:
    """A platform operator with every operator role."""
    from pawpay.platform.identity.roles import OPERATOR_ROLES
    from pawpay.platform.identity.services import create_operator
    from pawpay.platform.tenancy.context import PlatformContext

    email = f"ops-{uuid.uuid4().hex[:6]}@pawpay.test"
    view = await create_operator(PlatformContext(actor_label="test-fixture"), email=email, password=PASSWORD,
                                 roles=list(OPERATOR_ROLES), display_name="Operator")
    return {"id": view.id, "email": email}


@pytest.fixture(scope="session")
async def pawpay_app(pawpay_database: TestDatabase) -> AsyncIterator[Any]:
    """The real litestar app (all plugins), lifespan running, sharing the session's pool."""
    from asgi_lifespan import LifespanManager

    from pawpay.platform.web.app import create_app

    app = create_app(manage_pool=False)
    async with LifespanManager(app):  # type: ignore[arg-type]  # Litestar's ASGI types are narrower
        yield app


@pytest.fixture
async def http(pawpay_app: Any) -> AsyncIterator[Any]:
    """An anonymous HTTP client speaking ASGI to the app (a fresh cookie jar per test)."""
    import httpx

    transport = httpx.ASGITransport(app=pawpay_app, client=("203.0.113.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://pawpay.test") as client:
        yield client


async def login(client: Any, email: str, password: str = PASSWORD) -> str:
    """Sign ``client`` in; return the CSRF token to send as ``x-csrftoken`` on unsafe requests."""
    response = await client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    token = response.json()["csrf_token"]
    client.headers["x-csrftoken"] = token
    return str(token)
