"""Identity and access through the real app: logins, lock-out, throttling, CSRF, sessions, API
keys and role guards (issue 2, item 5)."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from asgi_lifespan import LifespanManager
from litestar import Request, post

from pawpay.platform.clock import FrozenClock, set_clock, utcnow
from pawpay.platform.hooks import hookimpl
from pawpay.platform.hooks._manager import build_plugin_manager
from pawpay.platform.identity.roles import FRONT_DESK, MANAGER
from pawpay.platform.settings import get_settings
from pawpay.platform.testing.plugin import PASSWORD, login
from pawpay.platform.web.app import create_app
from pawpay.platform.web.middleware import MAX_FORM_BYTES, SESSION_COOKIE

pytestmark = pytest.mark.integration


@pytest.fixture
def frozen_clock() -> Iterator[FrozenClock]:
    """Time stands still (from now) until the test moves it; the system clock comes back after."""
    clock = FrozenClock(utcnow())
    previous = set_clock(clock)
    try:
        yield clock
    finally:
        set_clock(previous)


@pytest.fixture
def settings_override(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """``settings_override(NAME=value)`` changes ``PAWPAY_NAME`` for this test only."""

    def override(**values: Any) -> None:
        for name, value in values.items():
            monkeypatch.setenv(f"PAWPAY_{name.upper()}", str(value))
        get_settings.cache_clear()

    yield override
    get_settings.cache_clear()  # before monkeypatch restores the environment: re-read it then


async def _post_login(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post("/api/v1/auth/login", json={"email": email, "password": password})


# --- login, lock-out, throttling ------------------------------------------------------------------

async def test_login_succeeds_and_every_failure_looks_the_same(store_a: Any, new_client: Any) -> None:
    async with new_client() as client:
        ok = await _post_login(client, store_a.manager_email, PASSWORD)
        assert ok.status_code == 200
        assert ok.json()["tenant_id"] == str(store_a.tenant_id)
        assert ok.json()["csrf_token"]
        cookie = ok.headers["set-cookie"].lower()
        assert SESSION_COOKIE in cookie
        assert "httponly" in cookie
        assert "samesite=lax" in cookie
        client.cookies.clear()  # signed out again: the failures below are anonymous attempts
        answers = [
            await _post_login(client, store_a.manager_email, "wrong-password-1"),
            await _post_login(client, f"nobody-{uuid.uuid4().hex[:6]}@nowhere.test", PASSWORD),
            await _post_login(client, "not an e-mail", PASSWORD),
        ]
    for answer in answers:
        assert answer.status_code == 401
        assert answer.json()["code"] == "INVALID_CREDENTIALS"
    assert len({a.text for a in answers}) == 1  # no hint which part was wrong


async def test_failed_attempts_are_counted_although_the_request_rolls_back(
    store_a: Any, make_staff: Any, new_client: Any, owner: asyncpg.Connection
) -> None:
    account_id, email = await make_staff(store_a, [FRONT_DESK])
    async with new_client() as client:
        response = await _post_login(client, email, "wrong-password-1")
        assert response.status_code == 401  # the request's own transaction rolled back ...
    # ... but the login ran in its own transaction and committed its counters.
    assert await owner.fetchval("SELECT failed_logins FROM account WHERE id = $1", account_id) == 1
    key_rows = await owner.fetch("SELECT key, attempts FROM login_throttle WHERE attempts > 0")
    assert key_rows


async def test_lock_out_after_max_failures_and_unlock_after_the_window(
    store_a: Any, make_staff: Any, new_client: Any, frozen_clock: FrozenClock, owner: asyncpg.Connection
) -> None:
    settings = get_settings()
    account_id, email = await make_staff(store_a, [FRONT_DESK])
    async with new_client() as client:
        for _ in range(settings.login_max_failures):
            failed = await _post_login(client, email, "wrong-password-1")
            assert failed.json()["code"] == "INVALID_CREDENTIALS"
        locked = await _post_login(client, email, PASSWORD)  # even the right password
        assert locked.status_code == 401
        assert locked.json()["code"] == "ACCOUNT_LOCKED"
        frozen_clock.advance(timedelta(minutes=settings.login_lockout_minutes) - timedelta(seconds=1))
        assert (await _post_login(client, email, PASSWORD)).json()["code"] == "ACCOUNT_LOCKED"
        frozen_clock.advance(timedelta(seconds=2))
        assert (await _post_login(client, email, PASSWORD)).status_code == 200
    row = await owner.fetchrow("SELECT failed_logins, locked_until FROM account WHERE id = $1", account_id)
    assert row["failed_logins"] == 0
    assert row["locked_until"] is None
    locks = await owner.fetchval(
        "SELECT count(*) FROM audit_entry WHERE action = 'account.locked' AND target_id = $1", str(account_id))
    assert locks == 1


async def test_too_many_failures_from_one_address_get_429_with_retry_after(
    store_a: Any, new_client: Any, settings_override: Any, frozen_clock: FrozenClock
) -> None:
    settings_override(login_attempts_per_ip=3, login_window_minutes=15)
    async with new_client() as attacker, new_client() as colleague:
        for _ in range(3):
            answer = await _post_login(attacker, f"guess-{uuid.uuid4().hex[:6]}@x.test", "password-123")
            assert answer.status_code == 401
        refused = await _post_login(attacker, store_a.manager_email, PASSWORD)
        assert refused.status_code == 429
        assert refused.json()["code"] == "RATE_LIMITED"
        assert 0 < int(refused.headers["retry-after"]) <= 15 * 60
        # Another address is not affected, and successes do not count against anyone.
        assert (await _post_login(colleague, store_a.manager_email, PASSWORD)).status_code == 200
        frozen_clock.advance(timedelta(minutes=15, seconds=1))
        assert (await _post_login(attacker, store_a.manager_email, PASSWORD)).status_code == 200


# --- CSRF ------------------------------------------------------------------------------------------

async def _staff_count(owner: asyncpg.Connection, tenant_id: uuid.UUID) -> int:
    return int(await owner.fetchval("SELECT count(*) FROM account WHERE tenant_id = $1", tenant_id))


async def test_cookie_posts_need_the_csrf_token(
    store_a: Any, signed_in: Any, owner: asyncpg.Connection
) -> None:
    body = {"email": f"csrf-{uuid.uuid4().hex[:6]}@a.test", "display_name": "C", "password": "long-enough-1",
            "roles": [FRONT_DESK]}
    async with signed_in(store_a.manager_email) as client:
        token = client.headers.pop("x-csrftoken")
        before = await _staff_count(owner, store_a.tenant_id)
        missing = await client.post("/api/v1/staff", json=body)
        wrong = await client.post("/api/v1/staff", json=body, headers={"x-csrftoken": token[:-2] + "xx"})
        non_ascii = await client.post("/api/v1/staff", json=body, headers={"x-csrftoken": "ü".encode()})
        for refused in (missing, wrong, non_ascii):
            assert refused.status_code == 403
            assert refused.json()["code"] == "CSRF_FAILED"
        assert await _staff_count(owner, store_a.tenant_id) == before
        assert (await client.get("/api/v1/staff")).status_code == 200  # safe methods need no token
        created = await client.post("/api/v1/staff", json=body, headers={"x-csrftoken": token})
        assert created.status_code == 201, created.text
        assert await _staff_count(owner, store_a.tenant_id) == before + 1


@post("/api/v1/test/echo-form", opt={"auth": "tenant"}, status_code=200)
async def _echo_form(request: Request[Any, Any, Any]) -> dict[str, Any]:
    form = await request.form()
    return {"note": form.get("note"), "size": len(str(form.get("big", "")))}


class _EchoPlugin:
    @hookimpl
    def pawpay_route_handlers(self) -> list[object]:
        return [_echo_form]


@pytest.fixture(scope="module")
async def echo_app(pawpay_database: Any) -> AsyncIterator[Any]:
    app = create_app(plugin_manager=build_plugin_manager(extra_plugins=[_EchoPlugin()]), manage_pool=False)
    async with LifespanManager(app):
        yield app


async def test_a_plain_html_form_may_carry_the_token_and_reaches_the_handler_intact(
    store_a: Any, echo_app: Any, new_client: Any
) -> None:
    async with new_client(echo_app) as client:
        token = await login(client, store_a.manager_email)
        del client.headers["x-csrftoken"]
        ok = await client.post("/api/v1/test/echo-form", data={"_csrf": token, "note": "你好 & more",
                                                                "big": "x" * 70_000})
        assert ok.status_code == 200, ok.text
        assert ok.json() == {"note": "你好 & more", "size": 70_000}  # the body was replayed whole
        refused = await client.post("/api/v1/test/echo-form", data={"_csrf": "nope", "note": "x"})
        assert refused.status_code == 403
        assert refused.json()["code"] == "CSRF_FAILED"
        in_query = await client.post(f"/api/v1/test/echo-form?_csrf={token}", json={})
        assert in_query.status_code == 403  # never from the URL
        too_big = await client.post("/api/v1/test/echo-form", data={"_csrf": token, "big": "x" * (MAX_FORM_BYTES + 1)})
        assert too_big.status_code == 413


# --- sessions --------------------------------------------------------------------------------------

async def test_logout_ends_the_session(store_a: Any, signed_in: Any, new_client: Any) -> None:
    async with signed_in(store_a.manager_email) as client:
        cookie = client.cookies[SESSION_COOKIE]
        assert (await client.get("/api/v1/auth/me")).status_code == 200
        out = await client.post("/api/v1/auth/logout")
        assert out.status_code == 204
    async with new_client() as replay:
        replay.cookies.set(SESSION_COOKIE, cookie)
        me = await replay.get("/api/v1/auth/me")
        assert me.status_code == 401
        assert me.json()["code"] == "NOT_AUTHENTICATED"


async def test_sessions_expire(store_a: Any, signed_in: Any, frozen_clock: FrozenClock) -> None:
    async with signed_in(store_a.manager_email) as client:
        assert (await client.get("/api/v1/auth/me")).status_code == 200
        frozen_clock.advance(timedelta(minutes=get_settings().session_ttl_minutes, seconds=1))
        assert (await client.get("/api/v1/auth/me")).status_code == 401


async def test_deactivated_staff_are_signed_out_and_cannot_sign_in(
    store_a: Any, make_staff: Any, signed_in: Any, new_client: Any
) -> None:
    account_id, email = await make_staff(store_a, [FRONT_DESK])
    async with signed_in(email) as victim, signed_in(store_a.manager_email) as manager:
        assert (await victim.get("/api/v1/auth/me")).status_code == 200
        off = await manager.patch(f"/api/v1/staff/{account_id}", json={"is_active": False})
        assert off.status_code == 200
        assert off.json()["is_active"] is False
        assert (await victim.get("/api/v1/auth/me")).status_code == 401
        async with new_client() as client:
            again = await _post_login(client, email, PASSWORD)
            assert again.status_code == 401
            assert again.json()["code"] == "INVALID_CREDENTIALS"
        on = await manager.patch(f"/api/v1/staff/{account_id}", json={"is_active": True})
        assert on.status_code == 200
        async with new_client() as client:
            assert (await _post_login(client, email, PASSWORD)).status_code == 200


async def test_roles_are_enforced(store_a: Any, make_staff: Any, signed_in: Any) -> None:
    _, email = await make_staff(store_a, [FRONT_DESK])
    async with signed_in(email) as client:
        assert (await client.get("/api/v1/tenant")).status_code == 200
        denied = await client.get("/api/v1/staff")
        assert denied.status_code == 403
        assert denied.json()["code"] == "PERMISSION_DENIED"
        assert denied.json()["data"]["required_roles"] == [MANAGER]


# --- API keys ---------------------------------------------------------------------------------------

async def _create_key(client: httpx.AsyncClient, role: str) -> tuple[str, dict[str, Any]]:
    response = await client.post("/api/v1/api-keys", json={"name": f"erp {role}", "role": role})
    assert response.status_code == 201, response.text
    body = response.json()
    return body["key"], body["api_key"]


async def test_api_keys_are_shown_once_and_stored_hashed(
    store_a: Any, signed_in: Any, owner: asyncpg.Connection
) -> None:
    async with signed_in(store_a.manager_email) as client:
        key, view = await _create_key(client, FRONT_DESK)
        listed = (await client.get("/api/v1/api-keys")).text
    assert key.startswith("pp_")
    assert key not in listed
    row = await owner.fetchrow("SELECT to_jsonb(k)::text AS j, secret_hash FROM api_key k WHERE id = $1",
                               uuid.UUID(view["id"]))
    secret_part = key.split("_", 2)[2]
    assert secret_part not in row["j"]
    assert row["secret_hash"] == hashlib.sha256(key.encode()).hexdigest()
    leaked = await owner.fetchval("SELECT count(*) FROM audit_entry a WHERE to_jsonb(a)::text LIKE '%' || $1 || '%'",
                                  secret_part)
    assert leaked == 0


async def test_api_keys_authenticate_within_their_store_and_role(
    store_a: Any, store_b: Any, signed_in: Any, new_client: Any, owner: asyncpg.Connection
) -> None:
    async with signed_in(store_a.manager_email) as manager:
        manager_key, _ = await _create_key(manager, MANAGER)
        desk_key, desk_view = await _create_key(manager, FRONT_DESK)
        async with new_client() as server:  # no cookie, no CSRF token: a server-to-server caller
            server.headers["authorization"] = f"Bearer {manager_key}"
            staff = await server.get("/api/v1/staff")
            assert staff.status_code == 200
            assert {s["tenant_id"] for s in staff.json()} == {str(store_a.tenant_id)}
            body = {"email": f"via-key-{uuid.uuid4().hex[:6]}@a.test", "display_name": "K",
                    "password": "long-enough-1", "roles": [FRONT_DESK]}
            created = await server.post("/api/v1/staff", json=body)  # no CSRF needed
            assert created.status_code == 201, created.text
            assert created.json()["tenant_id"] == str(store_a.tenant_id)
            other_store = await server.get(f"/api/v1/staff/{store_b.manager_id}")
            assert other_store.status_code == 404
            assert other_store.json()["code"] == "NOT_FOUND"

            server.headers["authorization"] = f"Bearer {desk_key}"
            assert (await server.get("/api/v1/tenant")).json()["id"] == str(store_a.tenant_id)
            denied = await server.post("/api/v1/staff", json={**body, "email": f"x{body['email']}"})
            assert denied.status_code == 403
            assert denied.json()["code"] == "PERMISSION_DENIED"

            revoked = await manager.delete(f"/api/v1/api-keys/{desk_view['id']}")
            assert revoked.status_code == 200
            assert revoked.json()["revoked_at"]
            after = await server.get("/api/v1/tenant")
            assert after.status_code == 401
            assert after.json()["code"] == "NOT_AUTHENTICATED"
            server.headers["authorization"] = "Bearer pp_nope_nope"
            assert (await server.get("/api/v1/tenant")).status_code == 401
    creator = await owner.fetchval("SELECT actor_label FROM audit_entry WHERE action = 'account.created' "
                                   "AND after->>'email' = $1", body["email"])
    assert creator == "api-key:erp manager"
