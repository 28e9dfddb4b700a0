"""One error model for everything that can go wrong (issue 2, "Bad input and failure"): a stable
``code``, a human ``detail``, ``data``; nothing changed; never a stack trace."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from asgi_lifespan import LifespanManager
from litestar import get

from pawpay.platform.db.engine import get_engine
from pawpay.platform.hooks import hookimpl
from pawpay.platform.hooks._manager import build_plugin_manager
from pawpay.platform.identity.roles import FRONT_DESK
from pawpay.platform.web.app import create_app

pytestmark = pytest.mark.integration

SECRET_MESSAGE = "kaboom: password=hunter2 in /srv/pawpay/secret.py"
REPO_ROOT = Path(__file__).resolve().parents[3]


def _assert_error(response: Any, status: int, *codes: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert set(body) == {"code", "detail", "data"}
    assert body["code"] in codes, body
    assert isinstance(body["detail"], str)
    assert body["detail"]
    assert "Traceback" not in response.text
    return body


# --- bad input -----------------------------------------------------------------------------------

VALID_STAFF = {"email": "x@bad-input.test", "display_name": "X", "password": "long-enough-1", "roles": [FRONT_DESK]}


@pytest.mark.parametrize(
    ("name", "content", "status", "code", "field"),
    [
        # Not JSON at all: 400 BAD_REQUEST.
        ("malformed JSON", b'{"email": "x@bad-input.test", ', 400, "BAD_REQUEST", None),
        ("not UTF-8", b"\xff\xfe", 400, "BAD_REQUEST", None),
        ("empty body", b"", 400, "BAD_REQUEST", None),
        # JSON of the wrong shape: 422 VALIDATION_FAILED with data.errors, like the services' own.
        ("not an object", b"[1, 2]", 422, "VALIDATION_FAILED", "data"),
        ("unknown field", json.dumps({**VALID_STAFF, "is_superuser": True}).encode(), 422, "VALIDATION_FAILED",
         "is_superuser"),
        ("missing field", json.dumps({k: v for k, v in VALID_STAFF.items() if k != "password"}).encode(), 422,
         "VALIDATION_FAILED", "password"),
        ("wrong type", json.dumps({**VALID_STAFF, "roles": "manager"}).encode(), 422, "VALIDATION_FAILED", "roles"),
    ],
)
async def test_bad_bodies_are_refused_and_change_nothing(
    name: str, content: bytes, status: int, code: str, field: str | None, store_a: Any, signed_in: Any,
    owner: asyncpg.Connection,
) -> None:
    async with signed_in(store_a.manager_email) as client:
        before = await owner.fetchval("SELECT count(*) FROM account")
        audit_before = await owner.fetchval("SELECT count(*) FROM audit_entry")
        response = await client.post("/api/v1/staff", content=content, headers={"content-type": "application/json"})
        body = _assert_error(response, status, code)
        if field is not None:
            assert field in [e["field"] for e in body["data"]["errors"]], body
        assert await owner.fetchval("SELECT count(*) FROM account") == before, name
        assert await owner.fetchval("SELECT count(*) FROM audit_entry") == audit_before, name


async def test_business_validation_names_the_field(store_a: Any, signed_in: Any, owner: asyncpg.Connection) -> None:
    async with signed_in(store_a.manager_email) as client:
        before = await owner.fetchval("SELECT count(*) FROM account")
        weak = await client.post("/api/v1/staff", json={**VALID_STAFF, "password": "short"})
        body = _assert_error(weak, 422, "VALIDATION_FAILED")
        assert body["data"]["field"] == "password"
        role = await client.post("/api/v1/staff", json={**VALID_STAFF, "roles": ["owner"]})
        assert _assert_error(role, 422, "VALIDATION_FAILED")["data"]["field"] == "roles"
        taken = await client.post("/api/v1/staff", json={**VALID_STAFF, "email": store_a.manager_email})
        _assert_error(taken, 409, "EMAIL_TAKEN")
        bad_query = await client.get("/api/v1/audit", params={"limit": "many"})
        assert _assert_error(bad_query, 422, "VALIDATION_FAILED")["data"]["errors"][0]["field"] == "limit"
        bad_path = await client.get("/api/v1/staff/not-a-uuid")  # no route has such a path
        _assert_error(bad_path, 404, "NOT_FOUND")
        assert await owner.fetchval("SELECT count(*) FROM account") == before


async def test_unknown_routes_and_wrong_methods(http: Any) -> None:
    missing = await http.get("/api/v1/no-such-thing")
    _assert_error(missing, 404, "NOT_FOUND")
    assert missing.headers["x-request-id"]
    wrong = await http.put("/api/v1/auth/login", json={})
    _assert_error(wrong, 405, "METHOD_NOT_ALLOWED")


# --- unexpected errors ---------------------------------------------------------------------------

@get("/api/v1/test/boom", opt={"auth": "public"}, sync_to_thread=False)
def _boom() -> None:
    raise RuntimeError(SECRET_MESSAGE)


@get("/ops/test-boom", opt={"auth": "public"}, sync_to_thread=False)
def _boom_page() -> None:
    raise RuntimeError(SECRET_MESSAGE)


class _BoomPlugin:
    @hookimpl
    def pawpay_route_handlers(self) -> list[object]:
        return [_boom, _boom_page]


@pytest.mark.parametrize("with_admin_ui", [True, False], ids=["with-admin-ui", "platform-only"])
async def test_an_unexpected_exception_is_a_500_without_internals(
    with_admin_ui: bool, pawpay_database: Any, new_client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    pm = build_plugin_manager(load_entry_points=with_admin_ui, extra_plugins=[_BoomPlugin()])
    app = create_app(plugin_manager=pm, manage_pool=False)
    async with LifespanManager(app), new_client(app) as client:
        response = await client.get("/api/v1/test/boom", headers={"x-request-id": "boom-1"})
        page = await client.get("/ops/test-boom", headers={"accept": "text/html"})
    body = _assert_error(response, 500, "INTERNAL_ERROR")
    assert body["data"]["request_id"] == response.headers["x-request-id"] == "boom-1"
    assert "hunter2" not in response.text
    assert "secret.py" not in response.text
    # The browser gets a page (the admin UI's error.html, or a bare one without it); same rules.
    assert page.status_code == 500
    assert page.headers["content-type"].startswith("text/html")
    assert "hunter2" not in page.text
    assert "Traceback" not in page.text
    assert page.headers["x-request-id"] in page.text
    # ... while the log has the full story, under the request id.
    logged = [r for r in caplog.records if r.getMessage() == "unhandled error"]
    assert logged
    assert getattr(logged[0], "request_id", None) == "boom-1"
    assert logged[0].exc_info is not None


# --- the database is down ------------------------------------------------------------------------

async def test_database_down_means_503_and_not_ready_but_still_alive(
    store_a: Any, signed_in: Any, new_client: Any, pawpay_database: Any
) -> None:
    async with signed_in(store_a.manager_email) as client:
        assert (await client.get("/api/v1/tenant")).status_code == 200
        # Point the engine's pool at a port where no PostgreSQL listens; the session pool comes back after.
        engine = get_engine()
        original = engine.pool
        dead = await asyncpg.create_pool("postgresql://pawpay_app@127.0.0.1:9/nowhere", min_size=0, max_size=1,
                                         timeout=2)
        engine.pool = dead
        try:
            down = await client.get("/api/v1/tenant")
            anonymous = await client.post("/api/v1/auth/login", json={"email": "a@b.test", "password": "x"})
            ready = await client.get("/readyz")
            alive = await client.get("/healthz")
        finally:
            engine.pool = original
            await dead.close()
        back = await client.get("/api/v1/tenant")
    body = _assert_error(down, 503, "SERVICE_UNAVAILABLE")
    assert body["data"]["request_id"] == down.headers["x-request-id"]
    _assert_error(anonymous, 503, "SERVICE_UNAVAILABLE")
    assert ready.status_code == 503
    assert ready.json()["status"] == "not ready"
    assert ready.json()["checks"]["database"] != "ok"
    assert ready.json()["checks"]["broker"] == "ok"
    assert alive.status_code == 200
    assert back.status_code == 200  # and it recovers by itself


async def test_the_app_recovers_by_itself_when_the_database_drops_its_connections(
    store_a: Any, signed_in: Any, pawpay_database: Any, owner: asyncpg.Connection
) -> None:
    """Like a database restart: every pooled connection is dead. The next requests must neither
    fail nor leak connections (piccolo 1.38 leaks one per failed BEGIN; the pool would run dry)."""
    async with signed_in(store_a.manager_email) as client:
        assert (await client.get("/api/v1/tenant")).status_code == 200
        terminated = await owner.fetchval(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE usename = 'pawpay_app' AND datname = current_database()"
        )
        assert terminated >= 1
        answers = [await client.get("/api/v1/tenant") for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200], [a.text for a in answers]
    pool = get_engine().pool
    assert pool is not None
    assert pool.get_size() - pool.get_idle_size() == 0  # nothing left checked out


async def test_readyz_is_ready_when_everything_is_up(http: Any) -> None:
    ready = await http.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {"database": "ok", "broker": "ok"}}


# --- request ids, metrics, logs ------------------------------------------------------------------

async def test_request_ids_are_echoed_when_sane_and_replaced_otherwise(http: Any) -> None:
    echoed = await http.get("/healthz", headers={"x-request-id": "lb-7f3a.1_x"})
    assert echoed.headers["x-request-id"] == "lb-7f3a.1_x"
    for bad in ("has spaces", "x" * 100, "<script>"):
        replaced = await http.get("/api/v1/auth/me", headers={"x-request-id": bad})
        assert replaced.headers["x-request-id"] != bad
        assert len(replaced.headers["x-request-id"]) == 32
    fresh = await http.get("/healthz")
    again = await http.get("/healthz")
    assert fresh.headers["x-request-id"] != again.headers["x-request-id"]


async def test_metrics_count_requests_by_route_template(http: Any, store_a: Any) -> None:
    await http.get(f"/api/v1/staff/{store_a.manager_id}")
    metrics = await http.get("/metrics")
    assert metrics.status_code == 200
    lines = [line for line in metrics.text.splitlines() if line.startswith("pawpay_http_requests_total{")]
    assert lines
    assert any('route="/api/v1/staff/{account_id}"' in line and 'status="401"' in line for line in lines)
    assert not any(str(store_a.manager_id) in line for line in lines)  # bounded label values


def test_logs_are_json_lines() -> None:
    script = textwrap.dedent(
        """
        import asyncio, logging
        import httpx, structlog
        from pawpay.platform.observability.logging import configure_logging
        from pawpay.platform.web.app import create_app
        from pawpay.platform.hooks._manager import build_plugin_manager

        configure_logging("INFO", "json")
        logging.getLogger("pawpay.test").info("plain %s", "stdlib", extra={"tenant_id": "t-1"})
        structlog.get_logger("pawpay.test").warning("structured", amount_fen=1999, 名字="宠物")
        try:
            raise ValueError("for the log")
        except ValueError:
            logging.getLogger("pawpay.test").exception("failed")

        async def main():
            app = create_app(plugin_manager=build_plugin_manager(load_entry_points=False), manage_pool=False)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                await client.get("/healthz", headers={"x-request-id": "log-test-1"})

        asyncio.run(main())
        """
    )
    env = {**os.environ, "PAWPAY_DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none", "PYTHONSAFEPATH": "1"}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                            env=env, cwd=REPO_ROOT, check=False)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    by_event = {r["event"]: r for r in records}
    assert by_event["plain stdlib"]["tenant_id"] == "t-1"
    assert by_event["plain stdlib"]["level"] == "info"
    assert by_event["plain stdlib"]["logger"] == "pawpay.test"
    assert "timestamp" in by_event["plain stdlib"]
    assert by_event["structured"]["amount_fen"] == 1999
    assert by_event["structured"]["名字"] == "宠物"
    assert "ValueError: for the log" in by_event["failed"]["exception"]
    request = by_event["request"]
    assert request["request_id"] == "log-test-1"
    assert request["path"] == "/healthz"
    assert request["status"] == 200


# --- the error model in the OpenAPI document ------------------------------------------------------

async def test_openapi_documents_the_error_body_on_every_route(http: Any) -> None:
    response = await http.get("/api/docs/openapi.json")
    assert response.status_code == 200
    doc = response.json()
    error = doc["components"]["schemas"]["Error"]
    assert set(error["properties"]) == {"code", "detail", "data"}
    assert error["properties"]["data"]["type"] == "object"
    error_ref = {"$ref": "#/components/schemas/Error"}

    def schema_of(operation: dict[str, Any], status: str) -> Any:
        return operation["responses"][status]["content"]["application/json"]["schema"]

    operations = {op["operationId"]: op for item in doc["paths"].values() for op in item.values()
                  if isinstance(op, dict) and "operationId" in op}
    create_staff = operations["CreateStaff"]
    for status in ("400", "401", "403", "422", "500"):
        assert schema_of(create_staff, status) == error_ref, status
    assert "404" in operations["GetStaff"]["responses"]
    assert {"401", "429"} <= set(operations["Login"]["responses"])
    # Every error answer of every route uses the one body (never litestar's own error schema).
    for operation_id, operation in operations.items():
        for status in operation["responses"]:
            if int(status) >= 400:
                assert schema_of(operation, status) == error_ref, (operation_id, status)
