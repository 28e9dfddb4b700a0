"""Entry points of the job processes, called by the CLI and by ``pawpay dev``.

* :func:`run_worker` — ``pawpay worker``: dramatiq worker processes for ``PAWPAY_BROKER_URL``.
* :func:`run_scheduler` — ``pawpay scheduler``: the tick loop; one instance is active.
* :func:`embedded_jobs` — a litestar lifespan running both inside the web process (``pawpay dev``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING, Any

import dramatiq

from pawpay.platform.jobs.broker import configure_broker, shared_loop_middleware
from pawpay.platform.jobs.scheduler import Scheduler, SchedulerLock
from pawpay.platform.settings import SettingsError

if TYPE_CHECKING:
    from pawpay.platform.settings import Settings

log = logging.getLogger(__name__)

WORKER_ENTRY = "pawpay.platform.jobs.worker_entry"
# How long a stopping worker may finish its current jobs before it is killed.
WORKER_STOP_GRACE_SECONDS = 60


def _require_services(settings: Settings, command: str) -> None:
    if settings.broker_url is None:
        raise SettingsError(
            f"`{command}` needs a message broker: set PAWPAY_BROKER_URL to redis://host:6379/0 or "
            "amqp://user:password@host:5672/vhost. Without a broker (the embedded mode), `pawpay dev` "
            "runs the worker and the scheduler inside its own process."
        )
    if settings.database_url is None:
        raise SettingsError(
            f"`{command}` needs PAWPAY_DATABASE_URL (the jobs read and write the database); "
            "the embedded database is only available through `pawpay dev`."
        )


def worker_command(
    processes: int, threads: int, *, extra_modules: Sequence[str] = (), paths: Sequence[str] = ()
) -> list[str]:
    """The dramatiq CLI invocation behind ``pawpay worker``.

    ``--path`` is given explicitly (empty by default): dramatiq's default would put the working
    directory on ``sys.path``, where the repository's ``platform/`` could shadow the stdlib.
    """
    if processes < 1 or threads < 1:
        raise SettingsError("`pawpay worker` needs at least one process and one thread")
    return [
        sys.executable, "-m", "dramatiq", WORKER_ENTRY, *extra_modules,
        "--processes", str(processes), "--threads", str(threads), "--path", *paths,
    ]


def worker_environment(base: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ if base is None else base)
    env["PYTHONSAFEPATH"] = "1"  # never the working directory on sys.path (STYLE §3.12)
    return env


def run_worker(settings: Settings, processes: int, threads: int) -> int:
    """Run dramatiq worker processes until SIGINT/SIGTERM; return their exit code.

    The dramatiq supervisor runs in its own session, so a terminal's Ctrl-C reaches only this
    process, which forwards exactly one SIGTERM per signal: the first stops the workers
    gracefully (current jobs finish), a second one kills them.

    Raises:
        SettingsError: no ``PAWPAY_BROKER_URL`` or ``PAWPAY_DATABASE_URL``.
    """
    _require_services(settings, "pawpay worker")
    command = worker_command(processes, threads)
    proc = subprocess.Popen(command, env=worker_environment(), start_new_session=True)  # noqa: S603

    def forward(signum: int, _frame: Any) -> None:
        log.info("stopping workers (signal %s)", signal.Signals(signum).name)
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        return proc.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=WORKER_STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _announce(active: bool, tick_seconds: float) -> None:
    if active:
        message = "pawpay scheduler: active (holds the scheduler lock)"
    else:
        message = f"pawpay scheduler: standby (another instance is active; retrying every {tick_seconds:g}s)"
    print(message, file=sys.stderr, flush=True)


def run_scheduler(settings: Settings) -> int:
    """Run the scheduler loop until SIGINT/SIGTERM; print whether it is active or standby.

    Raises:
        SettingsError: no ``PAWPAY_BROKER_URL`` or ``PAWPAY_DATABASE_URL``.
    """
    _require_services(settings, "pawpay scheduler")
    return asyncio.run(_scheduler_main(settings))


async def _scheduler_main(settings: Settings) -> int:
    from pawpay.platform.db.engine import close_pool, current_dsn, start_pool

    broker = configure_broker(settings, shared_loop=False)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await start_pool(1, min(settings.database_pool_max, 4))
    try:
        scheduler = Scheduler(broker, lock=SchedulerLock(current_dsn()))
        await scheduler.run(
            stop, settings.scheduler_tick_seconds,
            on_state=lambda active: _announce(active, settings.scheduler_tick_seconds),
        )
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        await close_pool()
        broker.close()
    print("pawpay scheduler: stopped", file=sys.stderr, flush=True)
    return 0


@asynccontextmanager
async def in_process_worker(broker: dramatiq.Broker, *, threads: int = 4) -> AsyncIterator[dramatiq.Worker]:
    """Run a dramatiq worker in this process, its async actors on the *running* loop.

    The broker must have been built with the shared loop (``configure_broker(..., shared_loop=
    True)``). Blocking calls (stopping the worker) go to a thread so the loop keeps serving the
    actors it is running.
    """
    middleware = shared_loop_middleware(broker)
    if middleware is None:
        raise RuntimeError("the broker was not configured with the shared loop (configure_broker(shared_loop=True))")
    middleware.bind(asyncio.get_running_loop())
    # What dramatiq's CLI does in each worker process; without it time limits are not enforced.
    broker.emit_after("process_boot")
    # worker_timeout: how long consumers wait for messages (ms): a short wait makes stop() quick.
    worker = dramatiq.Worker(broker, worker_threads=threads, worker_timeout=100)
    await asyncio.to_thread(worker.start)
    try:
        yield worker
    finally:
        await asyncio.to_thread(worker.stop)


def embedded_jobs(settings: Settings) -> Callable[[Any], AbstractAsyncContextManager[None]]:
    """A litestar lifespan running the worker and the scheduler inside the web process.

    Enter it after the database pool is started (``create_app(extra_lifespan=[...])``): actors
    and ticks run on the app's loop and share its pool. The broker is ``PAWPAY_BROKER_URL``'s, or
    an in-memory one when it is unset; with the in-memory broker, queued messages die with the
    process, which is safe because their rows stay leased and are claimed again.
    """

    @asynccontextmanager
    async def lifespan(_app: Any) -> AsyncIterator[None]:
        from pawpay.platform.db.engine import current_dsn

        broker = configure_broker(settings, shared_loop=True)
        stop = asyncio.Event()
        async with in_process_worker(broker):
            scheduler = Scheduler(broker, lock=SchedulerLock(current_dsn()))
            task = asyncio.create_task(
                scheduler.run(stop, settings.scheduler_tick_seconds), name="pawpay-embedded-scheduler"
            )
            try:
                yield
            finally:
                stop.set()
                try:
                    await asyncio.wait_for(task, timeout=10)
                except TimeoutError:
                    log.warning("the embedded scheduler did not stop in time; cancelled")
        broker.close()

    return lifespan
