"""Registers the webhooks component."""

from __future__ import annotations

from pawpay.platform.hooks import hookimpl


@hookimpl
def pawpay_piccolo_apps() -> list[str]:
    return ["pawpay.platform.webhooks.piccolo_app"]


@hookimpl
def pawpay_route_handlers() -> list[object]:
    from pawpay.platform.webhooks.controllers import receive_webhook

    return [receive_webhook]


@hookimpl
def pawpay_actor_modules() -> list[str]:
    return ["pawpay.platform.webhooks.actors"]


@hookimpl
def pawpay_due_work() -> list[object]:
    from pawpay.platform.webhooks.due import PROCESS_EVENTS

    return [PROCESS_EVENTS]
