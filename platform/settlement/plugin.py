"""Registers the settlement component."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pawpay.platform.hooks import hookimpl

if TYPE_CHECKING:
    from pawpay.platform.hooks.types import DueWork


@hookimpl
def pawpay_piccolo_apps() -> list[str]:
    return ["pawpay.platform.settlement.piccolo_app"]


@hookimpl
def pawpay_actor_modules() -> list[str]:
    return ["pawpay.platform.settlement.actors"]


@hookimpl
def pawpay_due_work() -> list[DueWork]:
    from pawpay.platform.settlement.due import DAILY_SETTLEMENT

    return [DAILY_SETTLEMENT]


@hookimpl
def pawpay_route_handlers() -> list[object]:
    from pawpay.platform.settlement.controllers import OpsSettlementController, SettlementController

    return [SettlementController, OpsSettlementController]
