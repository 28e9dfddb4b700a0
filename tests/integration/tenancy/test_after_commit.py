"""Work deferred until the data is committed: ``after_commit`` and ``pawpay_tenant_created``."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import asyncpg
import httpx
import pytest
from asgi_lifespan import LifespanManager
from litestar import post
from litestar.params import FromQuery

from pawpay.platform.errors import Conflict, ScopeViolation
from pawpay.platform.hooks import hookimpl
from pawpay.platform.hooks._manager import build_plugin_manager, get_plugin_manager
from pawpay.platform.tenancy import after_commit, platform_scope, tenant_scope
from pawpay.platform.tenancy.context import PlatformContext
from pawpay.platform.tenancy.services import create_tenant
from pawpay.platform.testing.plugin import login
from pawpay.platform.web.app import create_app
from pawpay.platform.web.deps import OpsCtx

pytestmark = pytest.mark.integration


class _Observer:
    def __init__(self) -> None:
        self.created: list[tuple[str, str]] = []

    @hookimpl
    def pawpay_tenant_created(self, tenant_id: str, name: str) -> None:
        self.created.append((tenant_id, name))


@pytest.fixture
def observer() -> Iterator[_Observer]:
    """Listens on the process's plugin manager (the one services broadcast through)."""
    plugin = _Observer()
    pm = get_plugin_manager()
    pm.register(plugin)
    try:
        yield plugin
    finally:
        pm.unregister(plugin)


async def test_callbacks_run_after_commit_and_never_after_a_rollback(store_a: Any) -> None:
    ran: list[str] = []

    async def async_callback() -> None:
        ran.append("async")

    async with tenant_scope(store_a.tenant_id):
        after_commit(lambda: ran.append("sync"))
        async with tenant_scope(store_a.tenant_id):  # joined: same transaction, same list
            after_commit(async_callback)
        assert ran == []  # nothing before the commit
    assert ran == ["sync", "async"]

    ran.clear()

    async def failing_change() -> None:
        async with platform_scope("rollback test"):
            after_commit(lambda: ran.append("never"))
            raise RuntimeError("roll back")

    with pytest.raises(RuntimeError):
        await failing_change()
    async with platform_scope("manual rollback test") as tx:
        after_commit(lambda: ran.append("never"))
        await tx.rollback()
    assert ran == []

    with pytest.raises(ScopeViolation):
        after_commit(lambda: None)


async def test_a_failing_callback_does_not_stop_the_others(store_a: Any) -> None:
    ran: list[str] = []

    def broken() -> None:
        raise ValueError("observer bug")

    async with tenant_scope(store_a.tenant_id):
        after_commit(broken)
        after_commit(lambda: ran.append("second"))
    assert ran == ["second"]


async def test_plugins_hear_of_a_new_store_once_it_is_committed(observer: _Observer) -> None:
    slug = f"hooked-{uuid.uuid4().hex[:6]}"
    view = await create_tenant(PlatformContext(actor_label="test"), slug=slug, name="Hooked 店")
    assert observer.created == [(str(view.id), "Hooked 店")]


@post("/api/v1/test/create-store-then-fail", opt={"auth": "platform"})
async def _create_then_fail(ctx: OpsCtx, slug: FromQuery[str]) -> None:
    await create_tenant(ctx, slug=slug, name="Never committed")
    raise Conflict("refused after the store was created")


class _FailingPlugin:
    @hookimpl
    def pawpay_route_handlers(self) -> list[object]:
        return [_create_then_fail]


async def test_a_store_created_in_a_rolled_back_request_is_never_announced(
    observer: _Observer, operator: Any, pawpay_database: Any
) -> None:
    app = create_app(plugin_manager=build_plugin_manager(extra_plugins=[_FailingPlugin()]), manage_pool=False)
    slug = f"ghost-{uuid.uuid4().hex[:6]}"
    transport = httpx.ASGITransport(app=app, client=("10.99.0.1", 1))
    async with LifespanManager(app), httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        await login(client, operator["email"])
        response = await client.post("/api/v1/test/create-store-then-fail", params={"slug": slug})
        assert response.status_code == 409
        created = await client.post("/api/v1/ops/tenants", json={"slug": f"{slug}-ok", "name": "Real 店"})
        assert created.status_code == 201
    assert observer.created == [(created.json()["id"], "Real 店")]
    owner = await asyncpg.connect(pawpay_database.owner_dsn)
    try:
        assert await owner.fetchval("SELECT count(*) FROM tenant WHERE slug = $1", slug) == 0
    finally:
        await owner.close()
