"""Settlement's own stable error codes (public API once shipped: add new ones, never rename)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, cast

from pawpay.platform.errors import BusinessRuleViolation, Conflict, ErrorCode


class SettlementErrorCode(StrEnum):
    SETTLEMENT_COLLECTION_MISMATCH = "SETTLEMENT_COLLECTION_MISMATCH"
    SETTLEMENT_REFUND_MISMATCH = "SETTLEMENT_REFUND_MISMATCH"
    SETTLEMENT_REFUND_EXCEEDS_FUNDS = "SETTLEMENT_REFUND_EXCEEDS_FUNDS"
    SETTLEMENT_RELEASE_IN_PROGRESS = "SETTLEMENT_RELEASE_IN_PROGRESS"
    SETTLEMENT_DEPOSIT_RELEASE_TOO_SMALL = "SETTLEMENT_DEPOSIT_RELEASE_TOO_SMALL"
    SETTLEMENT_PROVIDER_UNRESOLVED = "SETTLEMENT_PROVIDER_UNRESOLVED"
    SETTLEMENT_PROVIDER_REFUSED = "SETTLEMENT_PROVIDER_REFUSED"


def _code(code: SettlementErrorCode) -> ErrorCode:
    return cast(ErrorCode, code)


class CollectionMismatch(Conflict):
    """The attempt was recorded before with other values (409)."""

    def __init__(self, detail: str, **data: Any) -> None:
        super().__init__(detail, code=_code(SettlementErrorCode.SETTLEMENT_COLLECTION_MISMATCH), **data)


class RefundMismatch(Conflict):
    def __init__(self, detail: str, **data: Any) -> None:
        super().__init__(detail, code=_code(SettlementErrorCode.SETTLEMENT_REFUND_MISMATCH), **data)


class RefundExceedsFunds(BusinessRuleViolation):
    def __init__(self, detail: str, **data: Any) -> None:
        super().__init__(detail, code=_code(SettlementErrorCode.SETTLEMENT_REFUND_EXCEEDS_FUNDS), **data)


class ReleaseInProgress(Conflict):
    """The debit's release has an unresolved provider outcome; retry once it is resolved (409)."""

    def __init__(self, detail: str, **data: Any) -> None:
        super().__init__(detail, code=_code(SettlementErrorCode.SETTLEMENT_RELEASE_IN_PROGRESS), **data)


class DepositReleaseTooSmall(BusinessRuleViolation):
    def __init__(self, detail: str, **data: Any) -> None:
        super().__init__(detail, code=_code(SettlementErrorCode.SETTLEMENT_DEPOSIT_RELEASE_TOO_SMALL), **data)


class ProviderUnresolved(Conflict):
    def __init__(self, detail: str, **data: Any) -> None:
        super().__init__(detail, code=_code(SettlementErrorCode.SETTLEMENT_PROVIDER_UNRESOLVED), **data)


class ProviderRefused(BusinessRuleViolation):
    def __init__(self, detail: str, **data: Any) -> None:
        super().__init__(detail, code=_code(SettlementErrorCode.SETTLEMENT_PROVIDER_REFUSED), **data)
