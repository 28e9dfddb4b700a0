"""One ASGI middleware per request: request id, authentication, CSRF, database scope, transaction.

Why a middleware and not a dependency: piccolo keeps the transaction in a ContextVar, and
litestar resolves dependencies in task groups whose context copies would lose it (STACK_NOTES
§2.2). The response is buffered so that COMMIT happens *before* the client sees a success: a
failed commit becomes a 500, never a 2xx for lost data. Any error status rolls back.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from contextlib import AbstractAsyncContextManager
from typing import Any
from urllib.parse import parse_qs

import asyncpg
import structlog
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from pawpay.platform.errors import ErrorCode
from pawpay.platform.identity.principal import Principal
from pawpay.platform.observability import metrics
from pawpay.platform.tenancy.scope import ANONYMOUS, PLATFORM, TENANT, anonymous_scope, narrowed

log = logging.getLogger("pawpay.request")

SESSION_COOKIE = "pawpay_session"
CSRF_HEADER = b"x-csrftoken"
CSRF_FORM_FIELD = "_csrf"
# Paths that never touch the database (liveness, metrics, static assets, API docs).
NO_DATABASE_PREFIXES = ("/healthz", "/readyz", "/metrics", "/static/", "/api/docs", "/favicon.ico")
# Public paths that may receive unsafe methods without a session (and so without CSRF).
CSRF_EXEMPT_PREFIXES = ("/webhooks/",)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
MAX_FORM_BYTES = 1 << 20


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _cookie(scope: Scope, name: str) -> str | None:
    raw = _header(scope, b"cookie")
    if not raw:
        return None
    for part in raw.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


def client_ip(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else ""


async def _json_error(send: Send, status: int, code: ErrorCode, detail: str, request_id: str) -> None:
    body = json.dumps({"code": str(code), "detail": detail, "data": {}}).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        (b"x-request-id", request_id.encode()),
    ]})
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def authenticate(scope: Scope) -> tuple[Principal | None, bool]:
    """The request's principal (or None) and whether it came from a session cookie (needs CSRF).

    Runs inside the request transaction, narrowed to platform scope for the lookup only.
    """
    from pawpay.platform.identity.services import resolve_api_key, resolve_session

    authorization = _header(scope, b"authorization")
    if authorization and authorization.lower().startswith("bearer "):
        async with narrowed(PLATFORM):
            return await resolve_api_key(authorization[7:].strip()), False
    token = _cookie(scope, SESSION_COOKIE)
    if token:
        async with narrowed(PLATFORM):
            return await resolve_session(token), True
    return None, False


class _ReplayReceive:
    """Hands the already-read request body to the app as if it were read for the first time."""

    def __init__(self, body: bytes) -> None:
        self._body: bytes | None = body

    async def __call__(self) -> Message:
        if self._body is None:
            return {"type": "http.disconnect"}
        body, self._body = self._body, None
        return {"type": "http.request", "body": body, "more_body": False}


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_FORM_BYTES:
            break
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


class RequestMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        started = time.perf_counter()
        incoming = _header(scope, b"x-request-id")
        request_id = incoming if incoming and _REQUEST_ID_RE.match(incoming) else uuid.uuid4().hex
        state: MutableMapping[str, Any] = scope.setdefault("state", {})
        state["request_id"] = request_id
        structlog.contextvars.bind_contextvars(request_id=request_id)
        status_holder: dict[str, int] = {}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            if scope["path"].startswith(NO_DATABASE_PREFIXES):
                scope["user"] = None
                await next_app(scope, receive, send_with_id)
            else:
                await self._in_transaction(scope, receive, send_with_id, next_app, request_id)
        finally:
            status = status_holder.get("status", 500)
            elapsed = time.perf_counter() - started
            metrics.observe_request(scope, status, elapsed)
            log.info(
                "request",
                extra={"method": scope.get("method"), "path": scope["path"], "status": status,
                       "duration_ms": round(elapsed * 1000, 2), "request_id": request_id},
            )
            structlog.contextvars.unbind_contextvars("request_id")

    async def _in_transaction(
        self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp, request_id: str
    ) -> None:
        buffered: list[Message] = []
        status: dict[str, int] = {}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            buffered.append(message)

        try:
            async with anonymous_scope() as tx:
                principal, cookie_auth = await authenticate(scope)
                scope["user"] = principal
                method = scope.get("method", "GET")
                if cookie_auth and principal is not None and method not in SAFE_METHODS \
                        and not scope["path"].startswith(CSRF_EXEMPT_PREFIXES):
                    receive, ok = await self._check_csrf(scope, receive, principal)
                    if not ok:
                        await tx.rollback()
                        await _json_error(send, 403, ErrorCode.CSRF_FAILED,
                                          "CSRF token missing or wrong; reload the page and try again",
                                          request_id)
                        return
                await self._run_scoped(scope, receive, capture, next_app, principal, request_id)
                if status.get("code", 500) >= 400:
                    await tx.rollback()
        except (OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError,
                asyncpg.CannotConnectNowError, TimeoutError) as exc:
            log.warning("database unavailable: %s", exc, extra={"request_id": request_id})
            await _json_error(send, 503, ErrorCode.SERVICE_UNAVAILABLE,
                              "the database is unavailable; try again in a moment", request_id)
            return
        except asyncpg.PostgresError as exc:
            # COMMIT itself failed (serialization, deferred constraint): nothing was saved.
            log.error("commit failed: %s", exc, extra={"request_id": request_id})
            await _json_error(send, 500, ErrorCode.INTERNAL_ERROR,
                              "the change could not be saved; nothing was changed, try again", request_id)
            return
        for message in buffered:
            await send(message)

    async def _run_scoped(
        self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp, principal: Principal | None,
        request_id: str,
    ) -> None:
        cm: AbstractAsyncContextManager[Any]
        if principal is None:
            cm = narrowed(ANONYMOUS)
        elif principal.tenant_id is not None:
            ctx = principal.tenant_context(request_id)
            scope["state"]["ctx"] = ctx
            cm = narrowed(TENANT, ctx.tenant_id)
        else:
            scope["state"]["ctx"] = principal.platform_context(request_id)
            cm = narrowed(PLATFORM)
        async with cm:
            await next_app(scope, receive, send)

    async def _check_csrf(self, scope: Scope, receive: Receive, principal: Principal) -> tuple[Receive, bool]:
        expected = principal.csrf_token or ""
        supplied = _header(scope, CSRF_HEADER)
        if supplied is None:
            content_type = (_header(scope, b"content-type") or "").split(";")[0].strip()
            if content_type == "application/x-www-form-urlencoded":
                body = await _read_body(receive)
                receive = _ReplayReceive(body)
                supplied = (parse_qs(body.decode("utf-8", "replace")).get(CSRF_FORM_FIELD) or [None])[0]
            else:
                query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
                supplied = (query.get(CSRF_FORM_FIELD) or [None])[0]
        return receive, bool(expected) and supplied is not None and secrets.compare_digest(supplied, expected)


ReceiveFactory = Callable[[], Awaitable[Message]]
