"""Registers the business calendar component."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pawpay.platform.hooks import hookimpl

if TYPE_CHECKING:
    pass


@hookimpl
def pawpay_piccolo_apps() -> list[str]:
    return ["pawpay.platform.business_calendar.piccolo_app"]


@hookimpl
def pawpay_route_handlers() -> list[object]:
    from pawpay.platform.business_calendar.controllers import CalendarController

    return [CalendarController]
