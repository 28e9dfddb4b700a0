"""After-sales' stable error codes (add new ones, never rename)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, cast

from pawpay.platform.errors import BusinessRuleViolation, Conflict, ErrorCode


class AftersalesErrorCode(StrEnum):
    AFTERSALES_INVALID_TRANSITION = "AFTERSALES_INVALID_TRANSITION"
    AFTERSALES_NOT_RESHIPPABLE = "AFTERSALES_NOT_RESHIPPABLE"
    AFTERSALES_NOT_PET_HEALTH = "AFTERSALES_NOT_PET_HEALTH"
    AFTERSALES_PAUSE_STATE = "AFTERSALES_PAUSE_STATE"
    AFTERSALES_TICKET_CLOSED = "AFTERSALES_TICKET_CLOSED"


def code(value: AftersalesErrorCode) -> ErrorCode:
    return cast(ErrorCode, value)


class InvalidTransition(Conflict):
    """The ticket's state does not allow this action (409)."""

    def __init__(self, detail: str, **data: Any) -> None:
        super().__init__(detail, code=code(AftersalesErrorCode.AFTERSALES_INVALID_TRANSITION), **data)


class NotReshippable(BusinessRuleViolation):
    """Only a product issue about a shipment can be reshipped (422)."""

    def __init__(self, detail: str, **data: Any) -> None:
        super().__init__(detail, code=code(AftersalesErrorCode.AFTERSALES_NOT_RESHIPPABLE), **data)


class NotPetHealth(BusinessRuleViolation):
    """Clinic coupons and pause proposals belong to pet-health tickets (422)."""

    def __init__(self, detail: str, **data: Any) -> None:
        super().__init__(detail, code=code(AftersalesErrorCode.AFTERSALES_NOT_PET_HEALTH), **data)


class PauseState(Conflict):
    """The pause proposal is not in a state that allows this step (409)."""

    def __init__(self, detail: str, **data: Any) -> None:
        super().__init__(detail, code=code(AftersalesErrorCode.AFTERSALES_PAUSE_STATE), **data)


class TicketClosed(Conflict):
    """The ticket is resolved or closed: reopen it first (409)."""

    def __init__(self, detail: str, **data: Any) -> None:
        super().__init__(detail, code=code(AftersalesErrorCode.AFTERSALES_TICKET_CLOSED), **data)
