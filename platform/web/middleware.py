"""One ASGI middleware per request: request id, authentication, CSRF, database scope, transaction.

Why a middleware and not a dependency: piccolo keeps the transaction in a ContextVar, and
litestar resolves dependencies in task groups whose context copies would lose it (STACK_NOTES
§2.2). The response is buffered so that COMMIT happens *before* the client sees a success: a
failed commit becomes a 500, never a 2xx for lost data. Before committing a success the
middleware runs ``SET CONSTRAINTS ALL IMMEDIATE``, which fails in an aborted transaction (whose
COMMIT PostgreSQL would silently turn into a ROLLBACK) and checks deferred constraints: either
way the answer is 500 and nothing is saved. Any error status rolls back.

A route handler with ``opt={"transaction": False}`` (the logins) runs with neither: see
:func:`wants_transaction`.

CSRF: an unsafe request authenticated by the session cookie must carry the session's token in
the ``x-csrftoken`` header, or as the ``_csrf`` field of an ``application/x-www-form-urlencoded``
body (plain HTML forms; such a body is read here, at most ``MAX_FORM_BYTES``, and handed on to
the application unchanged) or of a ``multipart/form-data`` body (file uploads; read up to the
upload limit plus ``MULTIPART_OVERHEAD_BYTES``). Never in the query string: URLs end up in logs and Referer headers.
API keys (``Authorization: Bearer``) need no CSRF token: browsers never send them on their own.

A database that cannot be reached answers 503 ``SERVICE_UNAVAILABLE``; nothing the middleware
does ends in a stack trace for the client.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import time
import uuid
from collections.abc import MutableMapping
from contextlib import AbstractAsyncContextManager
from typing import Any
from urllib.parse import parse_qs

import asyncpg
import structlog
from litestar.enums import ScopeType
from litestar.exceptions import HTTPException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from litestar.types.asgi_types import HTTPRequestEvent, ReceiveMessage

from pawpay.platform.db.engine import DATABASE_UNAVAILABLE
from pawpay.platform.errors import ErrorCode, PermissionDenied
from pawpay.platform.identity.principal import Principal
from pawpay.platform.observability import metrics
from pawpay.platform.tenancy.scope import (
    ANONYMOUS,
    PLATFORM,
    TENANT,
    anonymous_scope,
    narrowed,
)
from pawpay.platform.web.errors import NothingSaved, error_body

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
# A multipart form carries one upload plus its other fields and part headers.
MULTIPART_OVERHEAD_BYTES = 1 << 20


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


def request_id_for(scope: Scope) -> str:
    """The caller's ``x-request-id`` if it is a sane token, else a new one (never trust it blindly:
    it ends up in logs and the audit log)."""
    incoming = _header(scope, b"x-request-id")
    return incoming if incoming and _REQUEST_ID_RE.match(incoming) else uuid.uuid4().hex


async def _json_error(send: Send, exc: BaseException, request_id: str) -> None:
    """Answer ``exc`` in the one error model (:func:`error_body`), as the exception handler would."""
    status, content = error_body(exc)
    if status >= 500:
        content["data"] = {**content["data"], "request_id": request_id}
    body = json.dumps(content, default=str).encode()
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
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
    """Hands the body the middleware already read to the app as if it were read for the first
    time; later calls (waiting for a disconnect) go to the server's own ``receive``."""

    def __init__(self, body: bytes, receive: Receive) -> None:
        self._body: bytes | None = body
        self._receive = receive

    async def __call__(self) -> ReceiveMessage:
        if self._body is None:
            return await self._receive()
        body, self._body = self._body, None
        message: HTTPRequestEvent = {"type": "http.request", "body": body, "more_body": False}
        return message


class _BodyTooLarge(Exception):
    pass


