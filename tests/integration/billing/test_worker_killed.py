"""Fault test with real processes: a ``pawpay worker`` process is SIGKILLed in the middle of a debit run
and the work is resumed by another worker. Afterwards every due installment is charged exactly once
and the ledger equals the sandbox's records.

The sandbox keeps its state in the memory of the process that calls it, so the killed worker hangs
*before* reaching it (its attempts are committed as ``submitted``): the restarted worker must query
the provider with the same attempt id before anything else (the sandbox answers ``NOT_FOUND``) and
then charge with that same id. The crash after the money was taken is covered in-process by
``test_crashes_and_schedulers.py``."""

from __future__ import annotations

import asyncio
import os
import signal
from datetime import timedelta
from pathlib import Path
from typing import Any

import dramatiq
import dramatiq.broker
import pytest

from pawpay.platform.clock import utcnow
from pawpay.platform.jobs.broker import configure_broker
from pawpay.platform.jobs.runner import in_process_worker, worker_command, worker_environment
from pawpay.platform.jobs.scheduler import Scheduler
from pawpay.platform.jobs.services import advance_tenant_clock, tenant_now
from pawpay.platform.settings import load_settings
from pawpay.platform.testing.jobs import wait_until
from pawpay.tenants.billing import services as billing
from pawpay.tenants.billing.due import DEBIT_ATTEMPTS
from pawpay.tenants.contracts import services as contracts
from tests.integration.billing.conftest import SHANGHAI, new_store
from tests.integration.billing.test_crashes_and_schedulers import _check_exactly_once

pytestmark = [pytest.mark.integration, pytest.mark.broker]

SUPPORT = Path(__file__).parent / "support"


async def test_a_worker_killed_mid_debit_run_and_restarted_charges_each_once(
    pawpay_database: Any, pawpay_redis_url: str
) -> None:
    store = await new_store()
    signed = [await store.sign() for _ in range(4)]
    firsts = [(await contracts.installments(store.ctx, c.id))[0] for c in signed]
    # Move the store's own clock (the worker process reads it from the database) to the due day, 08:05.
    from datetime import datetime

    now = await tenant_now(store.ctx)
    due = datetime.combine(firsts[0].due_on, datetime.min.time(), tzinfo=SHANGHAI) + timedelta(hours=8, minutes=5)
    await advance_tenant_clock(store.ctx, int((due - now).total_seconds()))

    previous = dramatiq.broker.global_broker
    broker = configure_broker(load_settings(broker_url=pawpay_redis_url), shared_loop=True)
    worker_proc = None
    try:
        scheduler = Scheduler(broker, [DEBIT_ATTEMPTS])
        t0 = utcnow()
        assert (await scheduler.tick(t0)).sent >= len(firsts)
        command = worker_command(1, 2, extra_modules=["billing_kill_support"], paths=[str(SUPPORT)])
        env = worker_environment({**os.environ, "PAWPAY_BROKER_URL": pawpay_redis_url,
                                  "PAWPAY_TEST_BILLING_HANG": "1"})
        worker_proc = await asyncio.create_subprocess_exec(*command, env=env, start_new_session=True)

        async def submitted() -> bool:
            for inst in firsts:
                attempts = await billing.installment_debits(store.ctx, inst.id)
                if attempts[0].status == "submitted":
                    return True
            return False

        await wait_until(submitted, within=60, what="the worker process to submit a debit")
        os.killpg(worker_proc.pid, signal.SIGKILL)  # mid-run: no clean-up, no ack, leases held
        await worker_proc.wait()
        # A new worker; the scheduler reclaims what the dead one held once the leases run out.
        async with in_process_worker(broker, threads=2):
            later = t0 + DEBIT_ATTEMPTS.lease_length() + timedelta(seconds=5)

            async def all_paid() -> bool:
                await scheduler.tick(later)
                states = [(await contracts.get_installment(store.ctx, i.id)).status for i in firsts]
                return all(s == "paid" for s in states)

            await wait_until(all_paid, within=60, interval=0.5, what="every installment to be paid")
        await _check_exactly_once(store, firsts)
    finally:
        if worker_proc is not None and worker_proc.returncode is None:
            os.killpg(worker_proc.pid, signal.SIGKILL)
            await worker_proc.wait()
        broker.close()
        dramatiq.broker.global_broker = previous
