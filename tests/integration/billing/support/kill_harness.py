"""Test support, not a test: the moving parts of ``test_worker_killed.py``.

* :class:`WorkerProcess` — a real ``pawpay worker`` (dramatiq CLI) in its own session, SIGKILLed as
  a whole process group, restarted at will.
* :class:`Schedulers` — two schedulers ticking at the same time, on a tick clock the test moves
  forward past the leases a killed worker held.
* :class:`Courier` — delivers every webhook the sandbox vendor has for the stores to the webhook
  pipeline (``webhooks.services.receive``, what ``POST /webhooks/payments/sandbox/{store}`` calls:
  stored raw, verified, de-duplicated, then processed by the worker), each exactly twice, shuffled:
  the second copy goes out in a later round, mixed with newer webhooks.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import signal
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import dramatiq

from pawpay.platform.clock import utcnow
from pawpay.platform.hooks import RawWebhook
from pawpay.platform.jobs.runner import worker_command, worker_environment
from pawpay.platform.jobs.scheduler import Scheduler
from pawpay.platform.testing.jobs import wait_until
from pawpay.platform.webhooks.services import receive

# dramatiq logs this (INFO) once ``Worker.start()`` returned, i.e. after ``after_worker_boot`` started the pool.
READY = "Worker process is ready for action."


class Workers:
    """``pawpay worker`` processes (one process, two threads each) with the given environment: the
    live ones, oldest first."""

    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.env = worker_environment(env)
        self.log_dir = log_dir
        self.live: list[asyncio.subprocess.Process] = []
        self.starts = 0
        self.kills = 0
        self._logs: dict[int, Path] = {}

    async def spawn(self) -> asyncio.subprocess.Process:
        """Start one (it boots in the background: see :meth:`wait_ready`)."""
        self.starts += 1
        path = self.log_dir / f"worker-{self.starts}.log"
        with path.open("wb") as log:
            proc = await asyncio.create_subprocess_exec(
                *worker_command(1, 2), env=self.env, start_new_session=True, stdout=log, stderr=log)
        self._logs[proc.pid] = path
        self.live.append(proc)
        return proc

    async def wait_ready(self, proc: asyncio.subprocess.Process) -> None:
        """Until ``proc`` has booted (its database pool started)."""
        path = self._logs[proc.pid]

        async def ready() -> bool:
            assert proc.returncode is None, path.read_text()
            return READY in path.read_text(errors="replace")

        await wait_until(ready, within=60, interval=0.1, what="the worker process to boot")

    async def start(self) -> None:
        await self.wait_ready(await self.spawn())

    async def _kill(self, proc: asyncio.subprocess.Process) -> None:
        # The whole group: the dramatiq supervisor and its worker process, no clean-up, no acks.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        await proc.wait()
        self.live.remove(proc)

    async def kill_oldest(self) -> None:
        await self._kill(self.live[0])
        self.kills += 1

    async def kill_all(self) -> None:
        for proc in list(self.live):
            await self._kill(proc)
        self.kills += 1

    async def stop(self) -> None:
        for proc in list(self.live):
            await self._kill(proc)


class Schedulers:
    """Two schedulers over the same works, ticking concurrently every ``interval`` seconds.

    The tick time is the system clock plus :attr:`shift` (the claim adds each store's test-clock
    offset itself); a shift past the longest lease makes the rows a dead worker held claimable
    again without waiting for the lease in real time. It stays far below the retry schedule's
    hours, so nothing else becomes due early."""

    def __init__(self, broker: dramatiq.Broker, works: Sequence[Any], *, batch_size: int = 4,
                 interval: float = 0.2) -> None:
        self.pair = (Scheduler(broker, works, batch_size=batch_size), Scheduler(broker, works, batch_size=batch_size))
        self.interval = interval
        self.shift = timedelta()
        self.ticks = 0
        self.paused = False
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while not self._stopping:
            if not self.paused:
                now = utcnow() + self.shift
                await asyncio.gather(*(s.tick(now) for s in self.pair))
                self.ticks += 1
            await asyncio.sleep(self.interval)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="two-schedulers")

    async def stop(self) -> None:
        """Stop between ticks (cancelling one would abandon its transaction)."""
        self._stopping = True
        if self._task is not None:
            with contextlib.suppress(Exception):
                await self._task
            self._task = None

    def check(self) -> None:
        """Raise what the tick loop died of, if it died."""
        if self._task is not None and self._task.done() and not self._task.cancelled():
            self._task.result()


def event_id(raw: RawWebhook) -> str:
    return str(json.loads(raw.body)["id"])


class Courier:
    """Delivers the vendor's webhooks for ``stores`` twice each, out of order (see the module doc)."""

    def __init__(self, rng: random.Random, fetch: Callable[[], Awaitable[list[RawWebhook]]], *,
                 interval: float = 0.3) -> None:
        self.rng = rng
        self.fetch = fetch
        self.interval = interval
        self.delivered: dict[str, int] = {}
        self.backlog: list[RawWebhook] = []
        self.paused = True
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    async def _post(self, raw: RawWebhook) -> None:
        store = uuid.UUID(raw.path.rsplit("/", 1)[1])  # /webhooks/payments/sandbox/{store}
        result = await receive("payments", "sandbox", store, raw)
        assert result.status == "accepted", (result, raw.body)
        key = event_id(raw)
        self.delivered[key] = self.delivered.get(key, 0) + 1

    async def round(self, *, flush: bool = False) -> None:
        fresh = [raw for raw in await self.fetch() if event_id(raw) not in self.delivered]
        batch = [*fresh, *self.backlog]
        self.rng.shuffle(batch)
        self.backlog = [] if flush else list(fresh)
        for raw in batch:
            await self._post(raw)
        if flush:
            for raw in fresh:  # their second copy, after every other one
                await self._post(raw)

    async def _run(self) -> None:
        while not self._stopping:
            if not self.paused:
                await self.round()
            await asyncio.sleep(self.interval)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="webhook-courier")

    async def stop(self) -> None:
        """Stop between rounds: a round cut short would lose track of which copies went out."""
        self._stopping = True
        if self._task is not None:
            with contextlib.suppress(Exception):
                await self._task
            self._task = None

    def check(self) -> None:
        if self._task is not None and self._task.done() and not self._task.cancelled():
            self._task.result()
