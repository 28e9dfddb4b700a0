"""Registers the store aftersales component."""

from __future__ import annotations

from pawpay.platform.hooks import hookimpl


@hookimpl
def pawpay_piccolo_apps() -> list[str]:
    return ["pawpay.tenants.aftersales.piccolo_app"]


@hookimpl
def pawpay_route_handlers() -> list[object]:
    from pawpay.tenants.aftersales.controllers import AftersalesController

    return [AftersalesController]


@hookimpl
def pawpay_actor_modules() -> list[str]:
    return ["pawpay.tenants.aftersales.actors"]


@hookimpl
def pawpay_due_work() -> list[object]:
    # Not from the actors module: importing it would declare the actors before the broker is set.
    from pawpay.tenants.aftersales.due import DUE_WORK

    return list(DUE_WORK)
