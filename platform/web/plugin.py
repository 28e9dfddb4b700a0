"""Registers the web kernel's own routes (health, readiness, metrics)."""

from __future__ import annotations

from pawpay.platform.hooks import hookimpl


@hookimpl
def pawpay_route_handlers() -> list[object]:
    from pawpay.platform.web.health import healthz, metrics_endpoint, readyz

    return [healthz, readyz, metrics_endpoint]
