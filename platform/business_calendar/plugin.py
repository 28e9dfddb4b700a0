"""Registers the business calendar component: its tables, its API, its daily coverage check."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pawpay.platform.hooks import hookimpl

if TYPE_CHECKING:
    from pawpay.platform.hooks.types import DueWork


@hookimpl
def pawpay_piccolo_apps() -> list[str]:
    return ["pawpay.platform.business_calendar.piccolo_app"]


@hookimpl
def pawpay_route_handlers() -> list[object]:
    from pawpay.platform.business_calendar.controllers import CalendarController

    return [CalendarController]


@hookimpl
def pawpay_actor_modules() -> list[str]:
    return ["pawpay.platform.business_calendar.actors"]


@hookimpl
def pawpay_due_work() -> list[DueWork]:
    # Not from the actors module: importing it would declare actors before the broker is set.
    from pawpay.platform.business_calendar.periodic import CHECK_CALENDAR_COVERAGE_JOB

    return [CHECK_CALENDAR_COVERAGE_JOB]
