"""The alerts' stable error codes (public API once shipped: add new ones, never rename)."""

from __future__ import annotations

from enum import StrEnum
from typing import cast

from pawpay.platform.errors import ErrorCode


class AlertErrorCode(StrEnum):
    ALERT_NOT_FOUND = "ALERT_NOT_FOUND"
    ALERT_ALREADY_RESOLVED = "ALERT_ALREADY_RESOLVED"
    ALERT_REASON_REQUIRED = "ALERT_REASON_REQUIRED"
    ALERT_INVALID = "ALERT_INVALID"


def code(value: AlertErrorCode) -> ErrorCode:
    # PawPayError types ``code`` as the platform's enum; both are str enums rendered with str().
    return cast(ErrorCode, value)
