"""Claiming due rows: SKIP LOCKED, leases, and enqueueing only after COMMIT."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import dramatiq
import pytest
from asyncpg.exceptions import UniqueViolationError
from piccolo.querystring import QueryString

from pawpay.platform.clock import utcnow
from pawpay.platform.db.engine import get_engine
from pawpay.platform.errors import ScopeViolation
from pawpay.platform.hooks.types import DueItem
from pawpay.platform.jobs.middleware import job_tenant_id
from pawpay.platform.tenancy.scope import platform_scope, tenant_scope

pytestmark = pytest.mark.integration

TOUCH_QUEUE = "jobs_test"


def declare_touch(broker: dramatiq.Broker, seen_tenants: list[str | None]) -> dramatiq.Actor:  # type: ignore[type-arg]
    """An idempotent actor finishing one scratch row, as a domain actor would."""

    async def touch(tenant_id: str, item_id: str) -> None:
        seen_tenants.append(job_tenant_id())
        async with tenant_scope(uuid.UUID(tenant_id)):
            await get_engine().run_querystring(
                QueryString(
                    "UPDATE jobs_test_item SET processed = processed + 1, done_at = now(), due_at = NULL, "
                    "lease_until = NULL WHERE id = {} AND done_at IS NULL",
                    uuid.UUID(item_id),
                )
            )

    return dramatiq.actor(touch, broker=broker, actor_name="jobs_test_touch", queue_name=TOUCH_QUEUE, max_retries=0)


async def test_concurrent_claims_never_take_the_same_row(items, store_a) -> None:
    now = utcnow()
    ids = set(await items.add(store_a.tenant_id, now - timedelta(minutes=1), count=10))
    work = items.work()
    first_holds = asyncio.Event()
    second_done = asyncio.Event()

    async def first() -> list[DueItem]:
        async with platform_scope("test: first claimer"):
            claimed = list(await work.claim(now, 6))
            first_holds.set()
            await second_done.wait()  # keep the row locks while the other transaction claims
        return claimed

    async def second() -> list[DueItem]:
        await first_holds.wait()
        try:
            async with platform_scope("test: second claimer"):
                return list(await work.claim(now, 10))
        finally:
            second_done.set()

    # Two tasks: two contexts, so two transactions on two pooled connections.
    a, b = await asyncio.gather(first(), second())
    keys_a, keys_b = {i.key for i in a}, {i.key for i in b}
    assert len(keys_a) == 6
    assert len(keys_b) == 4
    assert not keys_a & keys_b
    assert keys_a | keys_b == {str(i) for i in ids}
    async with platform_scope("test: third claimer"):
        assert list(await work.claim(now, 10)) == []  # all leased now


async def test_claim_returns_tenant_and_arguments(items, store_a) -> None:
    now = utcnow()
    [item_id] = await items.add(store_a.tenant_id, now)
    async with platform_scope("test: claim"):
        [item] = await items.work().claim(now, 10)
    assert item == DueItem(key=str(item_id), tenant_id=str(store_a.tenant_id),
                           args=(str(store_a.tenant_id), str(item_id)))


async def test_rows_not_yet_due_or_finished_are_not_claimed(items, store_a) -> None:
    now = utcnow()
    await items.add(store_a.tenant_id, now + timedelta(seconds=1))
    await items.add(store_a.tenant_id, None)  # nothing scheduled
    async with platform_scope("test: claim"):
        assert list(await items.work().claim(now, 10)) == []


async def test_an_expired_lease_is_claimed_again(items, store_a) -> None:
    t0 = utcnow()
    [item_id] = await items.add(store_a.tenant_id, t0 - timedelta(seconds=1))
    work = items.work(lease=timedelta(seconds=60))
    async with platform_scope("test: claim"):
        assert [i.key for i in await work.claim(t0, 10)] == [str(item_id)]
    assert (await items.rows())[item_id]["lease_until"] == t0 + timedelta(seconds=60)
    async with platform_scope("test: claim while leased"):
        assert list(await work.claim(t0 + timedelta(seconds=59), 10)) == []
    later = t0 + timedelta(seconds=61)
    async with platform_scope("test: claim after the lease expired"):
        assert [i.key for i in await work.claim(later, 10)] == [str(item_id)]
    assert (await items.rows())[item_id]["lease_until"] == later + timedelta(seconds=60)


async def test_claim_refuses_to_run_outside_the_platform_scope(items, store_a) -> None:
    with pytest.raises(RuntimeError, match="platform scope"):
        await items.work().claim(utcnow(), 10)
    async with tenant_scope(store_a.tenant_id):
        with pytest.raises(RuntimeError, match="platform scope"):
            await items.work().claim(utcnow(), 10)


async def test_tick_enqueues_after_commit_and_the_actor_finishes_the_row(items, store_a, jobs_stub) -> None:
    seen: list[str | None] = []
    declare_touch(jobs_stub.broker, seen)
    [item_id] = await items.add(store_a.tenant_id, utcnow() - timedelta(seconds=1))
    result = await jobs_stub.scheduler([items.work()]).tick()
    assert result.claimed == {items.work().name: 1}
    assert result.sent == 1
    await jobs_stub.join(TOUCH_QUEUE)
    row = (await items.rows())[item_id]
    assert (row["processed"], row["lease_until"], row["due_at"]) == (1, None, None)
    # The tenant was stamped on the message and visible inside the async actor.
    assert seen == [str(store_a.tenant_id)]
    assert (await jobs_stub.scheduler([items.work()]).tick()).total == 0


class CommitFails:
    """Due work whose claim succeeds but plants a deferred violation: COMMIT will fail."""

    name = "test:commit-fails"
    actor_name = "jobs_test_touch"

    async def claim(self, now, limit):
        for _ in range(2):
            await get_engine().run_querystring(QueryString("INSERT INTO jobs_test_commit_guard (id) VALUES (1)"))
        return [DueItem(key="ghost", tenant_id=None, args=("ghost", "ghost"))]


async def test_a_rolled_back_tick_enqueues_nothing_and_leases_nothing(items, store_a, jobs_stub) -> None:
    declare_touch(jobs_stub.broker, [])
    [item_id] = await items.add(store_a.tenant_id, utcnow() - timedelta(seconds=1))
    scheduler = jobs_stub.scheduler([items.work(), CommitFails()])
    with pytest.raises(UniqueViolationError):
        await scheduler.tick()
    assert jobs_stub.broker.queues[TOUCH_QUEUE].qsize() == 0
    assert (await items.rows())[item_id]["lease_until"] is None
    # The same row is claimed and sent by the next (healthy) tick.
    result = await jobs_stub.scheduler([items.work()]).tick()
    assert result.sent == 1
    await jobs_stub.join(TOUCH_QUEUE)
    assert (await items.rows())[item_id]["processed"] == 1


class ClaimRaises:
    name = "test:claim-raises"
    actor_name = "jobs_test_touch"

    async def claim(self, now, limit):
        await get_engine().run_querystring(QueryString("SELECT * FROM no_such_table"))
        return []


async def test_a_failing_due_work_does_not_stop_the_others(items, store_a, jobs_stub) -> None:
    declare_touch(jobs_stub.broker, [])
    await items.add(store_a.tenant_id, utcnow() - timedelta(seconds=1), count=2)
    result = await jobs_stub.scheduler([ClaimRaises(), items.work()]).tick()
    assert result.claimed == {items.work().name: 2}
    await jobs_stub.join(TOUCH_QUEUE)
    assert [r["processed"] for r in (await items.rows()).values()] == [1, 1]


async def test_a_message_that_cannot_be_sent_is_reclaimed_when_its_lease_expires(items, store_a, jobs_stub) -> None:
    t0 = utcnow()
    [item_id] = await items.add(store_a.tenant_id, t0 - timedelta(seconds=1))
    # No actor of that name is declared: the send fails after commit, the lease stays.
    lost = jobs_stub.scheduler([items.work(actor_name="jobs_test_missing")])
    result = await lost.tick(t0)
    assert (result.sent, result.failed_sends) == (0, 1)
    assert (await items.rows())[item_id]["lease_until"] is not None
    assert (await lost.tick(t0 + timedelta(seconds=30))).total == 0
    declare_touch(jobs_stub.broker, [])
    result = await jobs_stub.scheduler([items.work()]).tick(t0 + timedelta(seconds=61))
    assert result.sent == 1
    await jobs_stub.join(TOUCH_QUEUE)
    assert (await items.rows())[item_id]["processed"] == 1


async def test_a_tick_refuses_to_join_an_open_transaction(jobs_stub) -> None:
    async with platform_scope("test: open transaction"):
        with pytest.raises(ScopeViolation):
            await jobs_stub.scheduler([]).tick()


async def test_a_saturated_tick_says_so(items, store_a, jobs_stub) -> None:
    declare_touch(jobs_stub.broker, [])
    await items.add(store_a.tenant_id, utcnow() - timedelta(seconds=1), count=3)
    scheduler = jobs_stub.scheduler([items.work()], batch_size=2)
    assert (await scheduler.tick()).saturated
    assert not (await scheduler.tick()).saturated
    await jobs_stub.join(TOUCH_QUEUE)
    assert sorted(r["processed"] for r in (await items.rows()).values()) == [1, 1, 1]


async def test_a_batch_claim_takes_the_tenants_in_turn(items, store_a, store_b) -> None:
    """One message per tenant and ``max_batch`` rows, the tenants' messages interleaved (A B A …)."""
    from pawpay.platform.jobs.due import LeasedBatchWork

    now = utcnow()
    a = sorted(str(i) for i in await items.add(store_a.tenant_id, now, count=5))
    b = sorted(str(i) for i in await items.add(store_b.tenant_id, now, count=2))
    work = LeasedBatchWork(name=f"test:{items.batch}:batch", actor_name="jobs_test_touch_batch", table="jobs_test_item",
                           due_column="due_at", match={"batch": items.batch}, lease=timedelta(seconds=60), max_batch=2)
    async with platform_scope("test: claim"):
        claimed = await work.claim(now, 10)
    tenants = {str(store_a.tenant_id): "A", str(store_b.tenant_id): "B"}
    order = [tenants[str(item.tenant_id)] for item in claimed]
    assert sorted(order[:2]) == ["A", "B"], f"one message of each tenant first: {order}"
    assert order[2:] == ["A", "A"], order
    assert sorted(k for item in claimed if tenants[str(item.tenant_id)] == "A" for k in item.args[1]) == a
    assert sorted(k for item in claimed if tenants[str(item.tenant_id)] == "B" for k in item.args[1]) == b
    assert [len(item.args[1]) for item in claimed if tenants[str(item.tenant_id)] == "A"] == [2, 2, 1]


