"""The chart of accounts, the sign convention and the validation of postings (pure, no I/O).

Sign convention: a posting's ``amount_fen`` is positive for a debit and negative for a credit,
so a balanced entry's postings sum to zero. An account's *balance* is reported on its normal
side: debits minus credits for assets and expenses, credits minus debits for liabilities,
income and equity. "May not go negative" is about that normal-side balance.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pawpay.platform.errors import ValidationFailed


class AccountKind(StrEnum):
    ASSET = "asset"
    LIABILITY = "liability"
    INCOME = "income"
    EXPENSE = "expense"
    EQUITY = "equity"


DEBIT_NORMAL = frozenset({AccountKind.ASSET, AccountKind.EXPENSE})


@dataclass(frozen=True, slots=True)
class AccountDefinition:
    kind: AccountKind
    may_go_negative: bool
    description: str


# A store's books. They mirror what the licensed provider holds for the store (ARCHITECTURE
# §5a): pawpay never holds funds, so "held" means held at the provider in the store's account.
CHART: dict[str, AccountDefinition] = {
    "store_funds_held": AccountDefinition(AccountKind.ASSET, False, "collected, held at the provider"),
    "store_funds_released": AccountDefinition(AccountKind.ASSET, False, "released to the store"),
    "deposit_held": AccountDefinition(AccountKind.ASSET, False, "withheld as the store's deposit"),
    "platform_fee": AccountDefinition(AccountKind.EXPENSE, False, "pawpay's fee charged to the store"),
    "refunds": AccountDefinition(AccountKind.EXPENSE, False, "refunded to customers"),
    "advance_outstanding": AccountDefinition(AccountKind.LIABILITY, False, "owed to the financing partner"),
    "contract_sales": AccountDefinition(AccountKind.INCOME, False, "contracted amounts (other side of receivables)"),
    # Advances (垫资): the partner pays the store directly (outside the held funds); the store owes
    # principal + fee (advance_outstanding) until the contract's collections repay it by split.
    "advance_received": AccountDefinition(AccountKind.ASSET, False, "advances paid to the store by the partner"),
    "advance_fee": AccountDefinition(AccountKind.EXPENSE, False, "the financing partner's fee on advances"),
    # A defaulted advance's remainder moves out of advance_outstanding to whoever bears it.
    "advance_owed_by_store": AccountDefinition(
        AccountKind.LIABILITY, False, "defaulted advances the store repays the partner itself"),
    "advance_default_platform": AccountDefinition(
        AccountKind.INCOME, False, "defaulted advances the platform's guarantee pays"),
    "advance_default_partner": AccountDefinition(
        AccountKind.INCOME, False, "defaulted advances the partner writes off"),
    # Early-termination penalties (dunning): income when the signed termination makes them owed; the
    # receivable is the contract's "customer_receivable:<contract_no>:penalty".
    "penalty_income": AccountDefinition(AccountKind.INCOME, False, "early-termination penalties owed by customers"),
    # What a customer paid the store directly (cash, a transfer), recorded by staff: the store has
    # the money; pawpay and the provider never saw it.
    "collected_by_store": AccountDefinition(
        AccountKind.ASSET, False, "paid by customers to the store directly, outside the provider"),
}
# Per-contract accounts: the code is "<prefix><contract reference>".
PREFIXED_CHART: dict[str, AccountDefinition] = {
    "customer_receivable:": AccountDefinition(AccountKind.ASSET, False, "still owed by the customer on a contract"),
}
MAX_CODE_LENGTH = 128
MAX_POSTINGS = 100
# Far beyond any real amount, far below BIGINT: a sum of MAX_POSTINGS of them cannot overflow.
MAX_AMOUNT_FEN = 10**15


def definition(code: str) -> AccountDefinition:
    """The chart's definition of ``code``; an unknown code is refused (never guessed)."""
    if not isinstance(code, str) or not code or len(code) > MAX_CODE_LENGTH:
        raise ValidationFailed("not a ledger account code", account_code=str(code)[:MAX_CODE_LENGTH])
    if code in CHART:
        return CHART[code]
    for prefix, found in PREFIXED_CHART.items():
        suffix = code[len(prefix):]
        if code.startswith(prefix) and suffix and suffix.strip() == suffix and suffix.isprintable():
            return found
    raise ValidationFailed("not a ledger account code", account_code=code)


def normal_balance(kind: str, signed_fen: int) -> int:
    """The balance on the account's normal side, from the debit-positive sum of its postings."""
    return signed_fen if AccountKind(kind) in DEBIT_NORMAL else -signed_fen


def validate_postings(postings: Sequence[Any]) -> list[tuple[str, int]]:
    """Check an entry's postings; return them merged per account, in account order.

    Amounts must be ints (not floats, not bools), non-zero and sum to zero; there must be at
    least two postings, and after merging per account still at least two accounts (a debit and
    a credit): the stored lines are the merged ones, so an idempotent replay compares like for like.
    """
    if not isinstance(postings, Sequence) or isinstance(postings, str | bytes):
        raise ValidationFailed("postings must be a list of (account code, amount in fen)")
    if len(postings) < 2:
        raise ValidationFailed("an entry needs at least two postings", postings=len(postings))
    if len(postings) > MAX_POSTINGS:
        raise ValidationFailed("too many postings in one entry", postings=len(postings))
    merged: dict[str, int] = {}
    for index, posting in enumerate(postings):
        if not isinstance(posting, tuple | list) or len(posting) != 2:
            raise ValidationFailed("a posting is (account code, amount in fen)", index=index)
        code, amount = posting
        definition(code)
        if type(amount) is not int:  # bool is an int subclass; floats and Decimals are refused too
            raise ValidationFailed("amounts are integer fen", index=index, account_code=code)
        if amount == 0:
            raise ValidationFailed("a posting may not be zero", index=index, account_code=code)
        if abs(amount) > MAX_AMOUNT_FEN:
            raise ValidationFailed("amount out of range", index=index, account_code=code)
        merged[code] = merged.get(code, 0) + amount
    total = sum(amount for _code, amount in postings)
    if total != 0:
        raise ValidationFailed("postings do not balance: debits must equal credits", total_fen=total)
    lines = sorted((code, amount) for code, amount in merged.items() if amount != 0)
    if len(lines) < 2:
        raise ValidationFailed("an entry must move money between at least two accounts")
    return lines


def reversed_postings(postings: Iterable[tuple[str, int]]) -> list[tuple[str, int]]:
    return [(code, -amount) for code, amount in postings]
