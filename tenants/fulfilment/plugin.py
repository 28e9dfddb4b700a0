"""Registers the store fulfilment component: tables, due work and actors, the installment-paid,
provider-event and shipment-shipped listeners, the JSON API."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from pawpay.platform.hooks import hookimpl

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pawpay.platform.hooks import InstallmentPaid, ShipmentShipped, WebhookEvent
    from pawpay.platform.hooks.types import DueWork


@hookimpl
def pawpay_piccolo_apps() -> list[str]:
    return ["pawpay.tenants.fulfilment.piccolo_app"]


@hookimpl
def pawpay_actor_modules() -> list[str]:
    return ["pawpay.tenants.fulfilment.actors"]


@hookimpl
def pawpay_due_work() -> list[DueWork]:
    # Not from the actors module: importing it would declare the actors before the broker is set.
    from pawpay.tenants.fulfilment.due import DUE_WORK

    return list(DUE_WORK)


@hookimpl
def pawpay_route_handlers() -> list[object]:
    from pawpay.tenants.fulfilment.controllers import FulfilmentController

    return [FulfilmentController]


@hookimpl
async def pawpay_installments_paid(tenant_id: str, installments: Sequence[InstallmentPaid]) -> None:
    """Release the paid periods for shipping: one idempotent insert for the batch, nothing more (debit path)."""
    from pawpay.platform.tenancy.context import TenantContext
    from pawpay.tenants.fulfilment import services

    ctx = TenantContext(tenant_id=uuid.UUID(tenant_id), actor_label="event:installments_paid")
    await services.release_periods(ctx, installments)


@hookimpl
def pawpay_provider_event(tenant_id: str, category: str, provider: str, event: WebhookEvent) -> Any:
    if category != "warehouses" or not event.kind.startswith("parcel."):
        return None
    from pawpay.platform.tenancy.context import TenantContext
    from pawpay.tenants.fulfilment import services

    ctx = TenantContext(tenant_id=uuid.UUID(tenant_id), actor_label=f"webhook:{category}/{provider}")
    return services.on_parcel_event(ctx, event)


@hookimpl
async def pawpay_shipment_shipped(tenant_id: str, shipment: ShipmentShipped) -> None:
    """Report the shipping to a payment rail that settles only after it (WeChat mini-program)."""
    from pawpay.platform.tenancy.context import TenantContext
    from pawpay.tenants.fulfilment import services

    ctx = TenantContext(tenant_id=uuid.UUID(tenant_id), actor_label="event:shipment_shipped")
    await services.upload_shipping_info(ctx, uuid.UUID(shipment.shipment_id))
