"""Registers the store dunning component."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pawpay.platform.hooks import hookimpl

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pawpay.platform.hooks import InstallmentPaid, WebhookEvent


@hookimpl
def pawpay_piccolo_apps() -> list[str]:
    return ["pawpay.tenants.dunning.piccolo_app"]


@hookimpl
def pawpay_route_handlers() -> list[object]:
    from pawpay.tenants.dunning.controllers import DunningController

    return [DunningController]


@hookimpl
def pawpay_actor_modules() -> list[str]:
    return ["pawpay.tenants.dunning.actors"]


@hookimpl
def pawpay_due_work() -> list[object]:
    # Not from the actors module: importing it would declare the actors before the broker is set.
    from pawpay.tenants.dunning.due import DUE_WORK

    return list(DUE_WORK)


@hookimpl
async def pawpay_installments_paid(tenant_id: str, installments: Sequence[InstallmentPaid]) -> None:
    """Paid installments close their dunning cases (idempotent; billing also calls debit_recovered)."""
    import uuid

    from pawpay.platform.tenancy.context import TenantContext
    from pawpay.tenants.dunning.services import close_cases_paid

    ctx = TenantContext(tenant_id=uuid.UUID(tenant_id), actor_label="event:installments_paid")
    await close_cases_paid(ctx, [uuid.UUID(i.installment_id) for i in installments])


@hookimpl
def pawpay_provider_event(tenant_id: str, category: str, provider: str, event: WebhookEvent) -> Any:
    """``charge.*`` events for the termination penalties (references ``pen-``; billing takes ``dbt-``)."""
    from pawpay.tenants.dunning.penalty import PENALTY_PREFIX

    if category != "payments" or not event.kind.startswith("charge.") or not (event.reference or "").startswith(
            PENALTY_PREFIX):
        return None
    import uuid

    from pawpay.platform.tenancy.context import TenantContext
    from pawpay.tenants.dunning.penalty import on_charge_event

    ctx = TenantContext(tenant_id=uuid.UUID(tenant_id), actor_label=f"webhook:{category}/{provider}")
    return on_charge_event(ctx, event)
