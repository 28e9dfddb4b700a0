"""The contracts domain's stable error codes (add new ones, never rename)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, cast

from pawpay.platform.errors import BusinessRuleViolation, Conflict, ErrorCode


class ContractErrorCode(StrEnum):
    CONTRACT_INVALID_TRANSITION = "CONTRACT_INVALID_TRANSITION"
    CONTRACT_PET_HAS_OPEN_CONTRACT = "CONTRACT_PET_HAS_OPEN_CONTRACT"
    CONTRACT_COOLING_OFF_OVER = "CONTRACT_COOLING_OFF_OVER"
    CONTRACT_SIGNINGS_SUSPENDED = "CONTRACT_SIGNINGS_SUSPENDED"
    CONTRACT_INVALID_DEBIT_DAY = "CONTRACT_INVALID_DEBIT_DAY"
    CONTRACT_PET_NOT_CUSTOMERS = "CONTRACT_PET_NOT_CUSTOMERS"
    CONTRACT_EVIDENCE_INCOMPLETE = "CONTRACT_EVIDENCE_INCOMPLETE"
    CONTRACT_PLAN_MISMATCH = "CONTRACT_PLAN_MISMATCH"


def code(value: ContractErrorCode) -> ErrorCode:
    return cast(ErrorCode, value)


class InvalidTransition(Conflict):
    """The contract's state does not allow this step (409)."""

    def __init__(self, detail: str, **data: Any) -> None:
        super().__init__(detail, code=code(ContractErrorCode.CONTRACT_INVALID_TRANSITION), **data)


class PetHasOpenContract(Conflict):
    """The pet already has a contract pending signature or active (409)."""

    def __init__(self, detail: str = "this pet already has a contract being signed or active", **data: Any) -> None:
        super().__init__(detail, code=code(ContractErrorCode.CONTRACT_PET_HAS_OPEN_CONTRACT), **data)


class CoolingOffOver(BusinessRuleViolation):
    """The cooling-off window has ended: cancellation without penalty is no longer possible (422)."""

    def __init__(self, detail: str, **data: Any) -> None:
        super().__init__(detail, code=code(ContractErrorCode.CONTRACT_COOLING_OFF_OVER), **data)


class SigningsSuspended(BusinessRuleViolation):
    """The store may not sign new contracts now (suspended, licence or certificate expired) (422)."""

    def __init__(self, detail: str, **data: Any) -> None:
        super().__init__(detail, code=code(ContractErrorCode.CONTRACT_SIGNINGS_SUSPENDED), **data)
