"""Database scopes: every query pawpay runs happens inside exactly one of them.

``tenant_scope(ctx)``
    One transaction whose first statement is ``set_config('app.tenant_id', $1, true)``; RLS then
    shows and accepts only that tenant's rows.
``platform_scope(reason)``
    One transaction with ``app.platform_scope = 'on'``: cross-tenant work (the operator console,
    scheduler scans, authentication). It cannot be entered from inside a tenant scope, so a
    tenant request can never widen itself. Every entry is logged (logger
    ``pawpay.platform.tenancy.scope``, fields ``reason``, ``actor_id``, ``request_id``): at INFO
    when an operator (a ``PlatformContext`` with an ``actor_id``) enters it, at DEBUG for
    actor-less platform work (scheduler ticks, authentication, jobs), which would flood the log.
    What an operator *changed* is in the audit log; this records that they looked across tenants.

Both settings are transaction-local, so nothing leaks to the next user of a pooled connection.
Re-entering the *same* scope joins the open transaction; entering a different one raises.

A scope's transaction survives a database restart (see ``SafePostgresTransaction``).

``after_commit(callback)`` defers work (broadcasting a hook, enqueueing a job) until the
outermost transaction has committed; if it rolls back, the callbacks are dropped.
"""

from __future__ import annotations

import contextvars
import inspect
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field

from piccolo.engine.postgres import PostgresTransaction
from piccolo.querystring import QueryString

from pawpay.platform.db.engine import get_engine
from pawpay.platform.db.rls import PLATFORM_SETTING, TENANT_SETTING
from pawpay.platform.errors import ScopeViolation
from pawpay.platform.tenancy.context import PlatformContext, TenantContext

log = logging.getLogger(__name__)


ANONYMOUS, TENANT, PLATFORM = "anonymous", "tenant", "platform"

@dataclass(frozen=True, slots=True)
class _Scope:
    kind: str
    tenant_id: uuid.UUID | None
    transaction: PostgresTransaction
    # Shared by every scope of one transaction; run by the outermost once it has committed.
    after_commit: list[Callable[[], object]] = field(default_factory=list)


_current: contextvars.ContextVar[_Scope | None] = contextvars.ContextVar("pawpay_db_scope", default=None)


def current_tenant_id() -> uuid.UUID | None:
    scope = _current.get()
    return scope.tenant_id if scope else None


def in_scope() -> bool:
    """Whether a scope (and so a transaction) is open in this context."""
    return _current.get() is not None


def in_platform_scope() -> bool:
    scope = _current.get()
    return scope is not None and scope.kind == PLATFORM


def after_commit(callback: Callable[[], object]) -> None:
    """Run ``callback`` (sync or async) once the current scope's transaction has committed.

    Never if it rolls back. Outside any scope there is nothing to wait for: raises
    :class:`ScopeViolation` (call it inside the scope that makes the change). Callbacks run in
    registration order, outside any scope; one that fails is logged and does not stop the others
    (the data is committed by then).
    """
    scope = _current.get()
    if scope is None:
        raise ScopeViolation("after_commit() needs an open scope")
    scope.after_commit.append(callback)


def after_commit_mark() -> int:
    """A mark of the current scope's after-commit callbacks, taken with a SAVEPOINT: after
    ``ROLLBACK TO SAVEPOINT``, :func:`drop_after_commit_since` forgets the callbacks of the work
    that was rolled back (they must not announce it)."""
    scope = _current.get()
    if scope is None:
        raise ScopeViolation("after_commit_mark() needs an open scope")
    return len(scope.after_commit)


def drop_after_commit_since(mark: int) -> None:
    """Forget the after-commit callbacks registered since ``mark`` (see :func:`after_commit_mark`)."""
    scope = _current.get()
    if scope is None:
        raise ScopeViolation("drop_after_commit_since() needs an open scope")
    del scope.after_commit[mark:]


async def _run_after_commit(callbacks: list[Callable[[], object]]) -> None:
    for callback in callbacks:
        try:
            result = callback()
            if inspect.isawaitable(result):
                await result
        except Exception:
            log.exception("an after-commit callback failed", extra={"callback": repr(callback)})


async def set_scope_settings(tenant_id: uuid.UUID | None, platform: bool) -> None:
    """Set both scope settings in the current transaction, in one round trip."""
    await get_engine().run_querystring(
        QueryString(
            f"SELECT set_config('{TENANT_SETTING}', {{}}, true), set_config('{PLATFORM_SETTING}', {{}}, true)",
            str(tenant_id) if tenant_id else "",
            "on" if platform else "",
        )
    )


