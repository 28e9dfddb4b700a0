"""The settlement actor (declared only once the broker is configured)."""

from __future__ import annotations

import uuid

import dramatiq

from pawpay.platform.settlement.due import RUN_DAILY_SETTLEMENT, SETTLEMENT_QUEUE
from pawpay.platform.settlement.services import run_due_batch


# No dramatiq retries: the schedule row is the retry (a lost run's lease runs out and it is claimed again).
@dramatiq.actor(actor_name=RUN_DAILY_SETTLEMENT, queue_name=SETTLEMENT_QUEUE, max_retries=0, time_limit=1_500_000)
async def run_daily_settlement(tenant_id: str, schedule_id: str) -> None:
    await run_due_batch(uuid.UUID(tenant_id), uuid.UUID(schedule_id))