async def test_backpressure_counts_this_works_leased_rows_and_claims_the_cap_when_idle(items, store_a) -> None:
    """``max_in_flight``: a full claim only while it fits; with nothing in flight, the cap itself."""
    from pawpay.platform.jobs.due import LeasedBatchWork

    now = utcnow()
    ids = {str(i) for i in await items.add(store_a.tenant_id, now, count=5)}
    work = LeasedBatchWork(name=f"test:{items.batch}:capped", actor_name="jobs_test_touch_batch",
                           table="jobs_test_item", due_column="due_at", match={"batch": items.batch},
                           lease=timedelta(seconds=60), max_batch=10, claim_limit=4, max_in_flight=3)
    async with platform_scope("test: claim"):
        [first] = await work.claim(now, 100)
    assert len(first.args[1]) == 3, "nothing in flight: the cap, not the claim limit"
    async with platform_scope("test: claim"):
        assert await work.claim(now, 100) == [], "3 in flight: no room for a claim"
    # The rows finish (as the actor would): the rest is claimed.
    async with platform_scope("test: finish"):
        await get_engine().run_querystring(QueryString(
            "UPDATE jobs_test_item SET due_at = NULL, lease_until = NULL WHERE id = ANY({}::uuid[])",
            list(first.args[1])))
    async with platform_scope("test: claim"):
        [second] = await work.claim(now, 100)
    assert set(first.args[1]) | set(second.args[1]) == ids
    assert len(second.args[1]) == 2
