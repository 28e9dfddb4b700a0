"""dramatiq middleware: tenant stamping, job metrics, and where async actors run.

Async actors need an event loop, and the piccolo/asyncpg pool is bound to the loop that started
it (STACK_NOTES §3.3). Two arrangements, one per deployment:

* a separate worker process (``pawpay worker``): dramatiq's :class:`~dramatiq.middleware.AsyncIO`
  runs a loop thread and :class:`PiccoloPoolMiddleware` starts the pool *inside* that loop;
* the embedded mode (``pawpay dev``) and tests: :class:`SharedLoopAsyncIO` points dramatiq at an
  already running loop (the web app's, or the test session's), so actors share its pool.
"""

from __future__ import annotations

import contextvars
import inspect
import logging
import threading
import time
import weakref
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, TypeVar

import structlog
from dramatiq.asyncio import EventLoopThread, get_event_loop_thread, set_event_loop_thread
from dramatiq.errors import ActorNotFound
from dramatiq.middleware import Middleware, MiddlewareError, SkipMessage

from pawpay.platform.observability.metrics import JOBS

if TYPE_CHECKING:
    import asyncio
    from collections.abc import Callable

    import dramatiq
    from dramatiq.broker import Broker, MessageProxy
    from dramatiq.message import Message
    from dramatiq.worker import Worker

log = logging.getLogger(__name__)

TENANT_OPTION = "tenant_id"
# How long a job waits for a paused shared event loop before failing.
LOOP_PAUSE_LIMIT_SECONDS = 30.0

R = TypeVar("R")

# The tenant the current message was stamped with; set on the worker thread before the actor
# runs. An async actor's task is created from that thread's context (run_coroutine_threadsafe
# copies it), so the value is visible inside async actors too.
_job_tenant: contextvars.ContextVar[str | None] = contextvars.ContextVar("pawpay_job_tenant", default=None)


def job_tenant_id() -> str | None:
    """The tenant stamped on the message being processed (None outside jobs and for platform jobs)."""
    return _job_tenant.get()


def _tenant_argument(actor: dramatiq.Actor[Any, Any], message: Message[Any] | MessageProxy) -> str | None:
    """The value the actor receives as its ``tenant_id`` parameter, if it has one."""
    signature = _signature(actor.fn)
    if signature is None or TENANT_OPTION not in signature.parameters:
        return None
    try:
        bound = signature.bind_partial(*message.args, **message.kwargs)
    except TypeError:
        return None
    value = bound.arguments.get(TENANT_OPTION)
    return None if value is None else str(value)


# Keyed by the function itself, weakly: an id() would be reused by a later function once the
# first is garbage-collected, handing it the wrong signature.
_signatures: weakref.WeakKeyDictionary[Callable[..., Any], inspect.Signature | None] = weakref.WeakKeyDictionary()


def _signature(fn: Callable[..., Any]) -> inspect.Signature | None:
    try:
        return _signatures[fn]
    except KeyError:
        pass
    try:
        # dramatiq wraps async actors with functools.wraps: this follows __wrapped__.
        signature: inspect.Signature | None = inspect.signature(fn)
    except (TypeError, ValueError):
        signature = None
    _signatures[fn] = signature
    return signature


class TenantMismatch(MiddlewareError):
    """A message's stamped tenant differs from the tenant its actor is told to act for.

    A ``MiddlewareError``, so that dramatiq lets it out of ``send()`` instead of logging it.
    """


class TenantMiddleware(Middleware):
    """Stamp the tenant into each message's options and check it before the actor runs.

    Actors still take ``tenant_id`` as an explicit argument and open ``tenant_scope`` themselves
    (STYLE §3.4 has the middleware open the scope, but a scope is a transaction that must live on
    the actor's event loop, which a middleware running on the worker thread cannot hold). The
    stamp makes the tenant visible to logs and other middleware, and a message whose stamp and
    argument disagree is refused rather than run for the wrong store.
    """

    def before_enqueue(self, broker: Broker, message: Message[Any], delay: int) -> None:
        argument = self._argument(broker, message)
        stamped = message.options.get(TENANT_OPTION)
        if stamped is not None and argument is not None and str(stamped) != argument:
            raise TenantMismatch(
                f"message for {message.actor_name} stamped with tenant {stamped} but addressed to {argument}"
            )
        if stamped is None:
            from pawpay.platform.tenancy.scope import current_tenant_id

            ambient = current_tenant_id()
            tenant = argument or (str(ambient) if ambient else None)
            if tenant is not None:
                message.options[TENANT_OPTION] = tenant

    def before_process_message(self, broker: Broker, message: MessageProxy) -> None:
        stamped = message.options.get(TENANT_OPTION)
        argument = self._argument(broker, message)
        if stamped is not None and argument is not None and str(stamped) != argument:
            log.error(
                "refusing job %s (%s): stamped tenant %s, argument %s",
                message.actor_name, message.message_id, stamped, argument,
            )
            message.fail()
            raise SkipMessage("tenant stamp and argument disagree")
        tenant = str(stamped) if stamped is not None else argument
        _job_tenant.set(tenant)
        structlog.contextvars.bind_contextvars(
            job=message.actor_name, message_id=message.message_id, tenant_id=tenant
        )

    def after_process_message(
        self,
        broker: Broker,
        message: MessageProxy,
        *,
        result: Any | None = None,
        exception: BaseException | None = None,
    ) -> None:
        self._clear()

    def after_skip_message(self, broker: Broker, message: MessageProxy) -> None:
        self._clear()

    @staticmethod
    def _clear() -> None:
        _job_tenant.set(None)
        structlog.contextvars.unbind_contextvars("job", "message_id", "tenant_id")

    @staticmethod
    def _argument(broker: Broker, message: Message[Any] | MessageProxy) -> str | None:
        try:
            actor = broker.get_actor(message.actor_name)
        except ActorNotFound:
            return None
        return _tenant_argument(actor, message)


