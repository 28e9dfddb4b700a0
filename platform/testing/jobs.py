"""Fixtures for testing jobs: a broker (in-memory, Redis or RabbitMQ) with a worker in the test
process, the scheduler, and a frozen clock.

The worker's async actors run on the test session's event loop (``SharedLoopAsyncIO``), the loop
that owns the database pool, exactly as in ``pawpay dev``. Real brokers come from
``PAWPAY_TEST_REDIS_URL`` / ``PAWPAY_TEST_AMQP_URL``; tests that need one are skipped, saying
so, when it is unset. Each test gets its own Redis namespace or RabbitMQ queue names, so runs
sharing a broker never see each other's messages.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import urlencode, urlsplit, urlunsplit

import dramatiq
import dramatiq.broker
import pytest

from pawpay.platform.clock import FrozenClock, set_clock

if TYPE_CHECKING:
    from pawpay.platform.hooks.types import DueWork
    from pawpay.platform.jobs.scheduler import Scheduler, SchedulerLock
    from pawpay.platform.settings import Settings
    from pawpay.platform.testing.database import TestDatabase

REDIS_URL_ENV = "PAWPAY_TEST_REDIS_URL"
AMQP_URL_ENV = "PAWPAY_TEST_AMQP_URL"


@dataclass(slots=True)
class JobsHarness:
    """A configured broker with a running in-process worker."""

    broker: dramatiq.Broker
    settings: Settings

    def scheduler(
        self, works: Sequence[DueWork] | None = None, *, lock: SchedulerLock | None = None, batch_size: int = 100
    ) -> Scheduler:
        """A scheduler sending to this broker (no lock: always active, unless one is given)."""
        from pawpay.platform.jobs.scheduler import Scheduler

        return Scheduler(self.broker, works, lock=lock, batch_size=batch_size)

    async def join(self, queue_name: str, *, timeout_ms: int = 10_000) -> None:
        """Wait until ``queue_name`` is empty and its messages are processed (in-memory broker only).

        Raises what a dead-lettered message raised (dramatiq 2.x ``fail_fast``).
        """
        from dramatiq.brokers.stub import StubBroker

        if not isinstance(self.broker, StubBroker):
            raise TypeError("join() needs the in-memory broker; poll the database for real brokers")
        await asyncio.to_thread(self.broker.join, queue_name, timeout=timeout_ms)


@asynccontextmanager
async def running_jobs(
    broker_url: str | None = None,
    *,
    queue_prefix: str = "",
    threads: int = 2,
    actor_modules: Sequence[str] | None = None,
) -> AsyncIterator[JobsHarness]:
    """Configure a broker for ``broker_url`` (None: in-memory), start a worker on this loop.

    The previous global broker is restored afterwards.
    """
    from pawpay.platform.jobs.broker import configure_broker
    from pawpay.platform.jobs.runner import in_process_worker
    from pawpay.platform.settings import load_settings

    settings = load_settings(broker_url=broker_url)
    previous = dramatiq.broker.global_broker
    broker = configure_broker(settings, shared_loop=True, queue_prefix=queue_prefix, actor_modules=actor_modules)
    try:
        async with in_process_worker(broker, threads=threads):
            yield JobsHarness(broker, settings)
    finally:
        broker.close()
        dramatiq.broker.global_broker = previous


async def wait_until(
    predicate: Callable[[], Awaitable[bool]], *, within: float = 10.0, interval: float = 0.05, what: str = ""
) -> None:
    """Poll ``predicate`` until it is true; fail the test after ``within`` seconds."""
    deadline = time.monotonic() + within
    while True:
        if await predicate():
            return
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {within:g}s waiting for {what or predicate.__name__}")
        await asyncio.sleep(interval)


def _unique(label: str) -> str:
    return f"pawpay_test_{label}_{uuid.uuid4().hex[:10]}"


@pytest.fixture
def pawpay_redis_url() -> Iterator[str]:
    """``PAWPAY_TEST_REDIS_URL`` with a namespace of its own (its keys are deleted afterwards)."""
    base = os.environ.get(REDIS_URL_ENV)
    if not base:
        pytest.skip(f"needs a real Redis: set {REDIS_URL_ENV} (e.g. redis://127.0.0.1:6379/15)")
    import redis

    namespace = _unique("ns")
    parts = urlsplit(base)
    query = "&".join(q for q in (parts.query, urlencode({"namespace": namespace})) if q)
    yield urlunsplit(parts._replace(query=query))
    client = redis.Redis.from_url(base)
    try:
        keys = list(client.scan_iter(f"{namespace}*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@dataclass(frozen=True, slots=True)
class AmqpTarget:
    url: str
    queue_prefix: str


@pytest.fixture
def pawpay_amqp() -> Iterator[AmqpTarget]:
    """``PAWPAY_TEST_AMQP_URL`` and a unique queue prefix (the queues are deleted afterwards)."""
    url = os.environ.get(AMQP_URL_ENV)
    if not url:
        pytest.skip(f"needs a real RabbitMQ: set {AMQP_URL_ENV} (e.g. amqp://guest:guest@127.0.0.1:5672/%2F)")
    target = AmqpTarget(url, _unique("q") + "_")
    yield target
    _delete_rabbitmq_queues(url, target.queue_prefix)


def _delete_rabbitmq_queues(url: str, prefix: str) -> None:
    import pika

    from pawpay.platform.jobs.broker import code_queue_names

    connection = pika.BlockingConnection(pika.URLParameters(url))
    try:
        channel = connection.channel()
        for queue in code_queue_names():
            # dramatiq's RabbitMQ broker adds a delay (.DQ) and a dead-letter (.XQ) queue to each.
            for name in (prefix + queue, f"{prefix}{queue}.DQ", f"{prefix}{queue}.XQ"):
                channel.queue_delete(queue=name)
    finally:
        connection.close()


@pytest.fixture
async def jobs_stub(pawpay_database: TestDatabase) -> AsyncIterator[JobsHarness]:
    """The embedded arrangement: in-memory broker, worker on the test loop."""
    async with running_jobs(None) as harness:
        yield harness


@pytest.fixture
async def jobs_redis(pawpay_database: TestDatabase, pawpay_redis_url: str) -> AsyncIterator[JobsHarness]:
    """A real Redis broker (own namespace), worker on the test loop."""
    async with running_jobs(pawpay_redis_url) as harness:
        yield harness


@pytest.fixture
async def jobs_rabbitmq(pawpay_database: TestDatabase, pawpay_amqp: AmqpTarget) -> AsyncIterator[JobsHarness]:
    """A real RabbitMQ broker (own queue names), worker on the test loop."""
    async with running_jobs(pawpay_amqp.url, queue_prefix=pawpay_amqp.queue_prefix) as harness:
        yield harness


@pytest.fixture
def frozen_clock() -> Iterator[FrozenClock]:
    """Install a frozen process clock (now, to the microsecond) for the test; restored after."""
    clock = FrozenClock(datetime.now(UTC))
    previous = set_clock(clock)
    try:
        yield clock
    finally:
        set_clock(previous)


__all__ = [
    "AmqpTarget",
    "JobsHarness",
    "frozen_clock",
    "jobs_rabbitmq",
    "jobs_redis",
    "jobs_stub",
    "pawpay_amqp",
    "pawpay_redis_url",
    "running_jobs",
    "wait_until",
]

