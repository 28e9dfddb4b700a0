"""The billing domain's stable error codes (add new ones, never rename)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, cast

from pawpay.platform.errors import BusinessRuleViolation, Conflict, ErrorCode


class BillingErrorCode(StrEnum):
    DEBIT_OUTSIDE_HOURS = "DEBIT_OUTSIDE_HOURS"
    DEBIT_IN_FLIGHT = "DEBIT_IN_FLIGHT"
    INSTALLMENT_NOT_OPEN = "INSTALLMENT_NOT_OPEN"
    INSTALLMENT_PAUSED = "INSTALLMENT_PAUSED"
    DEBIT_ALREADY_SUCCEEDED = "DEBIT_ALREADY_SUCCEEDED"
    DEBIT_DATE_INVALID = "DEBIT_DATE_INVALID"
    REMINDER_QUIET_HOURS = "REMINDER_QUIET_HOURS"
    RETRY_SCHEDULE_INVALID = "RETRY_SCHEDULE_INVALID"


def code(value: BillingErrorCode) -> ErrorCode:
    return cast(ErrorCode, value)


class DebitRefused(Conflict):
    """A staff debit action cannot be done now (409): outside the rail's hours, an attempt in flight,
    the installment is not open or already paid."""

    def __init__(self, detail: str, reason: BillingErrorCode, **data: Any) -> None:
        super().__init__(detail, code=code(reason), **data)


class DebitDateInvalid(BusinessRuleViolation):
    """The new debit date breaks the plan or rail rules (422)."""

    def __init__(self, detail: str, **data: Any) -> None:
        super().__init__(detail, code=code(BillingErrorCode.DEBIT_DATE_INVALID), **data)
