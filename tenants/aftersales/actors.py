"""The after-sales actors (declared only once the broker is configured)."""

from __future__ import annotations

import uuid

import dramatiq

from pawpay.platform.tenancy.context import TenantContext
from pawpay.tenants.aftersales.due import AFTERSALES_QUEUE, ESCALATE_TICKET


# No dramatiq retries: the row is the retry (an unfinished run's lease runs out and it is claimed again).
@dramatiq.actor(actor_name=ESCALATE_TICKET, queue_name=AFTERSALES_QUEUE, max_retries=0, time_limit=300_000)
async def escalate_aftersales_ticket(tenant_id: str, ticket_id: str) -> None:
    from pawpay.tenants.aftersales.services import escalate_if_due

    ctx = TenantContext(tenant_id=uuid.UUID(tenant_id), actor_label="job:escalate_aftersales_ticket")
    await escalate_if_due(ctx, uuid.UUID(ticket_id))
