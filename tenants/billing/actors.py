"""Billing actors (declared only once the broker is configured)."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

import dramatiq

from pawpay.platform.jobs.services import run_periodic_job
from pawpay.platform.tenancy.context import TenantContext
from pawpay.tenants.billing import services
from pawpay.tenants.billing.due import (
    BILLING_QUEUE,
    PLAN_DEBITS,
    RUN_DEBIT_ATTEMPT,
    RUN_DEBIT_BATCH,
    SEND_DEBIT_RECEIPTS,
    SEND_DEBIT_REMINDER,
)

log = logging.getLogger(__name__)


# No dramatiq retries: the row is the retry (an unfinished attempt's lease runs out and it is claimed again).
@dramatiq.actor(actor_name=RUN_DEBIT_ATTEMPT, queue_name=BILLING_QUEUE, max_retries=0, time_limit=90_000)
async def run_debit_attempt(tenant_id: str, attempt_id: str) -> None:
    ctx = TenantContext(tenant_id=uuid.UUID(tenant_id), actor_label="job:run_debit_attempt")
    await services.process_attempt(ctx, attempt_id)


@dramatiq.actor(actor_name=SEND_DEBIT_REMINDER, queue_name=BILLING_QUEUE, max_retries=0, time_limit=90_000)
async def send_debit_reminder(tenant_id: str, reminder_id: str) -> None:
    ctx = TenantContext(tenant_id=uuid.UUID(tenant_id), actor_label="job:send_debit_reminder")
    await services.process_reminder(ctx, uuid.UUID(reminder_id))


@dramatiq.actor(actor_name=PLAN_DEBITS, queue_name="platform", max_retries=0, time_limit=600_000)
async def plan_debits(job_name: str) -> None:
    await run_periodic_job(job_name, _plan_every_store)


async def _plan_every_store(now: datetime) -> None:
    # Runs inside the periodic job's platform scope: collect the stores, plan each after the scope.
    from pawpay.platform.tenancy.context import PlatformContext
    from pawpay.platform.tenancy.scope import after_commit
    from pawpay.platform.tenancy.services import tenant_ids

    ids = await tenant_ids(PlatformContext(actor_label="job:plan_debits"))

    async def plan_all() -> None:
        for tenant_id in ids:
            try:
                await services.plan_store(TenantContext(tenant_id=tenant_id, actor_label="job:plan_debits"))
            except Exception:
                log.exception("planning debits failed", extra={"tenant_id": str(tenant_id)})

    after_commit(plan_all)


@dramatiq.actor(actor_name=RUN_DEBIT_BATCH, queue_name=BILLING_QUEUE, max_retries=0, time_limit=90_000)
async def run_debit_batch(tenant_id: str, attempt_ids: list[str], receipt_ids: list[str] | None = None) -> None:
    """A store's claimed debit attempts (and due receipts) in one message (see ``billing.batch``)."""
    from pawpay.tenants.billing import batch

    ctx = TenantContext(tenant_id=uuid.UUID(tenant_id), actor_label="job:run_debit_batch")
    await batch.run_batch(ctx, attempt_ids, receipt_ids or [])


@dramatiq.actor(actor_name=SEND_DEBIT_RECEIPTS, queue_name=BILLING_QUEUE, max_retries=0, time_limit=90_000)
async def send_debit_receipts(tenant_id: str, attempt_ids: list[str]) -> None:
    """Due receipts of a store only (the ``DEBIT_RECEIPTS`` work on its own)."""
    from pawpay.tenants.billing import batch

    ctx = TenantContext(tenant_id=uuid.UUID(tenant_id), actor_label="job:send_debit_receipts")
    await batch.send_receipts(ctx, attempt_ids)
