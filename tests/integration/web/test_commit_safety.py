"""A success is only sent for data that was saved (the request middleware checks the request
transaction before COMMIT): a handler that swallows a database error, or leaves a deferred
constraint violated, gets a 500 and nothing is kept."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from asgi_lifespan import LifespanManager
from litestar import post
from piccolo.querystring import QueryString

from pawpay.platform.db.engine import get_engine
from pawpay.platform.hooks import hookimpl
from pawpay.platform.hooks._manager import build_plugin_manager
from pawpay.platform.testing.database import APP_ROLE
from pawpay.platform.web.app import create_app

pytestmark = pytest.mark.integration

SCRATCH = "scratch_commit_safety"


async def _run(sql: str, *args: Any) -> None:
    await get_engine().run_querystring(QueryString(sql, *args))


@post("/api/v1/test/swallowed-error", opt={"auth": "public"}, status_code=200)
async def _swallowed_error() -> dict[str, str]:
    await _run(f"INSERT INTO {SCRATCH} (id, code) VALUES (1, 'a')")
    # The bug under test: the transaction is aborted, yet the handler says "saved".
    with contextlib.suppress(asyncpg.UniqueViolationError):
        await _run(f"INSERT INTO {SCRATCH} (id, code) VALUES (1, 'b')")
    return {"status": "saved"}


@post("/api/v1/test/deferred-violation", opt={"auth": "public"}, status_code=200)
async def _deferred_violation() -> dict[str, str]:
    await _run(f"INSERT INTO {SCRATCH} (id, code) VALUES (10, 'same'), (11, 'same')")
    return {"status": "saved"}


@post("/api/v1/test/fine", opt={"auth": "public"}, status_code=200)
async def _fine() -> dict[str, str]:
    await _run(f"INSERT INTO {SCRATCH} (id, code) VALUES (20, 'fine')")
    return {"status": "saved"}


class _ScratchRoutes:
    @hookimpl
    def pawpay_route_handlers(self) -> list[object]:
        return [_swallowed_error, _deferred_violation, _fine]


@pytest.fixture
async def owner(pawpay_database: Any) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(pawpay_database.owner_dsn)
    await conn.execute(
        f"CREATE TABLE {SCRATCH} (id integer PRIMARY KEY, code text NOT NULL, "
        f"CONSTRAINT {SCRATCH}_code UNIQUE (code) DEFERRABLE INITIALLY DEFERRED)"
    )
    await conn.execute(f"GRANT SELECT, INSERT ON {SCRATCH} TO {APP_ROLE}")
    try:
        yield conn
    finally:
        await conn.execute(f"DROP TABLE {SCRATCH}")
        await conn.close()


@pytest.fixture
async def client(owner: asyncpg.Connection, new_client: Any) -> AsyncIterator[Any]:
    app = create_app(plugin_manager=build_plugin_manager(extra_plugins=[_ScratchRoutes()]), manage_pool=False)
    async with LifespanManager(app), new_client(app) as client:
        yield client


def _assert_nothing_saved(response: Any) -> None:
    assert response.status_code == 500, response.text
    body = response.json()
    assert body["code"] == "INTERNAL_ERROR"
    assert body["data"]["request_id"] == response.headers["x-request-id"]


async def test_a_swallowed_database_error_is_a_500_not_a_success(client: Any, owner: asyncpg.Connection) -> None:
    _assert_nothing_saved(await client.post("/api/v1/test/swallowed-error"))
    assert await owner.fetchval(f"SELECT count(*) FROM {SCRATCH}") == 0


async def test_a_violated_deferred_constraint_is_a_500_and_saves_nothing(
    client: Any, owner: asyncpg.Connection
) -> None:
    _assert_nothing_saved(await client.post("/api/v1/test/deferred-violation"))
    assert await owner.fetchval(f"SELECT count(*) FROM {SCRATCH}") == 0


async def test_a_clean_transaction_still_commits(client: Any, owner: asyncpg.Connection) -> None:
    response = await client.post("/api/v1/test/fine")
    assert response.status_code == 200, response.text
    assert await owner.fetchval(f"SELECT code FROM {SCRATCH} WHERE id = 20") == "fine"
