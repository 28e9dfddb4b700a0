"""Registers the store visits component: its table, the contract-signed listener, the hourly catch-up
planner, the JSON API."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from pawpay.platform.hooks import hookimpl

if TYPE_CHECKING:
    from pawpay.platform.hooks import ContractSigned
    from pawpay.platform.hooks.types import DueWork


@hookimpl
def pawpay_piccolo_apps() -> list[str]:
    return ["pawpay.tenants.visits.piccolo_app"]


@hookimpl
def pawpay_actor_modules() -> list[str]:
    return ["pawpay.tenants.visits.actors"]


@hookimpl
def pawpay_due_work() -> list[DueWork]:
    from pawpay.tenants.visits.due import PLAN_VISITS_JOB

    return [PLAN_VISITS_JOB]


@hookimpl
async def pawpay_contract_signed(tenant_id: str, contract: ContractSigned) -> None:
    """Plan the day-7 and day-30 follow-up visits of the new contract (idempotent)."""
    from pawpay.platform.tenancy.context import TenantContext
    from pawpay.tenants.visits import services

    ctx = TenantContext(tenant_id=uuid.UUID(tenant_id), actor_label="visits:contract_signed")
    await services.schedule_visits(ctx, uuid.UUID(contract.contract_id))


@hookimpl
def pawpay_route_handlers() -> list[object]:
    from pawpay.tenants.visits.controllers import VisitController

    return [VisitController]
