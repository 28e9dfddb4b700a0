"""The fulfilment actors (declared only once the broker is configured)."""

from __future__ import annotations

import uuid

import dramatiq

from pawpay.platform.tenancy.context import TenantContext
from pawpay.tenants.fulfilment.due import FULFILMENT_QUEUE, POLL_SHIPMENT, SUBMIT_SHIPMENT


# No dramatiq retries: the row is the retry (an unfinished run's lease runs out and it is claimed again).
@dramatiq.actor(actor_name=SUBMIT_SHIPMENT, queue_name=FULFILMENT_QUEUE, max_retries=0, time_limit=120_000)
async def submit_shipment(tenant_id: str, shipment_id: str) -> None:
    from pawpay.tenants.fulfilment import services

    ctx = TenantContext(tenant_id=uuid.UUID(tenant_id), actor_label="job:submit_shipment")
    await services.submit_shipment(ctx, uuid.UUID(shipment_id))


@dramatiq.actor(actor_name=POLL_SHIPMENT, queue_name=FULFILMENT_QUEUE, max_retries=0, time_limit=120_000)
async def poll_shipment(tenant_id: str, shipment_id: str) -> None:
    from pawpay.tenants.fulfilment import services

    ctx = TenantContext(tenant_id=uuid.UUID(tenant_id), actor_label="job:poll_shipment")
    await services.poll_shipment(ctx, uuid.UUID(shipment_id))