async def _read_body(receive: Receive, limit: int) -> bytes:
    """The whole request body; raises :class:`_BodyTooLarge` past ``limit`` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":  # the client went away
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def multipart_limit() -> int:
    """The largest multipart body accepted: one upload plus the form around it."""
    from pawpay.platform.settings import get_settings

    return get_settings().upload_max_bytes + MULTIPART_OVERHEAD_BYTES


_BOUNDARY_RE = re.compile(r'boundary="?([^";]{1,70})"?', re.IGNORECASE)
_FIELD_NAME_RE = re.compile(rb'^content-disposition:\s*form-data;.*?\bname="([^"]*)"', re.IGNORECASE | re.MULTILINE)


def multipart_field(body: bytes, content_type: str, name: str) -> str | None:
    """The value of the plain (non-file) field ``name`` of a ``multipart/form-data`` body, if any.

    Only what CSRF needs: a short text field found by its part headers (RFC 7578); anything
    malformed is simply "not found", which fails the check.
    """
    match = _BOUNDARY_RE.search(content_type)
    if match is None:
        return None
    delimiter = b"--" + match.group(1).encode("latin-1")
    for part in body.split(delimiter)[1:]:
        head, separator, content = part.partition(b"\r\n\r\n")
        if not separator:
            continue
        field = _FIELD_NAME_RE.search(head)
        if field is None or field.group(1).decode("utf-8", "replace") != name or b"filename=" in head.lower():
            continue
        value = content[:-2] if content.endswith(b"\r\n") else content
        return value.decode("utf-8", "replace")
    return None


def wants_transaction(scope: Scope) -> bool:
    """False for a route handler declaring ``opt={"transaction": False}``: it gets no request
    transaction and no authentication (only ``auth: "public"`` routes may, checked at start-up)
    and opens its own transactions. For a login, whose attempt counters must commit even when
    the answer is an error: inside the request transaction it would need a second pooled
    connection, and enough concurrent logins would hold the whole pool waiting for more.

    Litestar applies middleware per route, so the matched handler is known here."""
    handler = scope.get("route_handler")
    return handler is None or handler.opt.get("transaction", True) is not False


def _same_token(supplied: str | None, expected: str | None) -> bool:
    if not supplied or not expected:
        return False
    # Bytes: compare_digest refuses non-ASCII str, and a header may carry anything.
    return secrets.compare_digest(supplied.encode("utf-8", "replace"), expected.encode("utf-8"))


class RequestMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        started = time.perf_counter()
        request_id = request_id_for(scope)
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
            if scope["path"].startswith(NO_DATABASE_PREFIXES) or not wants_transaction(scope):
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
                    try:
                        receive, ok = await self._check_csrf(scope, receive, principal)
                    except _BodyTooLarge:
                        await tx.rollback()  # type: ignore[no-untyped-call]
                        await _json_error(send, HTTPException(
                            status_code=413, detail="the form is too large"), request_id)
                        return
                    if not ok:
                        await tx.rollback()  # type: ignore[no-untyped-call]
                        await _json_error(send, PermissionDenied(
                            "CSRF token missing or wrong; reload the page and try again",
                            code=ErrorCode.CSRF_FAILED), request_id)
                        return
                await self._run_scoped(scope, receive, capture, next_app, principal, request_id)
                if status.get("code", 500) >= 400:
                    await tx.rollback()  # type: ignore[no-untyped-call]
                else:
                    # PostgreSQL turns COMMIT of an aborted transaction (a handler swallowed a
                    # database error) into a silent ROLLBACK: this statement fails instead, and
                    # surfaces deferred constraint violations before the success is sent.
                    await tx.connection.execute("SET CONSTRAINTS ALL IMMEDIATE")
        except DATABASE_UNAVAILABLE as exc:
            log.warning("database unavailable: %s", exc, extra={"request_id": request_id})
            await _json_error(send, exc, request_id)
            return
        except asyncpg.PostgresError as exc:
            # The transaction was aborted, a deferred constraint failed, or COMMIT itself failed
            # (serialization): it is rolled back, nothing was saved.
            log.error("commit failed: %s", exc, extra={"request_id": request_id})
            await _json_error(send, NothingSaved("the change could not be saved; nothing was changed, try again"),
                              request_id)
            return
        except Exception as exc:
            # Nothing was sent yet (the response is buffered), so the client still gets the
            # error model rather than a dropped connection or a framework traceback page.
            log.exception("request failed outside the handler", extra={"request_id": request_id})
            await _json_error(send, exc, request_id)
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
        """Whether the request carries the session's CSRF token, and the ``receive`` to hand on
        (a replay of the body if it had to be read to find the form field)."""
        supplied = _header(scope, CSRF_HEADER)
        if supplied is None:
            content_type = _header(scope, b"content-type") or ""
            media_type = content_type.split(";")[0].strip().lower()
            if media_type == "application/x-www-form-urlencoded":
                body = await _read_body(receive, MAX_FORM_BYTES)
                receive = _ReplayReceive(body, receive)
                values = parse_qs(body.decode("utf-8", "replace")).get(CSRF_FORM_FIELD)
                supplied = values[0] if values else None
            elif media_type == "multipart/form-data":
                body = await _read_body(receive, multipart_limit())
                receive = _ReplayReceive(body, receive)
                supplied = multipart_field(body, content_type, CSRF_FORM_FIELD)
        return receive, _same_token(supplied, principal.csrf_token)