class JobMetricsMiddleware(Middleware):
    """Count processed jobs in ``pawpay_jobs_total{actor, outcome}`` (succeeded, failed, skipped)."""

    def after_process_message(
        self,
        broker: Broker,
        message: MessageProxy,
        *,
        result: Any | None = None,
        exception: BaseException | None = None,
    ) -> None:
        JOBS.labels(message.actor_name, "failed" if exception is not None else "succeeded").inc()

    def after_skip_message(self, broker: Broker, message: MessageProxy) -> None:
        JOBS.labels(message.actor_name, "skipped").inc()


class PiccoloPoolMiddleware(Middleware):
    """Start the database pool inside dramatiq's event-loop thread (add after ``AsyncIO``).

    For worker processes only: the pool is loop-bound, and async actors run on that loop.
    """

    def __init__(self, min_size: int = 1, max_size: int = 4) -> None:
        self.min_size = min_size
        self.max_size = max_size

    # Before, not after, the boot: dramatiq's worker threads take messages as soon as they start,
    # which is before ``after_worker_boot`` runs (the first message found no pool). AsyncIO's own
    # ``before_worker_boot`` has started the loop thread by now (it comes first in the stack).
    def before_worker_boot(self, broker: Broker, worker: Worker) -> None:
        from pawpay.platform.db.engine import start_pool

        _loop_thread().run_coroutine(start_pool(self.min_size, self.max_size))

    def before_worker_shutdown(self, broker: Broker, worker: Worker) -> None:
        from pawpay.platform.db.engine import close_pool

        _loop_thread().run_coroutine(close_pool())


def _loop_thread() -> EventLoopThread:
    thread = get_event_loop_thread()
    if thread is None:
        raise RuntimeError("PiccoloPoolMiddleware needs dramatiq's AsyncIO middleware before it")
    return thread


class _RunningLoop(EventLoopThread):
    """dramatiq's view of a loop that someone else runs: ``run_coroutine`` submits to it.

    Never started as a thread (the loop already runs elsewhere), so ``EventLoopThread.__init__``
    (which would create a new loop) is skipped on purpose.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, logger: logging.Logger) -> None:
        threading.Thread.__init__(self, name="pawpay-shared-loop", daemon=True)
        self.loop = loop
        self.logger = logger
        self.interrupt_check_ival = 0.1

    def run_coroutine(self, coro: Awaitable[R]) -> R:
        # dramatiq refuses when the loop is not running at this instant. A shared loop may pause
        # briefly (pytest-asyncio runs it step by step between a test and its fixtures' teardown):
        # wait for it instead of failing the job, but not forever.
        deadline = time.monotonic() + LOOP_PAUSE_LIMIT_SECONDS
        while not self.loop.is_running() and not self.loop.is_closed() and time.monotonic() < deadline:
            time.sleep(0.01)
        try:
            return super().run_coroutine(coro)
        except RuntimeError:
            if inspect.iscoroutine(coro) and inspect.getcoroutinestate(coro) == inspect.CORO_CREATED:
                coro.close()  # never started: close it rather than leak a "never awaited" coroutine
            raise


class SharedLoopAsyncIO(Middleware):
    """Run async actors on an existing loop (the web app's) instead of a private loop thread.

    Used by the embedded mode and tests; :meth:`bind` must name the loop before the worker
    boots. Actor bodies then share the app's database pool, so they must never block the loop.
    """

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop

    def before_worker_boot(self, broker: Broker, worker: Worker) -> None:
        if self.loop is None:
            raise RuntimeError("SharedLoopAsyncIO.bind(loop) was not called before the worker started")
        set_event_loop_thread(_RunningLoop(self.loop, log))

    def after_worker_shutdown(self, broker: Broker, worker: Worker) -> None:
        set_event_loop_thread(None)
