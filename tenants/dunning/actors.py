"""The dunning actors (declared only once the broker is configured)."""

from __future__ import annotations

import uuid

import dramatiq

from pawpay.platform.tenancy.context import TenantContext
from pawpay.tenants.dunning.due import (
    CHARGE_TERMINATION_PENALTY,
    DUNNING_QUEUE,
    RESUME_DUNNING_PAUSE,
    RUN_DUNNING_CASE,
)


# No dramatiq retries: the row is the retry (an unfinished run's lease runs out and it is claimed again).
@dramatiq.actor(actor_name=RUN_DUNNING_CASE, queue_name=DUNNING_QUEUE, max_retries=0, time_limit=300_000)
async def run_dunning_case(tenant_id: str, case_id: str) -> None:
    from pawpay.tenants.dunning.services import run_case

    ctx = TenantContext(tenant_id=uuid.UUID(tenant_id), actor_label="job:run_dunning_case")
    await run_case(ctx, uuid.UUID(case_id))


@dramatiq.actor(actor_name=RESUME_DUNNING_PAUSE, queue_name=DUNNING_QUEUE, max_retries=0, time_limit=300_000)
async def resume_dunning_pause(tenant_id: str, pause_id: str) -> None:
    from pawpay.tenants.dunning.endings import resume_pause

    ctx = TenantContext(tenant_id=uuid.UUID(tenant_id), actor_label="job:resume_dunning_pause")
    await resume_pause(ctx, uuid.UUID(pause_id))


@dramatiq.actor(actor_name=CHARGE_TERMINATION_PENALTY, queue_name=DUNNING_QUEUE, max_retries=0, time_limit=60_000)
async def charge_termination_penalty(tenant_id: str, penalty_id: str) -> None:
    from pawpay.tenants.dunning.penalty import process_penalty

    ctx = TenantContext(tenant_id=uuid.UUID(tenant_id), actor_label="job:charge_termination_penalty")
    await process_penalty(ctx, uuid.UUID(penalty_id))
