"""The job processes for real: a worker SIGKILLed mid-job, ``run_worker`` and ``run_scheduler``
stopping on signals, and two scheduler processes of which one is active."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import signal
import sys
from datetime import timedelta
from pathlib import Path
from types import ModuleType

import dramatiq
import dramatiq.broker
import pytest

from pawpay.platform.clock import utcnow
from pawpay.platform.jobs.broker import configure_broker
from pawpay.platform.jobs.runner import in_process_worker, worker_command, worker_environment
from pawpay.platform.jobs.scheduler import Scheduler
from pawpay.platform.settings import load_settings
from pawpay.platform.testing.jobs import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.broker]

SUPPORT = Path(__file__).parent / "support"


def load_support() -> ModuleType:
    spec = importlib.util.spec_from_file_location("jobs_kill_support", SUPPORT / "jobs_kill_support.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def child_env(broker_url: str, **extra: str) -> dict[str, str]:
    return worker_environment({**os.environ, "PAWPAY_BROKER_URL": broker_url, **extra})


async def test_a_worker_killed_mid_job_is_replaced_and_the_job_completes_once(
    items, store_a, pawpay_redis_url
) -> None:
    support = load_support()
    t0 = utcnow()
    [item_id] = await items.add(store_a.tenant_id, t0 - timedelta(seconds=1))
    work = items.work(actor_name=support.ACTOR_NAME, lease=timedelta(seconds=30))
    previous = dramatiq.broker.global_broker
    broker = configure_broker(load_settings(broker_url=pawpay_redis_url), shared_loop=True, actor_modules=[])
    support.declare(broker)
    worker_proc = None
    try:
        scheduler = Scheduler(broker, [work])
        assert (await scheduler.tick(t0)).sent == 1

        # A separate worker process (the `pawpay worker` command line) takes the job ...
        command = worker_command(1, 1, extra_modules=["jobs_kill_support"], paths=[str(SUPPORT)])
        env = child_env(pawpay_redis_url, **{support.DECLARE_ENV: "1"})
        worker_proc = await asyncio.create_subprocess_exec(*command, env=env, start_new_session=True)

        async def started() -> bool:
            return (await items.rows())[item_id]["attempts"] == 1

        await wait_until(started, within=30, what="the worker subprocess to start the job")
        # ... and dies with it: no clean-up, no ack, the lease still held.
        os.killpg(worker_proc.pid, signal.SIGKILL)
        await worker_proc.wait()
        row = (await items.rows())[item_id]
        assert (row["processed"], row["done_at"], row["lease_until"]) == (0, None, t0 + timedelta(seconds=30))

        # While the lease runs, the row is nobody else's.
        assert (await scheduler.tick(t0 + timedelta(seconds=20))).total == 0
        # Once it has expired, the row is claimed again and a live worker completes it.
        async with in_process_worker(broker, threads=1):
            assert (await scheduler.tick(t0 + timedelta(seconds=31))).sent == 1

            async def done() -> bool:
                return (await items.rows())[item_id]["done_at"] is not None

            await wait_until(done, within=10, what="the reclaimed job to complete")
        row = (await items.rows())[item_id]
        assert (row["attempts"], row["processed"], row["lease_until"]) == (2, 1, None)
        assert (await scheduler.tick(t0 + timedelta(hours=1))).total == 0
    finally:
        if worker_proc is not None and worker_proc.returncode is None:
            os.killpg(worker_proc.pid, signal.SIGKILL)
            await worker_proc.wait()
        broker.close()
        dramatiq.broker.global_broker = previous


async def read_until(stream: asyncio.StreamReader, needle: str, within: float = 20) -> str:
    """Read lines until one contains ``needle``; return everything read."""
    seen: list[str] = []

    async def scan() -> str:
        while True:
            line = await stream.readline()
            if not line:
                raise AssertionError(f"stream ended before {needle!r}:\n" + "".join(seen))
            seen.append(line.decode(errors="replace"))
            if needle in seen[-1]:
                return "".join(seen)

    try:
        return await asyncio.wait_for(scan(), within)
    except TimeoutError:
        raise AssertionError(f"no {needle!r} within {within}s:\n" + "".join(seen)) from None


def python_running(call: str) -> list[str]:
    code = (
        "import sys\nfrom pawpay.platform.settings import get_settings\n"
        f"from pawpay.platform.jobs.runner import {call.split('(', maxsplit=1)[0]}\n"
        f"sys.exit({call})\n"
    )
    return [sys.executable, "-c", code]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
async def test_run_worker_stops_gracefully_on_a_signal(pawpay_database, pawpay_redis_url, signum) -> None:
    proc = await asyncio.create_subprocess_exec(
        *python_running("run_worker(get_settings(), 1, 1)"),
        env=child_env(pawpay_redis_url, PAWPAY_LOG_LEVEL="INFO"), stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stderr is not None
        await read_until(proc.stderr, "ready for action")
        proc.send_signal(signum)
        output = await read_until(proc.stderr, "Worker has been shut down")
        assert await asyncio.wait_for(proc.wait(), 15) == 0, output
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def test_two_scheduler_processes_one_active_and_failover(pawpay_database, pawpay_redis_url) -> None:
    env = child_env(pawpay_redis_url, PAWPAY_SCHEDULER_TICK_SECONDS="0.2")
    first = await asyncio.create_subprocess_exec(
        *python_running("run_scheduler(get_settings())"), env=env, stderr=asyncio.subprocess.PIPE
    )
    second = None
    try:
        assert first.stderr is not None
        await read_until(first.stderr, "pawpay scheduler: active")
        second = await asyncio.create_subprocess_exec(
            *python_running("run_scheduler(get_settings())"), env=env, stderr=asyncio.subprocess.PIPE
        )
        assert second.stderr is not None
        await read_until(second.stderr, "pawpay scheduler: standby")
        first.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(first.wait(), 10) == 0
        await read_until(second.stderr, "pawpay scheduler: active")
        second.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(second.wait(), 10) == 0
    finally:
        for proc in (first, second):
            if proc is not None and proc.returncode is None:
                proc.kill()
                await proc.wait()
