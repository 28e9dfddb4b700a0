"""The scheduler: one active instance claims due rows, leases them and enqueues after commit.

Guarantees (ARCHITECTURE §5):

* **One active instance.** The active scheduler holds a session-level PostgreSQL advisory lock
  on a dedicated connection (a pooled connection would not do: asyncpg's release runs
  ``pg_advisory_unlock_all()``). Standby instances try again every tick; when the active one
  dies its connection closes, the lock goes with it, and a standby takes over.
* **Enqueue after commit.** One tick is one ``platform_scope`` transaction in which every
  :class:`~pawpay.platform.hooks.types.DueWork` claims (locks with ``FOR UPDATE SKIP LOCKED`` and
  leases) its due rows. Messages are sent only after that transaction commits; a tick that
  rolls back sends nothing and leases nothing.
* **At least once.** A message lost after commit (a broker outage, a killed worker) leaves its
  row leased; when the lease expires the row is due again and is claimed anew. Actors are
  therefore idempotent, keyed on the row, never on the message.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import asyncpg

from pawpay.platform.clock import utcnow
from pawpay.platform.db.engine import get_engine
from pawpay.platform.errors import ScopeViolation
from pawpay.platform.jobs.middleware import TENANT_OPTION
from pawpay.platform.observability.metrics import SCHEDULER_CLAIMS
from pawpay.platform.tenancy.scope import platform_scope

if TYPE_CHECKING:
    import dramatiq

    from pawpay.platform.hooks.types import DueItem, DueWork

log = logging.getLogger(__name__)

# pg_advisory_lock key of the active scheduler ("pawpay" in ASCII, then 2; migrations use 1).
SCHEDULER_LOCK_KEY = 0x7061777061790002
DEFAULT_BATCH_SIZE = 100


class SchedulerLock:
    """The "I am the active scheduler" lock: ``pg_try_advisory_lock`` on a dedicated connection."""

    def __init__(self, dsn: str, key: int = SCHEDULER_LOCK_KEY) -> None:
        self._dsn = dsn
        self._key = key
        self._conn: asyncpg.Connection | None = None
        self.held = False

    async def try_acquire(self) -> bool:
        """Hold the lock (True) or not (False); safe to call every tick.

        An instance that holds the lock checks that its connection is still alive: a lost
        connection means a lost lock (another instance may already be active).
        """
        try:
            if self._conn is None or self._conn.is_closed():
                self.held = False
                self._conn = await asyncpg.connect(self._dsn, timeout=5)
            if self.held:
                await self._conn.fetchval("SELECT 1", timeout=5)
            else:
                self.held = bool(await self._conn.fetchval("SELECT pg_try_advisory_lock($1)", self._key, timeout=5))
        except Exception as exc:
            # Whatever broke (network, server restart, a terminated session, asyncpg's protocol
            # state), a lock connection in doubt is a lock not held: start again next tick.
            log.warning("scheduler lock connection failed: %s: %s", type(exc).__name__, exc)
            await self._drop()
        return self.held

    async def release(self) -> None:
        """Give the lock up (closing the connection releases it either way)."""
        if self._conn is not None and not self._conn.is_closed() and self.held:
            with contextlib.suppress(Exception):
                await self._conn.execute("SELECT pg_advisory_unlock($1)", self._key)
        await self._drop()

    async def _drop(self) -> None:
        self.held = False
        conn, self._conn = self._conn, None
        if conn is not None and not conn.is_closed():
            with contextlib.suppress(Exception):
                await conn.close(timeout=2)


@dataclass(frozen=True, slots=True)
class TickResult:
    """What one tick claimed (and sent), by due-work name."""

    claimed: dict[str, int] = field(default_factory=dict)
    sent: int = 0
    failed_sends: int = 0
    saturated: bool = False  # some work had more due rows than the batch: tick again at once

    @property
    def total(self) -> int:
        return sum(self.claimed.values())


class Scheduler:
    """Claims due work and enqueues it. ``run()`` is the loop; ``tick()`` is one pass.

    Args:
        broker: where messages go (``broker.get_actor(work.actor_name)``).
        works: defaults to every plugin's ``pawpay_due_work``.
        lock: the active-instance lock; None means "always active" (tests, one-off ticks).
        batch_size: the most rows one work claims per tick.
    """

    def __init__(
        self,
        broker: dramatiq.Broker,
        works: Sequence[DueWork] | None = None,
        *,
        lock: SchedulerLock | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
    ) -> None:
        if works is None:
            from pawpay.platform.hooks._manager import get_plugin_manager

            works = get_plugin_manager().due_work()
        names = [work.name for work in works]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"due work names must be unique: {', '.join(duplicates)}")
        self.broker = broker
        self.works = list(works)
        self.lock = lock
        self.batch_size = batch_size

    async def prepare(self, now: datetime | None = None) -> None:
        """Upsert the rows of periodic jobs (called when this instance becomes active)."""
        now = now or utcnow()
        # Any due work may opt in with ``async def seed(now)`` (PeriodicJob does).
        seeds: list[Callable[[datetime], Awaitable[None]]] = [
            seed for work in self.works if callable(seed := getattr(work, "seed", None))
        ]
        if not seeds:
            return
        async with platform_scope("scheduler: seed periodic jobs"):
            for seed in seeds:
                await seed(now)

    async def tick(self, now: datetime | None = None) -> TickResult:
        """Claim every due row in one transaction; after COMMIT, send one message per row.

        A DueWork whose claim fails is rolled back to its savepoint and logged; the others
        proceed. If the transaction as a whole fails (COMMIT included), nothing is sent.
        """
        if get_engine().transaction_exists():
            raise ScopeViolation("a scheduler tick must own its transaction (it enqueues after COMMIT)")
        now = now or utcnow()
        claimed: list[tuple[DueWork, Sequence[DueItem]]] = []
        async with platform_scope("scheduler tick") as tx:
            for work in self.works:
                savepoint = await tx.savepoint()
                try:
                    items = await work.claim(now, self.batch_size)
                except Exception:
                    await savepoint.rollback_to()  # type: ignore[no-untyped-call]  # piccolo is untyped here
                    log.exception("due work %s failed to claim; skipped this tick", work.name)
                    continue
                await savepoint.release()  # type: ignore[no-untyped-call]
                if items:
                    claimed.append((work, items))
        # Committed: the leases are durable, so the messages may go out now.
        sent, failed = await asyncio.to_thread(self._send, claimed)
        # A batch item (LeasedBatchWork) stands for several rows; the work's own claim limit, if any.
        counts = {work.name: sum(getattr(item, "rows", 1) for item in items) for work, items in claimed}
        for name, count in counts.items():
            SCHEDULER_CLAIMS.labels(name).inc(count)
        saturated = any(counts[work.name] >= (getattr(work, "claim_limit", None) or self.batch_size)
                        for work, _items in claimed)
        return TickResult(claimed=counts, sent=sent, failed_sends=failed, saturated=saturated)

    def _send(self, claimed: Sequence[tuple[DueWork, Sequence[DueItem]]]) -> tuple[int, int]:
        # Runs in a thread: Redis/RabbitMQ clients block, and the loop may be the web app's.
        sent = failed = 0
        for work, items in claimed:
            for item in items:
                try:
                    actor = self.broker.get_actor(work.actor_name)
                    options: dict[str, Any] = {TENANT_OPTION: item.tenant_id} if item.tenant_id else {}
                    actor.send_with_options(args=tuple(item.args), **options)
                    sent += 1
                except Exception:
                    # The row stays leased; it is claimed again when the lease expires.
                    failed += 1
                    log.exception("could not enqueue %s for %s %s", work.actor_name, work.name, item.key)
        return sent, failed

    async def run(
        self,
        stop: asyncio.Event,
        tick_seconds: float,
        *,
        on_state: Callable[[bool], None] | None = None,
    ) -> None:
        """Tick until ``stop`` is set: active when holding the lock, standby otherwise."""
        active: bool | None = None
        prepared = False
        try:
            while not stop.is_set():
                busy = False
                try:
                    now_active = True if self.lock is None else await self.lock.try_acquire()
                    if now_active != active:
                        active, prepared = now_active, False
                        log.info("scheduler is %s", "active" if active else "standby")
                        if on_state is not None:
                            on_state(active)
                    if active:
                        if not prepared:  # retried every tick until it succeeds
                            await self.prepare()
                            prepared = True
                        result = await self.tick()
                        busy = result.saturated
                        if result.total:
                            log.info("scheduler tick claimed %s", result.claimed)
                except Exception:
                    log.exception("scheduler tick failed")
                if not busy:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), timeout=tick_seconds)
        finally:
            if self.lock is not None:
                await self.lock.release()
