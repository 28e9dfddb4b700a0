"""Registers the onboarding component."""

from __future__ import annotations

from pawpay.platform.hooks import hookimpl


@hookimpl
def pawpay_piccolo_apps() -> list[str]:
    return ["pawpay.platform.onboarding.piccolo_app"]


@hookimpl
def pawpay_route_handlers() -> list[object]:
    from pawpay.platform.onboarding.controllers import ApplicantController, OpsApplicationController

    return [ApplicantController, OpsApplicationController]
