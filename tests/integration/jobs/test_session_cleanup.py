"""The real periodic job, end to end: the scheduler claims ``purge_expired_sessions``, a broker
carries the message, a worker deletes the expired web sessions and books the next run."""

from __future__ import annotations

import asyncio
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from litestar import Litestar
from piccolo.querystring import QueryString

from pawpay.platform.clock import utcnow
from pawpay.platform.db.engine import get_engine
from pawpay.platform.identity.tables import WebSession
from pawpay.platform.jobs.actors import PLATFORM_QUEUE
from pawpay.platform.jobs.periodic import PURGE_EXPIRED_SESSIONS, PURGE_EXPIRED_SESSIONS_JOB
from pawpay.platform.jobs.runner import embedded_jobs
from pawpay.platform.settings import load_settings
from pawpay.platform.tenancy.scope import platform_scope
from pawpay.platform.testing.jobs import JobsHarness, wait_until

pytestmark = pytest.mark.integration


async def add_sessions(store: Any) -> tuple[uuid.UUID, uuid.UUID]:
    """One expired and one live session of the store's manager."""
    now = utcnow()
    ids = []
    async with platform_scope("test: sessions"):
        for expires in (now - timedelta(minutes=1), now + timedelta(hours=1)):
            rows = await WebSession.insert(
                WebSession(token_hash=secrets.token_hex(32), account_id=store.manager_id,
                           tenant_id=store.tenant_id, csrf_token="x", created_at=now, last_seen_at=now,
                           expires_at=expires)
            ).returning(WebSession.id)
            ids.append(rows[0]["id"])
    return ids[0], ids[1]


async def existing_sessions(*ids: uuid.UUID) -> set[uuid.UUID]:
    async with platform_scope("test: sessions"):
        rows = await WebSession.select(WebSession.id).where(WebSession.id.is_in(list(ids)))
    return {row["id"] for row in rows}


async def job_row() -> dict[str, Any]:
    async with platform_scope("test: job row"):
        rows = await get_engine().run_querystring(
            QueryString("SELECT * FROM scheduled_job WHERE name = {}", PURGE_EXPIRED_SESSIONS)
        )
    return dict(rows[0])


async def make_job_due() -> None:
    """Seed the job's row (as the active scheduler does) and make it due now."""
    async with platform_scope("test: make due"):
        await PURGE_EXPIRED_SESSIONS_JOB.seed(utcnow())
        await get_engine().run_querystring(
            QueryString(
                "UPDATE scheduled_job SET next_run_at = {}, lease_until = NULL WHERE name = {}",
                utcnow() - timedelta(seconds=1), PURGE_EXPIRED_SESSIONS,
            )
        )


async def purge_through(jobs: JobsHarness, store: Any, *, join: bool) -> None:
    expired, live = await add_sessions(store)
    await make_job_due()
    started: datetime = utcnow()
    scheduler = jobs.scheduler([PURGE_EXPIRED_SESSIONS_JOB])
    result = await scheduler.tick()
    assert (result.claimed, result.sent) == ({PURGE_EXPIRED_SESSIONS_JOB.name: 1}, 1)
    if join:
        await jobs.join(PLATFORM_QUEUE)

    async def purged() -> bool:
        return (await job_row())["lease_until"] is None

    await wait_until(purged, within=10, what="the purge job to finish")
    assert await existing_sessions(expired, live) == {live}
    row = await job_row()
    assert row["last_error"] == ""
    assert row["last_run_at"] >= started
    assert row["next_run_at"] == row["last_run_at"] + timedelta(hours=1)
    # Not due again until the next run: the next tick claims nothing.
    assert (await scheduler.tick()).total == 0


async def test_session_cleanup_in_memory_broker(jobs_stub, store_a) -> None:
    await purge_through(jobs_stub, store_a, join=True)


@pytest.mark.broker
async def test_session_cleanup_through_redis(jobs_redis, store_a) -> None:
    await purge_through(jobs_redis, store_a, join=False)


@pytest.mark.broker
async def test_session_cleanup_through_rabbitmq(jobs_rabbitmq, store_a) -> None:
    await purge_through(jobs_rabbitmq, store_a, join=False)


