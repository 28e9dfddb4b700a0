"""Registers the identity component."""

from __future__ import annotations

from pawpay.platform.hooks import hookimpl


@hookimpl
def pawpay_piccolo_apps() -> list[str]:
    return ["pawpay.platform.identity.piccolo_app"]


@hookimpl
def pawpay_route_handlers() -> list[object]:
    from pawpay.platform.identity.controllers import (
        ApiKeyController,
        AuthController,
        OperatorController,
        StaffController,
    )

    return [AuthController, StaffController, ApiKeyController, OperatorController]
