"""Registers the reconciliation component."""

from __future__ import annotations

from pawpay.platform.hooks import hookimpl


@hookimpl
def pawpay_piccolo_apps() -> list[str]:
    return ["pawpay.platform.reconciliation.piccolo_app"]


@hookimpl
def pawpay_route_handlers() -> list[object]:
    from pawpay.platform.reconciliation.controllers import OpsReconciliationController, ReconciliationController

    return [ReconciliationController, OpsReconciliationController]
