"""Validation of postings and the chart of accounts (pure, no database)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pawpay.platform.errors import ValidationFailed
from pawpay.platform.ledger.errors import IdempotencyMismatch, LedgerErrorCode
from pawpay.platform.ledger.rules import AccountKind, definition, normal_balance, validate_postings

pytestmark = pytest.mark.unit


def test_a_balanced_entry_is_merged_per_account_and_sorted() -> None:
    lines = validate_postings([("store_funds_held", 300), ("customer_receivable:C1", -100),
                               ("customer_receivable:C1", -200)])
    assert lines == [("customer_receivable:C1", -300), ("store_funds_held", 300)]


@pytest.mark.parametrize("amount", [1.0, 100.5, True, False, Decimal("100"), "100", None])
def test_amounts_must_be_plain_ints(amount: object) -> None:
    with pytest.raises(ValidationFailed, match="integer fen"):
        validate_postings([("store_funds_held", amount), ("refunds", -100)])


@pytest.mark.parametrize(("postings", "message"), [
    ([("store_funds_held", 100), ("refunds", -99)], "do not balance"),
    ([("store_funds_held", 0), ("refunds", 0)], "may not be zero"),
    ([("store_funds_held", 100)], "at least two postings"),
    ([], "at least two postings"),
    ([("store_funds_held", 100), ("store_funds_held", -100)], "at least two accounts"),
    ([("store_funds_held", 10**16), ("refunds", -(10**16))], "out of range"),
    ([("store_funds_held", 100, "x"), ("refunds", -100)], "a posting is"),
])
def test_invalid_entries_are_refused(postings: list[object], message: str) -> None:
    with pytest.raises(ValidationFailed, match=message):
        validate_postings(postings)


def test_postings_must_be_a_list() -> None:
    with pytest.raises(ValidationFailed, match="must be a list"):
        validate_postings("store_funds_held")  # type: ignore[arg-type]


@pytest.mark.parametrize("code", ["", "nope", "customer_receivable:", "customer_receivable: x", "x" * 200, 5])
def test_unknown_account_codes_are_refused(code: object) -> None:
    with pytest.raises(ValidationFailed):
        definition(code)  # type: ignore[arg-type]


def test_chart_kinds_and_normal_balances() -> None:
    assert definition("store_funds_held").kind is AccountKind.ASSET
    assert definition("customer_receivable:2026-0001").kind is AccountKind.ASSET
    assert definition("advance_outstanding").kind is AccountKind.LIABILITY
    assert not definition("store_funds_held").may_go_negative
    assert normal_balance("asset", 500) == 500
    assert normal_balance("expense", 500) == 500
    assert normal_balance("liability", -500) == 500
    assert normal_balance("income", -500) == 500


def test_ledger_error_codes_render_as_their_own_strings() -> None:
    err = IdempotencyMismatch("used before", idempotency_key="k")
    assert err.http_status == 409
    assert err.to_body()["code"] == "LEDGER_IDEMPOTENCY_MISMATCH" == LedgerErrorCode.LEDGER_IDEMPOTENCY_MISMATCH
