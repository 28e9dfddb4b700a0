"""The ledger's own stable error codes (public API once shipped: add new ones, never rename).

``pawpay.platform.errors.ErrorCode`` belongs to the platform; the ledger's codes live here in a
``StrEnum`` of their own. The error model only ever renders ``str(code)``, so a ledger code
travels through ``PawPayError`` unchanged.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, cast

from pawpay.platform.errors import BusinessRuleViolation, Conflict, ErrorCode


class LedgerErrorCode(StrEnum):
    LEDGER_IDEMPOTENCY_MISMATCH = "LEDGER_IDEMPOTENCY_MISMATCH"
    LEDGER_INSUFFICIENT_BALANCE = "LEDGER_INSUFFICIENT_BALANCE"
    LEDGER_ALREADY_REVERSED = "LEDGER_ALREADY_REVERSED"


def _code(code: LedgerErrorCode) -> ErrorCode:
    # PawPayError types ``code`` as the platform's enum; both are str enums rendered with str().
    return cast(ErrorCode, code)


class IdempotencyMismatch(Conflict):
    """The idempotency key was used before for a different entry (409)."""

    def __init__(self, detail: str, **data: Any) -> None:
        super().__init__(detail, code=_code(LedgerErrorCode.LEDGER_IDEMPOTENCY_MISMATCH), **data)


class InsufficientBalance(BusinessRuleViolation):
    """The entry would take an account that may not go negative below zero (422)."""

    def __init__(self, detail: str, **data: Any) -> None:
        super().__init__(detail, code=_code(LedgerErrorCode.LEDGER_INSUFFICIENT_BALANCE), **data)


class AlreadyReversed(Conflict):
    """The entry was already reversed by an entry with another idempotency key (409)."""

    def __init__(self, detail: str, **data: Any) -> None:
        super().__init__(detail, code=_code(LedgerErrorCode.LEDGER_ALREADY_REVERSED), **data)
