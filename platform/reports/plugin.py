"""Registers the reports component."""

from __future__ import annotations

from pawpay.platform.hooks import hookimpl


@hookimpl
def pawpay_route_handlers() -> list[object]:
    from pawpay.platform.reports.controllers import OpsReportsController

    return [OpsReportsController]
