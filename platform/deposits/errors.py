"""Deposits' own stable error codes."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, cast

from pawpay.platform.errors import BusinessRuleViolation, ErrorCode


class DepositErrorCode(StrEnum):
    DEPOSIT_INSUFFICIENT = "DEPOSIT_INSUFFICIENT"


class DepositInsufficient(BusinessRuleViolation):
    """More deposit asked to be released than the store holds (422)."""

    def __init__(self, detail: str, **data: Any) -> None:
        super().__init__(detail, code=cast(ErrorCode, DepositErrorCode.DEPOSIT_INSUFFICIENT), **data)
