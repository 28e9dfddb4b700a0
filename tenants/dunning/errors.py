"""Dunning's stable error codes (add new ones, never rename)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, cast

from pawpay.platform.errors import BusinessRuleViolation, Conflict, ErrorCode, ValidationFailed


class DunningErrorCode(StrEnum):
    DUNNING_FORBIDDEN_PHRASE = "DUNNING_FORBIDDEN_PHRASE"
    DUNNING_UNKNOWN_PLACEHOLDER = "DUNNING_UNKNOWN_PLACEHOLDER"
    DUNNING_INVALID_STEP = "DUNNING_INVALID_STEP"
    DUNNING_PAUSE_INVALID = "DUNNING_PAUSE_INVALID"
    DUNNING_RETENTION_FIRST = "DUNNING_RETENTION_FIRST"
    DUNNING_ENDING_STATE = "DUNNING_ENDING_STATE"
    DUNNING_NOT_SIGNED = "DUNNING_NOT_SIGNED"
    DUNNING_TASK_CLOSED = "DUNNING_TASK_CLOSED"
    DUNNING_PENALTY_NOT_OWED = "DUNNING_PENALTY_NOT_OWED"


def code(value: DunningErrorCode) -> ErrorCode:
    return cast(ErrorCode, value)


class ForbiddenPhrase(ValidationFailed):
    """A template contains a forbidden phrase (422, ``field="body"``, ``phrases`` and ``highlighted``)."""

    def __init__(self, detail: str, **data: Any) -> None:
        super().__init__(detail, code=code(DunningErrorCode.DUNNING_FORBIDDEN_PHRASE), **data)


class RetentionFirst(BusinessRuleViolation):
    """An early termination needs the retention offer recorded as offered and declined first (422)."""

    def __init__(self, detail: str, **data: Any) -> None:
        super().__init__(detail, code=code(DunningErrorCode.DUNNING_RETENTION_FIRST), **data)


class EndingState(Conflict):
    """The ending is not in a state that allows this step (409)."""

    def __init__(self, detail: str, **data: Any) -> None:
        super().__init__(detail, code=code(DunningErrorCode.DUNNING_ENDING_STATE), **data)


class NotSigned(BusinessRuleViolation):
    """The termination agreement is not signed yet (422)."""

    def __init__(self, detail: str, **data: Any) -> None:
        super().__init__(detail, code=code(DunningErrorCode.DUNNING_NOT_SIGNED), **data)


class PenaltyNotOwed(Conflict):
    """Only a penalty whose charge was declined (owed) can be settled by hand (409, ``current``)."""

    def __init__(self, detail: str, **data: Any) -> None:
        super().__init__(detail, code=code(DunningErrorCode.DUNNING_PENALTY_NOT_OWED), **data)
