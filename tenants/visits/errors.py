"""The visits' stable error codes (add new ones, never rename)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, cast

from pawpay.platform.errors import Conflict, ErrorCode


class VisitErrorCode(StrEnum):
    VISIT_INVALID_FORM = "VISIT_INVALID_FORM"
    VISIT_CLOSED = "VISIT_CLOSED"
    VISIT_INVALID_RESCHEDULE = "VISIT_INVALID_RESCHEDULE"
    VISIT_INVALID_ASSIGNEE = "VISIT_INVALID_ASSIGNEE"


def code(value: VisitErrorCode) -> ErrorCode:
    return cast(ErrorCode, value)


class VisitClosed(Conflict):
    """The visit is already done or cancelled: nothing more to record on it (409)."""

    def __init__(self, detail: str, **data: Any) -> None:
        super().__init__(detail, code=code(VisitErrorCode.VISIT_CLOSED), **data)
