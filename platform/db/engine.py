"""The one piccolo engine of the process, built lazily from settings.

piccolo's ``PostgresEngine`` connects at construction time, so it is never built at import:
``configure_engine(dsn)`` (or the first ``get_engine()``) builds it once the database URL is known
(the embedded server may still be starting). Tables find it through ``piccolo_conf.DB``.
"""

from __future__ import annotations

import asyncio
import contextvars
import warnings
from collections.abc import Coroutine
from typing import Any, TypeVar

from piccolo.engine.postgres import PostgresEngine, PostgresTransaction

T = TypeVar("T")


class SafePostgresTransaction(PostgresTransaction):
    """piccolo 1.38 leaks the pooled connection and leaves a stale ContextVar when COMMIT fails.

    This override always releases the connection and resets the ContextVar (STACK_NOTES §1.2).
    """

    async def __aexit__(self, exception_type: Any, exception: Any, traceback: Any) -> bool:
        if self._parent:
            return exception is None
        try:
            if exception:
                if not self._rolled_back:
                    await self.rollback()  # type: ignore[no-untyped-call]
            elif not self._committed and not self._rolled_back:
                await self.commit()  # type: ignore[no-untyped-call]
        finally:
            try:
                if self.engine.pool:
                    await self.engine.pool.release(self.connection)
                else:
                    await self.connection.close()
            finally:
                self.engine.current_transaction.reset(self.context)
        return exception is None


class SafePostgresEngine(PostgresEngine):
    def transaction(self, allow_nested: bool = True) -> PostgresTransaction:
        return SafePostgresTransaction(engine=self, allow_nested=allow_nested)


_engine: SafePostgresEngine | None = None


def configure_engine(dsn: str) -> SafePostgresEngine:
    """Point the process's engine at ``dsn`` (building it on first use). No pool may be running."""
    global _engine  # noqa: PLW0603 - the engine is process-wide by piccolo's design
    if _engine is None:
        with warnings.catch_warnings():
            # piccolo warns (instead of failing) when the server is unreachable at construction.
            warnings.simplefilter("ignore")
            _engine = SafePostgresEngine(config={"dsn": dsn})
    else:
        if _engine.pool is not None:
            raise RuntimeError("cannot repoint the database engine while its pool is running")
        _engine.config = {"dsn": dsn}
    return _engine


def get_engine() -> SafePostgresEngine:
    """The configured engine; builds it from ``PAWPAY_DATABASE_URL`` if nobody configured it yet."""
    if _engine is None:
        from pawpay.platform.settings import SettingsError, get_settings

        settings = get_settings()
        if settings.database_url is None:
            raise SettingsError(
                "The database is not started yet. Run `pawpay dev` (embedded PostgreSQL) or set "
                "PAWPAY_DATABASE_URL to your PostgreSQL server."
            )
        return configure_engine(settings.database_url.get_secret_value())
    return _engine


def current_dsn() -> str:
    return str(get_engine().config["dsn"])


async def start_pool(min_size: int = 1, max_size: int = 10) -> None:
    """Start the asyncpg pool on the *running* loop (pools are loop-bound, STACK_NOTES §1.2)."""
    engine = get_engine()
    if engine.pool is None:
        await engine.start_connection_pool(min_size=min_size, max_size=max_size)


async def close_pool() -> None:
    engine = get_engine()
    if engine.pool is not None:
        try:
            await asyncio.wait_for(engine.close_connection_pool(), timeout=10)
        finally:
            engine.pool = None


async def detached(coro: Coroutine[Any, Any, T]) -> T:
    """Await ``coro`` outside the caller's transaction and scope (in a fresh context).

    For the rare write that must commit even when the surrounding request rolls back (a failed
    login is counted). It takes a second pooled connection while the caller holds the first.
    """
    return await asyncio.create_task(coro, context=contextvars.Context())
