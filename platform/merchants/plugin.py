"""Registers the merchants component: its tables, routes, actors and the daily expiry reminders."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pawpay.platform.hooks import hookimpl

if TYPE_CHECKING:
    from pawpay.platform.hooks.types import DueWork


@hookimpl
def pawpay_piccolo_apps() -> list[str]:
    return ["pawpay.platform.merchants.piccolo_app"]


@hookimpl
def pawpay_actor_modules() -> list[str]:
    return ["pawpay.platform.merchants.actors"]


@hookimpl
def pawpay_due_work() -> list[DueWork]:
    # Not from the actors module: importing it would declare actors before the broker is set.
    from pawpay.platform.merchants.periodic import PERIODIC_JOBS

    return list(PERIODIC_JOBS)


@hookimpl
def pawpay_route_handlers() -> list[object]:
    from pawpay.platform.merchants.controllers import MerchantController, OpsMerchantController

    return [OpsMerchantController, MerchantController]
