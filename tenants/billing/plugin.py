"""Registers the store billing component: tables, due work and actors, the contract-signed and
provider-event listeners, the JSON API."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from pawpay.platform.hooks import hookimpl

if TYPE_CHECKING:
    from pawpay.platform.hooks import ContractSigned, WebhookEvent
    from pawpay.platform.hooks.types import DueWork


@hookimpl
def pawpay_piccolo_apps() -> list[str]:
    return ["pawpay.tenants.billing.piccolo_app"]


@hookimpl
def pawpay_actor_modules() -> list[str]:
    return ["pawpay.tenants.billing.actors"]


@hookimpl
def pawpay_due_work() -> list[DueWork]:
    from pawpay.tenants.billing.due import DEBIT_ATTEMPTS, DEBIT_REMINDERS, PLAN_DEBITS_JOB

    return [DEBIT_ATTEMPTS, DEBIT_REMINDERS, PLAN_DEBITS_JOB]


@hookimpl
async def pawpay_contract_signed(tenant_id: str, contract: ContractSigned) -> None:
    """Plan the new contract's debits and reminders at once (the periodic planner catches up otherwise)."""
    from pawpay.platform.tenancy.context import TenantContext
    from pawpay.tenants.billing import services

    ctx = TenantContext(tenant_id=uuid.UUID(tenant_id), actor_label="billing:contract_signed")
    await services.plan_contract(ctx, uuid.UUID(contract.contract_id))


@hookimpl
def pawpay_provider_event(tenant_id: str, category: str, provider: str, event: WebhookEvent) -> Any:
    if category != "payments" or not event.kind.startswith("charge.") or not (event.reference or "").startswith(
            "dbt-"):
        return None
    from pawpay.platform.tenancy.context import TenantContext
    from pawpay.tenants.billing import services

    ctx = TenantContext(tenant_id=uuid.UUID(tenant_id), actor_label=f"webhook:{category}/{provider}")
    return services.on_charge_event(ctx, event)


@hookimpl
def pawpay_route_handlers() -> list[object]:
    from pawpay.tenants.billing.controllers import BillingController

    return [BillingController]
