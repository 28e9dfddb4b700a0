"""The webhook processor actor (declared only once the broker is configured)."""

from __future__ import annotations

import uuid

import dramatiq

from pawpay.platform.webhooks.due import PROCESS_WEBHOOK_EVENT, WEBHOOKS_QUEUE
from pawpay.platform.webhooks.services import process_event


# No dramatiq retries: the row is the retry (a failed listener books process_after with backoff;
# a lost message or killed worker leaves a lease that runs out and the scheduler sends it again).
@dramatiq.actor(actor_name=PROCESS_WEBHOOK_EVENT, queue_name=WEBHOOKS_QUEUE, max_retries=0, time_limit=120_000)
async def process_webhook_event(tenant_id: str, event_row_id: str) -> None:
    await process_event(uuid.UUID(tenant_id), uuid.UUID(event_row_id))
