"""Registers the providers component (each store's provider choice and credentials)."""

from __future__ import annotations

from pawpay.platform.hooks import hookimpl


@hookimpl
def pawpay_piccolo_apps() -> list[str]:
    return ["pawpay.platform.providers.piccolo_app"]


@hookimpl
def pawpay_route_handlers() -> list[object]:
    from pawpay.platform.providers.controllers import OpsProviderController, ProviderController

    return [ProviderController, OpsProviderController]
