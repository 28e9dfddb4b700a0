"""Advances' pure rules: the eligible amount, the fee, the repayment split of one collection."""

from __future__ import annotations

import calendar
from datetime import date

# The partner refuses less than this (the sandbox's minimum; a real partner's is similar).
MIN_ADVANCE_FEN = 10_000
STATES = ("requested", "funded", "repaying", "repaid", "declined", "defaulted")
OUTSTANDING_STATES = ("funded", "repaying")
POLICY_ACCOUNTS = {
    "store_bears": "advance_owed_by_store",
    "platform_guarantee": "advance_default_platform",
    "partner_bears": "advance_default_partner",
}


def eligible_fen(contract_total_fen: int, ratio_bp: int) -> int:
    """ratio x contract total, **rounded down** to the fen: never more than the terms allow."""
    if contract_total_fen <= 0 or ratio_bp <= 0:
        return 0
    return contract_total_fen * ratio_bp // 10_000


def fee_fen(principal_fen: int, fee_bp: int) -> int:
    """The fee when the partner does not state its own: fee_bp of the principal, rounded up."""
    return -(-principal_fen * fee_bp // 10_000)


def repayment_split(outstanding_fen: int, available_fen: int) -> int:
    """What one released collection repays: all that is available, up to what is still owed."""
    return max(0, min(outstanding_fen, available_fen))


def advance_id(contract_ref: str) -> str:
    """The partner's idempotency key: one advance per contract."""
    return f"adv-{contract_ref}"


def last_installment_on(first_due_on: date, periods: int) -> date:
    """The planned date of the last monthly installment (same day of month, clamped)."""
    months = first_due_on.month - 1 + max(periods, 1) - 1
    year, month = first_due_on.year + months // 12, months % 12 + 1
    day = min(first_due_on.day, calendar.monthrange(year, month)[1])
    return date(year, month, day)
