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
