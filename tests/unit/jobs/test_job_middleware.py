"""The tenant stamp on messages and the job counter."""

from __future__ import annotations

import uuid

import dramatiq
import pytest
from dramatiq.broker import MessageProxy
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import SkipMessage

from pawpay.platform.jobs.middleware import (
    JobMetricsMiddleware,
    TenantMiddleware,
    TenantMismatch,
    job_tenant_id,
)
from pawpay.platform.observability.metrics import JOBS

pytestmark = pytest.mark.unit

TENANT = str(uuid.uuid4())
OTHER = str(uuid.uuid4())


@pytest.fixture
def broker() -> StubBroker:
    broker = StubBroker()
    broker.add_middleware(TenantMiddleware())

    async def charge(tenant_id: str, invoice_id: str) -> None:  # tenant-scoped: explicit tenant_id
        return None

    def housekeeping(job_name: str) -> None:  # platform work: no tenant
        return None

    dramatiq.actor(charge, broker=broker, actor_name="charge", queue_name="q")
    dramatiq.actor(housekeeping, broker=broker, actor_name="housekeeping", queue_name="q")
    return broker


def test_the_tenant_argument_is_stamped_into_the_options(broker) -> None:
    message = broker.get_actor("charge").send(TENANT, "inv-1")
    assert message.options["tenant_id"] == TENANT
    by_keyword = broker.get_actor("charge").send(tenant_id=TENANT, invoice_id="inv-2")
    assert by_keyword.options["tenant_id"] == TENANT


def test_platform_work_carries_no_tenant(broker) -> None:
    message = broker.get_actor("housekeeping").send("purge")
    assert "tenant_id" not in message.options


def test_a_stamp_contradicting_the_argument_is_refused_at_send(broker) -> None:
    with pytest.raises(TenantMismatch):
        broker.get_actor("charge").send_with_options(args=(TENANT, "inv-1"), tenant_id=OTHER)
    assert broker.queues["q"].qsize() == 0


def test_a_contradicting_message_is_refused_before_the_actor_runs(broker) -> None:
    message = broker.get_actor("charge").message(TENANT, "inv-1")
    message.options["tenant_id"] = OTHER  # e.g. tampered with in the queue
    proxy = MessageProxy(message)
    with pytest.raises(SkipMessage):
        TenantMiddleware().before_process_message(broker, proxy)
    assert proxy.failed
    assert job_tenant_id() is None


def test_the_stamp_is_visible_while_the_message_is_processed(broker) -> None:
    proxy = MessageProxy(broker.get_actor("charge").send(TENANT, "inv-1"))
    middleware = TenantMiddleware()
    middleware.before_process_message(broker, proxy)
    assert job_tenant_id() == TENANT
    middleware.after_process_message(broker, proxy, result=None)
    assert job_tenant_id() is None


def test_jobs_are_counted_by_outcome(broker) -> None:
    proxy = MessageProxy(broker.get_actor("housekeeping").message("purge"))

    def value(outcome: str) -> float:
        return JOBS.labels("housekeeping", outcome)._value.get()

    before = {o: value(o) for o in ("succeeded", "failed", "skipped")}
    metrics = JobMetricsMiddleware()
    metrics.after_process_message(broker, proxy, result=None)
    metrics.after_process_message(broker, proxy, exception=RuntimeError("x"))
    metrics.after_skip_message(broker, proxy)
    assert {o: value(o) - before[o] for o in before} == {"succeeded": 1, "failed": 1, "skipped": 1}


def test_the_shared_loop_waits_out_a_pause_instead_of_failing_the_job() -> None:
    import asyncio
    import logging
    import threading

    from pawpay.platform.jobs.middleware import _RunningLoop

    loop = asyncio.new_event_loop()
    facade = _RunningLoop(loop, logging.getLogger("test"))
    results: list[object] = []

    async def job() -> str:
        return "done"

    worker = threading.Thread(target=lambda: results.append(facade.run_coroutine(job())))
    worker.start()  # the loop is not running yet: the job waits instead of raising
    worker.join(timeout=0.2)
    assert worker.is_alive()
    loop.run_until_complete(asyncio.sleep(0.3))
    worker.join(timeout=5)
    assert results == ["done"]
    loop.close()
    closed = job()
    with pytest.raises(RuntimeError):
        facade.run_coroutine(closed)  # closed loop: fails at once, and the coroutine is closed
    assert closed.cr_frame is None