async def _apply(scope: _Scope) -> None:
    await set_scope_settings(scope.tenant_id, platform=scope.kind == PLATFORM)


@asynccontextmanager
async def _enter(kind: str, tenant_id: uuid.UUID | None) -> AsyncIterator[PostgresTransaction]:
    existing = _current.get()
    if existing is None:
        async with get_engine().transaction(allow_nested=False) as tx:
            scope = _Scope(kind, tenant_id, tx)
            if kind != ANONYMOUS:  # a new transaction starts with both settings empty
                await _apply(scope)
            token = _current.set(scope)
            try:
                yield tx
            finally:
                _current.reset(token)
        # Leaving the block without an exception committed, unless the owner rolled back by hand
        # (the request middleware does on an error status).
        if scope.after_commit and not tx._rolled_back:
            await _run_after_commit(scope.after_commit)
        return
    if existing.kind == kind and existing.tenant_id == tenant_id:
        yield existing.transaction
        return
    # Only ever narrow: anonymous -> anything (public endpoints that must authenticate or look
    # something up), platform -> one tenant. A tenant scope can never widen or switch tenants.
    if existing.kind == TENANT:
        raise ScopeViolation(f"cannot enter a {kind} scope from inside a tenant scope")
    if existing.kind == PLATFORM and kind != TENANT:
        raise ScopeViolation(f"cannot enter a {kind} scope from inside the platform scope")
    scope = _Scope(kind, tenant_id, existing.transaction, existing.after_commit)
    await _apply(scope)
    token = _current.set(scope)
    try:
        yield existing.transaction
    finally:
        _current.reset(token)
        await _apply(existing)


@asynccontextmanager
async def tenant_scope(ctx: TenantContext | uuid.UUID) -> AsyncIterator[PostgresTransaction]:
    """Run the block in one transaction that sees only ``ctx``'s tenant."""
    tenant_id = ctx.tenant_id if isinstance(ctx, TenantContext) else ctx
    async with _enter(TENANT, tenant_id) as tx:
        yield tx


@asynccontextmanager
async def platform_scope(
    reason: str, ctx: PlatformContext | None = None
) -> AsyncIterator[PostgresTransaction]:
    """Run the block in one transaction that sees every tenant. Never reachable from a tenant scope."""
    # An operator's cross-tenant access is worth a record at INFO; the scheduler's ticks and
    # other actor-less platform work would drown the log, so they stay at DEBUG.
    level = logging.INFO if ctx is not None and ctx.actor_id is not None else logging.DEBUG
    if log.isEnabledFor(level):
        log.log(level, "platform scope: %s", reason, extra={
            "reason": reason,
            "actor_id": str(ctx.actor_id) if ctx and ctx.actor_id else None,
            "request_id": ctx.request_id if ctx else None,
        })
    async with _enter(PLATFORM, None) as tx:
        yield tx


def scope_for(ctx: TenantContext | PlatformContext, reason: str) -> AbstractAsyncContextManager[PostgresTransaction]:
    """The scope a context acts in: its tenant's for a :class:`TenantContext`, the platform's
    (logged with ``reason``) for a :class:`PlatformContext`. For services that serve both."""
    if isinstance(ctx, TenantContext):
        return tenant_scope(ctx)
    return platform_scope(reason, ctx)


@asynccontextmanager
async def anonymous_scope() -> AsyncIterator[PostgresTransaction]:
    """A transaction that sees no tenant row at all (public pages, before authentication)."""
    async with _enter(ANONYMOUS, None) as tx:
        yield tx


@asynccontextmanager
async def narrowed(kind: str, tenant_id: uuid.UUID | None = None) -> AsyncIterator[PostgresTransaction]:
    """For the request middleware only: set the scope of its open anonymous transaction.

    The settings are always written (never assumed) and not restored afterwards: the caller
    either narrows again or ends the transaction right after the block, and restoring would be
    impossible anyway if a handler left the transaction failed.
    """
    existing = _current.get()
    if existing is None or existing.kind != ANONYMOUS:
        raise ScopeViolation("narrowed() is only for the request's anonymous transaction")
    scope = _Scope(kind, tenant_id, existing.transaction, existing.after_commit)
    await _apply(scope)
    token = _current.set(scope)
    try:
        yield existing.transaction
    finally:
        _current.reset(token)
