"""Registers the store plans component."""

from __future__ import annotations

from pawpay.platform.hooks import hookimpl


@hookimpl
def pawpay_piccolo_apps() -> list[str]:
    return ["pawpay.tenants.plans.piccolo_app"]


@hookimpl
def pawpay_route_handlers() -> list[object]:
    from pawpay.tenants.plans.controllers import PetStageController, PlanController

    return [PlanController, PetStageController]


@hookimpl
async def pawpay_demo_store_seeded(tenant_id: str) -> None:
    from pawpay.tenants.plans.demo import seed

    await seed(tenant_id)
