"""Registers the store signing component."""

from __future__ import annotations

from pawpay.platform.hooks import hookimpl


@hookimpl
def pawpay_piccolo_apps() -> list[str]:
    return ["pawpay.tenants.signing.piccolo_app"]


@hookimpl
def pawpay_route_handlers() -> list[object]:
    from pawpay.tenants.signing.controllers import SigningApi

    return [SigningApi]


@hookimpl
def pawpay_actor_modules() -> list[str]:
    return ["pawpay.tenants.signing.actors"]


@hookimpl
def pawpay_due_work() -> list[object]:
    # Not from the actors module: importing it would declare the actor before the broker is set.
    from pawpay.tenants.signing.periodic import PERIODIC_JOBS

    return list(PERIODIC_JOBS)
