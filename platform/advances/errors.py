"""Advances' own stable error codes."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, cast

from pawpay.platform.errors import BusinessRuleViolation, Conflict, ErrorCode


class AdvanceErrorCode(StrEnum):
    ADVANCE_NOT_ALLOWED = "ADVANCE_NOT_ALLOWED"
    ADVANCE_MISMATCH = "ADVANCE_MISMATCH"
    ADVANCE_NOT_OUTSTANDING = "ADVANCE_NOT_OUTSTANDING"
    ADVANCE_SPLIT_IN_FLIGHT = "ADVANCE_SPLIT_IN_FLIGHT"


def _code(code: AdvanceErrorCode) -> ErrorCode:
    return cast(ErrorCode, code)


class AdvanceNotAllowed(BusinessRuleViolation):
    """The store's terms (the contract's pinned version) do not allow an advance, or it is too small (422)."""

    def __init__(self, detail: str, **data: Any) -> None:
        super().__init__(detail, code=_code(AdvanceErrorCode.ADVANCE_NOT_ALLOWED), **data)


class AdvanceMismatch(Conflict):
    """The contract's advance was requested before with other values (409)."""

    def __init__(self, detail: str, **data: Any) -> None:
        super().__init__(detail, code=_code(AdvanceErrorCode.ADVANCE_MISMATCH), **data)


class AdvanceNotOutstanding(BusinessRuleViolation):
    """Only a funded advance with something left to repay can default (422)."""

    def __init__(self, detail: str, **data: Any) -> None:
        super().__init__(detail, code=_code(AdvanceErrorCode.ADVANCE_NOT_OUTSTANDING), **data)


class SplitInFlight(Conflict):
    """A repayment split of this advance awaits the provider's answer; retry later (409)."""

    def __init__(self, detail: str, **data: Any) -> None:
        super().__init__(detail, code=_code(AdvanceErrorCode.ADVANCE_SPLIT_IN_FLIGHT), **data)