async def test_a_duplicate_message_does_nothing(jobs_stub, store_a) -> None:
    await purge_through(jobs_stub, store_a, join=True)
    before = await job_row()
    expired, _live = await add_sessions(store_a)
    # A late duplicate of the finished run (a redelivery): no lease, so no run.
    jobs_stub.broker.get_actor(PURGE_EXPIRED_SESSIONS).send(PURGE_EXPIRED_SESSIONS)
    await jobs_stub.join(PLATFORM_QUEUE)
    assert await job_row() == before
    assert await existing_sessions(expired) == {expired}


async def test_a_failing_run_is_recorded_and_retried_soon(jobs_stub, store_a, monkeypatch) -> None:
    from pawpay.platform.identity import services as identity

    async def broken(now: datetime) -> int:
        raise RuntimeError("database trouble")

    monkeypatch.setattr(identity, "purge_expired_sessions", broken)
    await make_job_due()
    started = utcnow()
    assert (await jobs_stub.scheduler([PURGE_EXPIRED_SESSIONS_JOB]).tick()).sent == 1
    with pytest.raises(RuntimeError, match="database trouble"):  # dead-lettered: no dramatiq retries
        await jobs_stub.join(PLATFORM_QUEUE)
    row = await job_row()
    assert "database trouble" in row["last_error"]
    assert row["lease_until"] is None
    assert started < row["next_run_at"] <= utcnow() + timedelta(minutes=1)


async def test_embedded_mode_runs_worker_and_scheduler_in_the_app(pawpay_database, store_a) -> None:
    from asgi_lifespan import LifespanManager

    expired, live = await add_sessions(store_a)
    await make_job_due()
    settings = load_settings(broker_url=None, scheduler_tick_seconds=0.1)
    app = Litestar(route_handlers=[], lifespan=[embedded_jobs(settings)])
    async with LifespanManager(app):

        async def purged() -> bool:
            return await existing_sessions(expired) == set()

        await wait_until(purged, within=10, what="the embedded scheduler and worker to purge")
    assert await existing_sessions(live) == {live}
    assert (await job_row())["lease_until"] is None


async def test_the_active_scheduler_seeds_periodic_jobs(jobs_stub, frozen_clock) -> None:
    from pawpay.platform.jobs.due import PeriodicJob

    name = f"test_seed_{uuid.uuid4().hex[:8]}"
    daily = PeriodicJob.every(timedelta(days=1), job_name=name, actor_name="nobody")
    scheduler = jobs_stub.scheduler([daily])
    stop = asyncio.Event()
    states: list[bool] = []
    task = asyncio.create_task(scheduler.run(stop, 0.05, on_state=states.append))

    async def seeded() -> bool:
        async with platform_scope("test: seeded"):
            rows = await get_engine().run_querystring(
                QueryString("SELECT * FROM scheduled_job WHERE name = {}", name)
            )
        return bool(rows)

    await wait_until(seeded, within=5, what="the periodic job's row")
    stop.set()
    await asyncio.wait_for(task, 5)
    assert states == [True]
    async with platform_scope("test: read"):
        [row] = await get_engine().run_querystring(
            QueryString("SELECT * FROM scheduled_job WHERE name = {}", name)
        )
    # Due at once (its first run), then leased by the first tick (no actor: it stays leased).
    assert row["interval_seconds"] == 86400
    assert row["next_run_at"] == frozen_clock.now()
    assert row["lease_until"] is not None
    # Re-seeding with a shorter interval never pushes the next run later.
    hourly = PeriodicJob.every(timedelta(hours=1), job_name=name, actor_name="nobody")
    async with platform_scope("test: reseed"):
        await hourly.seed(frozen_clock.now() + timedelta(minutes=5))
        [row] = await get_engine().run_querystring(
            QueryString("SELECT interval_seconds, next_run_at FROM scheduled_job WHERE name = {}", name)
        )
    assert (row["interval_seconds"], row["next_run_at"]) == (3600, frozen_clock.now())
