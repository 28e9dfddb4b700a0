"""Deposit rules (pure): the target and how much of a release to withhold."""

from __future__ import annotations

from pawpay.platform.errors import ValidationFailed

BP = 10_000
RELEASE_RULES = frozenset({"contract_completed", "operator_decision"})
MAX_FEN = 10**13


def target_fen(monthly_fulfilment_fen: int, ratio_bp: int) -> int:
    """ratio x monthly fulfilment, rounded up to the fen (a deposit is never short by rounding)."""
    return -(-monthly_fulfilment_fen * ratio_bp // BP)


def withhold(target: int, balance: int, available_fen: int) -> int:
    """How much of a debit's ``available_fen`` to keep as deposit.

    The provider holds and releases whole debits (a held charge is released or kept), so a debit
    is withheld whole while the deposit is below its target: the deposit reaches the target
    with the debit that crosses it (overshooting by less than one debit), then nothing more is kept.
    """
    if available_fen <= 0 or balance >= target:
        return 0
    return available_fen


def check_amount(amount_fen: object, field: str = "amount_fen", *, allow_zero: bool = False) -> int:
    if type(amount_fen) is not int:
        raise ValidationFailed("amounts are integer fen", field=field)
    if amount_fen < 0 or (amount_fen == 0 and not allow_zero) or amount_fen > MAX_FEN:
        raise ValidationFailed("amount out of range", field=field)
    return amount_fen


def check_reason(reason: object) -> str:
    if not isinstance(reason, str) or not reason.strip():
        raise ValidationFailed("a reason is required", field="reason")
    return reason.strip()[:2000]


def check_rule(rule: object) -> str:
    if rule not in RELEASE_RULES:
        raise ValidationFailed("deposit is released only by rule: contract_completed or operator_decision",
                               field="rule")
    return str(rule)
