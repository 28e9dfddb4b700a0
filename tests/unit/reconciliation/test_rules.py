"""Reconciliation's pure rules: parsing a statement, matching it with pawpay's records."""

from __future__ import annotations

import pytest

from pawpay.platform.errors import ValidationFailed
from pawpay.platform.reconciliation.rules import StatementLine, match, parse_statement

pytestmark = pytest.mark.unit


def test_a_statement_is_parsed_by_its_header() -> None:
    body = ("\ufefftype,reference,attempt_id,transaction_id,amount_fen,fee_fen\n"
            "charge,a1,a1,t1,29800,894\nrelease,r1,a1,x,28906,0\n").encode()
    assert parse_statement(body) == [StatementLine("charge", "a1", "a1", 29_800, 894),
                                     StatementLine("release", "r1", "a1", 28_906, 0)]


@pytest.mark.parametrize("body", [b"attempt_id,amount\n", b"type,reference,amount_fen\nbonus,x,1\n",
                                  b"type,reference,amount_fen\ncharge,x,1.5\n", b"\xff\xfe"])
def test_anything_else_is_refused(body: bytes) -> None:
    with pytest.raises(ValidationFailed):
        parse_statement(body)


def test_matching_finds_every_kind_of_difference() -> None:
    statement = [StatementLine("charge", "a1", "a1", 100, 3), StatementLine("charge", "a2", "a2", 201, 0),
                 StatementLine("charge", "a3", "a3", 300, 0), StatementLine("charge", "a3", "a3", 300, 0),
                 StatementLine("refund", "f9", "a1", 50, 0)]
    records = [("charge", "a1", "a1", 100, 3), ("charge", "a2", "a2", 200, 0), ("charge", "a3", "a3", 300, 0),
               ("release", "r1", "a1", 97, 0)]
    matched, differences = match(statement, records)
    assert matched == 2
    assert sorted((d.kind, d.record_type, d.reference, d.provider_fen, d.ledger_fen) for d in differences) == [
        ("amount_mismatch", "charge", "a2", 201, 200),
        ("extra_in_ledger", "release", "r1", None, 97),
        ("missing_in_ledger", "charge", "a3", 300, None),
        ("missing_in_ledger", "refund", "f9", 50, None),
    ]


def test_a_different_fee_is_a_mismatch_and_nothing_is_clean() -> None:
    _, differences = match([StatementLine("charge", "a1", "a1", 100, 4)], [("charge", "a1", "a1", 100, 3)])
    assert [d.kind for d in differences] == ["amount_mismatch"]
    assert match([], []) == (0, [])
