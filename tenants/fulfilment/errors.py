"""Fulfilment's stable error codes (add new ones, never rename)."""

from __future__ import annotations

from enum import StrEnum
from typing import cast

from pawpay.platform.errors import ErrorCode


class FulfilmentErrorCode(StrEnum):
    FULFILMENT_NOT_IN_EXCEPTION = "FULFILMENT_NOT_IN_EXCEPTION"
    FULFILMENT_REASON_REQUIRED = "FULFILMENT_REASON_REQUIRED"
    FULFILMENT_BAD_FILTER = "FULFILMENT_BAD_FILTER"
    FULFILMENT_BAD_LINES = "FULFILMENT_BAD_LINES"
    FULFILMENT_BAD_POSTAGE = "FULFILMENT_BAD_POSTAGE"
    FULFILMENT_NOT_RESOLVED = "FULFILMENT_NOT_RESOLVED"


def code(value: FulfilmentErrorCode) -> ErrorCode:
    return cast(ErrorCode, value)
