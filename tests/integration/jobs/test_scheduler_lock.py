"""Only one scheduler is active; a standby takes over when the active one's connection goes."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from pawpay.platform.db.engine import current_dsn
from pawpay.platform.jobs.scheduler import Scheduler, SchedulerLock
from pawpay.platform.testing.jobs import wait_until

pytestmark = pytest.mark.integration

# A key of our own, so that a scheduler running elsewhere in the session never interferes.
TEST_KEY = 0x7061777061790099


async def test_only_one_instance_holds_the_lock_and_a_standby_takes_over(pawpay_database) -> None:
    active, standby = SchedulerLock(current_dsn(), TEST_KEY), SchedulerLock(current_dsn(), TEST_KEY)
    try:
        assert await active.try_acquire()
        assert not await standby.try_acquire()
        assert await active.try_acquire()  # still held, connection checked
        assert not await standby.try_acquire()
        await active.release()
        assert await standby.try_acquire()
        assert not await active.try_acquire()
    finally:
        await active.release()
        await standby.release()


async def test_a_crashed_instance_loses_the_lock_to_the_standby(pawpay_database) -> None:
    crashed, standby = SchedulerLock(current_dsn(), TEST_KEY), SchedulerLock(current_dsn(), TEST_KEY)
    try:
        assert await crashed.try_acquire()
        assert not await standby.try_acquire()
        # Simulate a dead process: its database session is terminated under it.
        assert crashed._conn is not None
        pid = crashed._conn.get_server_pid()
        owner = await asyncpg.connect(pawpay_database.owner_dsn)
        try:
            assert await owner.fetchval("SELECT pg_terminate_backend($1)", pid)
        finally:
            await owner.close()
        await wait_until(standby.try_acquire, within=5, what="the standby to take the lock")
        # The crashed instance notices its lost connection and does not believe it is active.
        assert not await crashed.try_acquire()
    finally:
        await crashed.release()
        await standby.release()


async def test_two_running_schedulers_one_active_then_failover(pawpay_database, jobs_stub) -> None:
    states: dict[str, list[bool]] = {"a": [], "b": []}
    stops = {"a": asyncio.Event(), "b": asyncio.Event()}

    def start(name: str) -> asyncio.Task[None]:
        scheduler = Scheduler(jobs_stub.broker, [], lock=SchedulerLock(current_dsn(), TEST_KEY))
        return asyncio.create_task(scheduler.run(stops[name], 0.05, on_state=states[name].append))

    task_a = start("a")
    await wait_until(lambda: _async(states["a"] == [True]), within=5, what="a to become active")
    task_b = start("b")
    await wait_until(lambda: _async(states["b"] == [False]), within=5, what="b to stand by")
    await asyncio.sleep(0.3)  # several ticks: b stays standby while a runs
    assert states == {"a": [True], "b": [False]}
    stops["a"].set()
    await asyncio.wait_for(task_a, timeout=5)
    await wait_until(lambda: _async(states["b"] == [False, True]), within=5, what="b to take over")
    stops["b"].set()
    await asyncio.wait_for(task_b, timeout=5)


async def _async(value: bool) -> bool:
    return value
