"""The one piccolo engine of the process, built lazily from settings.

piccolo's ``PostgresEngine`` connects at construction time, so it is never built at import:
``configure_engine(dsn)`` (or the first ``get_engine()``) builds it once the database URL is known
(the embedded server may still be starting). Tables find it through ``piccolo_conf.DB``.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from typing import Any, TypeVar, cast

import asyncpg
from piccolo.engine.postgres import PostgresEngine, PostgresTransaction

T = TypeVar("T")
log = logging.getLogger(__name__)


# The database is unreachable, restarting or out of connections: infrastructure trouble worth a
# retry (HTTP 503), never a bug. SQLSTATE classes 08 (connection), 53 (insufficient resources),
# 57 (operator intervention: shutdown, terminated backend); asyncpg's client-side errors of a
# connection the server dropped.
DATABASE_UNAVAILABLE: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    asyncpg.InsufficientResourcesError,
    asyncpg.OperatorInterventionError,
)


class SafePostgresTransaction(PostgresTransaction):
    """piccolo 1.38's transaction, mended where it leaks connections.

    * When COMMIT fails, piccolo leaks the pooled connection and leaves a stale ContextVar
      (STACK_NOTES §1.2): ``__aexit__`` always releases the connection and resets the ContextVar.
    * When BEGIN fails on a pooled connection the server has closed (a database restart), piccolo
      leaks the connection and, one by one, the whole pool: ``__aenter__`` gives it back, marks
      every pooled connection stale and tries BEGIN once more on a fresh one. Nothing ran yet,
      so the retry is safe.
    """

    async def get_connection(self) -> Any:
        """A pooled connection, waiting at most ``database_acquire_timeout_seconds``: an exhausted
        pool becomes a ``TimeoutError`` (503), never a request that hangs forever."""
        if self.engine.pool is not None:
            from pawpay.platform.settings import get_settings

            return await self.engine.pool.acquire(timeout=get_settings().database_acquire_timeout_seconds)
        return await self.engine.get_new_connection()

    async def __aenter__(self) -> PostgresTransaction:
        if self._parent is not None:
            return self._parent
        for attempt in (1, 2):
            self.connection = await self.get_connection()
            try:
                self.transaction = self.connection.transaction()
                await self.begin()  # type: ignore[no-untyped-call]
            except DATABASE_UNAVAILABLE:
                await self._give_back_connection()
                if attempt == 2 or self.engine.pool is None:
                    raise
                log.warning("BEGIN failed on a pooled connection; renewing the pool's connections")
                await self.engine.pool.expire_connections()
                continue
            except BaseException:
                await self._give_back_connection()
                raise
            break
        self.context = self.engine.current_transaction.set(self)
        return self

    async def _give_back_connection(self) -> None:
        try:
            if self.engine.pool is not None:
                await self.engine.pool.release(self.connection)  # a broken one is terminated
            else:
                await self.connection.close()
        except Exception:  # the original error is the one worth raising
            log.debug("could not give back a broken connection", exc_info=True)


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


async def start_pool(min_size: int = 1, max_size: int = 10, *, check_role: bool = True) -> None:
    """Start the asyncpg pool on the *running* loop (pools are loop-bound, STACK_NOTES §1.2).

    Unless ``check_role`` is off, first make sure the role cannot bypass row-level security
    (:func:`pawpay.platform.db.roles.check_app_role`): pawpay refuses to run as a superuser, a
    BYPASSRLS role or a table owner, in every process that serves tenants.
    """
    engine = get_engine()
    if engine.pool is None:
        await engine.start_connection_pool(min_size=min_size, max_size=max_size)
        if check_role:
            from pawpay.platform.db.roles import check_app_role

            # mypy narrowed engine.pool to None above; start_connection_pool() just set it.
            pool = cast("asyncpg.Pool", engine.pool)
            try:
                async with pool.acquire() as conn:
                    await check_app_role(conn)
            except BaseException:
                await close_pool()
                raise


async def close_pool() -> None:
    engine = get_engine()
    if engine.pool is not None:
        try:
            await asyncio.wait_for(engine.close_connection_pool(), timeout=10)
        finally:
            engine.pool = None

