"""The audit log (issue 2, item 6): one entry per change with actor, tenant, action, target,
before/after and the request id; no secrets; append-only in the database itself; each store
reads its own log, operators read and filter everyone's; a rolled-back request leaves nothing."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from asgi_lifespan import LifespanManager
from litestar import post
from piccolo.querystring import QueryString

from pawpay.platform.audit.services import AuditFilter, list_entries, record
from pawpay.platform.clock import utcnow
from pawpay.platform.db.engine import get_engine
from pawpay.platform.errors import Conflict
from pawpay.platform.hooks import hookimpl
from pawpay.platform.hooks._manager import build_plugin_manager, get_plugin_manager
from pawpay.platform.identity.roles import AFTER_SALES, FINANCE, FRONT_DESK
from pawpay.platform.tenancy import platform_scope, tenant_scope
from pawpay.platform.tenancy.context import TenantContext
from pawpay.platform.testing.plugin import PASSWORD
from pawpay.platform.web.app import create_app
from pawpay.platform.web.deps import TenantCtx

pytestmark = pytest.mark.integration

NEW_PASSWORD = "s3cret-Pa55word-xyz"


async def _entries(owner: asyncpg.Connection, request_id: str) -> list[dict[str, Any]]:
    rows = await owner.fetch("SELECT *, to_jsonb(a)::text AS raw FROM audit_entry a WHERE request_id = $1 "
                             "ORDER BY seq", request_id)
    out = []
    for row in rows:
        entry = dict(row)
        for side in ("before", "after"):
            entry[side] = json.loads(entry[side]) if entry[side] else None
        out.append(entry)
    return out


def _request_id(response: httpx.Response) -> str:
    request_id = response.headers["x-request-id"]
    assert request_id
    return request_id


async def test_every_change_writes_one_entry_with_actor_target_and_request_id(
    store_a: Any, operator: Any, signed_in: Any, owner: asyncpg.Connection
) -> None:
    async with signed_in(store_a.manager_email) as manager:
        email = f"audited-{uuid.uuid4().hex[:6]}@a.test"
        created = await manager.post(
            "/api/v1/staff", headers={"x-request-id": f"audit-create-{uuid.uuid4().hex[:8]}"},
            json={"email": email, "display_name": "Audited", "password": NEW_PASSWORD, "roles": [FRONT_DESK]},
        )
        assert created.status_code == 201
        assert created.headers["x-request-id"].startswith("audit-create-")  # a caller's id is echoed
        account_id = created.json()["id"]
        changed = await manager.patch(f"/api/v1/staff/{account_id}", json={"roles": [AFTER_SALES, FINANCE]})
        key = await manager.post("/api/v1/api-keys", json={"name": "erp", "role": FRONT_DESK})
        revoked = await manager.delete(f"/api/v1/api-keys/{key.json()['api_key']['id']}")
    async with signed_in(operator["email"]) as ops:
        slug = f"audited-{uuid.uuid4().hex[:6]}"
        store = await ops.post("/api/v1/ops/tenants", json={"slug": slug, "name": "Audited 店"})
        assert store.status_code == 201, store.text

    expected = [
        (created, "account.created", "account", account_id, store_a.tenant_id, store_a.manager_id),
        (changed, "account.updated", "account", account_id, store_a.tenant_id, store_a.manager_id),
        (key, "api_key.created", "api_key", key.json()["api_key"]["id"], store_a.tenant_id, store_a.manager_id),
        (revoked, "api_key.revoked", "api_key", key.json()["api_key"]["id"], store_a.tenant_id, store_a.manager_id),
        (store, "tenant.created", "tenant", store.json()["id"], uuid.UUID(store.json()["id"]), operator["id"]),
    ]
    for response, action, target_type, target_id, tenant_id, actor_id in expected:
        entries = await _entries(owner, _request_id(response))
        assert [e["action"] for e in entries] == [action], response.request.url
        entry = entries[0]
        assert entry["target_type"] == target_type
        assert entry["target_id"] == str(target_id)
        assert entry["tenant_id"] == tenant_id
        assert entry["actor_id"] == actor_id
        assert entry["actor_label"]
        assert entry["created_at"] <= utcnow()
        assert NEW_PASSWORD not in entry["raw"]
        assert "password" not in entry["raw"]  # no hash, no field of that name at all
    update = (await _entries(owner, _request_id(changed)))[0]
    assert update["before"]["roles"] == [FRONT_DESK]
    assert update["after"]["roles"] == [AFTER_SALES, FINANCE]
    key_entry = (await _entries(owner, _request_id(key)))[0]
    assert key_entry["after"] == {"name": "erp", "role": FRONT_DESK, "prefix": key.json()["api_key"]["prefix"]}
    assert key.json()["key"].split("_", 2)[2] not in key_entry["raw"]


async def test_the_database_refuses_to_change_the_log(pawpay_database: Any, owner: asyncpg.Connection) -> None:
    before = await owner.fetchval("SELECT count(*) FROM audit_entry")
    assert before > 0
    for statement in ("UPDATE audit_entry SET action = 'tampered'", "DELETE FROM audit_entry", "TRUNCATE audit_entry"):
        # As the application role, in the widest scope it has:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            async with platform_scope("tamper test"):
                await get_engine().run_querystring(QueryString(statement))
        # As the owner (who could grant itself anything else): the triggers refuse.
        with pytest.raises(asyncpg.PostgresError, match="append-only"):
            await owner.execute(statement)
    assert await owner.fetchval("SELECT count(*) FROM audit_entry") == before
    assert await owner.fetchval("SELECT count(*) FROM audit_entry WHERE action = 'tampered'") == 0


async def test_a_store_reads_only_its_own_log(
    store_a: Any, store_b: Any, signed_in: Any, make_staff: Any
) -> None:
    _, finance = await make_staff(store_a, [FINANCE])
    async with signed_in(finance) as client:
        page = await client.get("/api/v1/audit", params={"limit": 200, "tenant_id": str(store_b.tenant_id)})
        assert page.status_code == 200
        body = page.json()
    assert body["total"] >= len(body["items"]) > 0
    assert {e["tenant_id"] for e in body["items"]} == {str(store_a.tenant_id)}
    _, desk = await make_staff(store_a, [FRONT_DESK])
    async with signed_in(desk) as client:
        assert (await client.get("/api/v1/audit")).status_code == 403


async def test_operators_read_and_filter_every_stores_log(
    store_a: Any, store_b: Any, operator: Any, signed_in: Any
) -> None:
    async with signed_in(operator["email"]) as ops:
        everything = (await ops.get("/api/v1/ops/audit", params={"limit": 200})).json()
        only_a = (await ops.get("/api/v1/ops/audit", params={"tenant_id": str(store_a.tenant_id)})).json()
        only_b = (await ops.get("/api/v1/ops/audit", params={"tenant_id": str(store_b.tenant_id)})).json()
        logins = (await ops.get("/api/v1/ops/audit", params={"action": "session."})).json()
        future = (await ops.get("/api/v1/ops/audit",
                                params={"since": (utcnow() + timedelta(days=1)).isoformat()})).json()
        past = (await ops.get("/api/v1/ops/audit",
                              params={"until": (utcnow() - timedelta(days=365)).isoformat()})).json()
        recent = (await ops.get("/api/v1/ops/audit",
                                params={"since": (utcnow() - timedelta(hours=1)).isoformat()})).json()
        bad = await ops.get("/api/v1/ops/audit", params={"limit": 100_000})
    # The newest 200 entries of the whole session's log need not include these two stores (other
    # tests write to it too): unfiltered, the operator counts every store's entries; filtered, one's.
    assert everything["items"]
    assert everything["total"] >= only_a["total"] + only_b["total"]
    assert only_a["items"]
    assert only_b["items"]
    assert {e["tenant_id"] for e in only_a["items"]} == {str(store_a.tenant_id)}
    assert {e["tenant_id"] for e in only_b["items"]} == {str(store_b.tenant_id)}
    assert logins["items"]
    assert {e["action"] for e in logins["items"]} <= {"session.login", "session.logout"}
    assert future["items"] == []
    assert past["items"] == []
    assert recent["total"] > 0
    stamps = [e["created_at"] for e in everything["items"]]
    assert stamps == sorted(stamps, reverse=True)  # newest first
    assert bad.status_code == 422
    assert bad.json()["code"] == "VALIDATION_FAILED"


async def test_entries_of_one_transaction_keep_their_order(store_a: Any) -> None:
    ctx = TenantContext(tenant_id=store_a.tenant_id, actor_label="order test", request_id=uuid.uuid4().hex)
    async with tenant_scope(ctx):
        ids = [await record(ctx, f"test.order.{i}") for i in range(5)]
    views, total = await list_entries(ctx, AuditFilter(action="test.order."), limit=5)
    assert total >= 5
    assert [v.id for v in views] == list(reversed(ids))


@post("/api/v1/test/audited-then-failed", opt={"auth": "tenant"})
async def _audited_then_failed(ctx: TenantCtx) -> None:
    await record(ctx, "test.rolled_back", target_type="test")
    raise Conflict("the change was refused after it was audited")


class _FailingPlugin:
    @hookimpl
    def pawpay_route_handlers(self) -> list[object]:
        return [_audited_then_failed]


class _AuditObserver:
    def __init__(self) -> None:
        self.actions: list[str] = []

    @hookimpl
    def pawpay_audit_recorded(self, entry: dict[str, Any]) -> None:
        assert {"id", "created_at", "action", "tenant_id", "request_id"} <= set(entry)
        self.actions.append(entry["action"])


async def test_a_rolled_back_request_leaves_no_entry_and_tells_no_observer(
    store_a: Any, pawpay_database: Any, new_client: Any, owner: asyncpg.Connection
) -> None:
    from pawpay.platform.testing.plugin import login

    observer = _AuditObserver()
    process_pm = get_plugin_manager()  # the one services broadcast through
    process_pm.register(observer)
    app = create_app(plugin_manager=build_plugin_manager(extra_plugins=[_FailingPlugin()]), manage_pool=False)
    try:
        async with LifespanManager(app), new_client(app) as client:
            await login(client, store_a.manager_email, PASSWORD)
            response = await client.post("/api/v1/test/audited-then-failed")
            assert response.status_code == 409
            assert response.json()["code"] == "CONFLICT"
    finally:
        process_pm.unregister(observer)
    assert await _entries(owner, _request_id(response)) == []
    assert await owner.fetchval("SELECT count(*) FROM audit_entry WHERE action = 'test.rolled_back'") == 0
    assert observer.actions == ["session.login"]  # the committed login only
