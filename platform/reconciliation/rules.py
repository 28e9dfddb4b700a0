"""Reconciliation's pure rules: parse a provider statement, match it with pawpay's records."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass

from pawpay.platform.errors import ValidationFailed

KINDS = ("missing_in_ledger", "extra_in_ledger", "amount_mismatch")
RECORD_TYPES = ("charge", "refund", "release", "split")
REQUIRED_COLUMNS = ("type", "reference", "amount_fen")


@dataclass(frozen=True, slots=True)
class StatementLine:
    record_type: str
    reference: str
    attempt_id: str
    amount_fen: int
    fee_fen: int = 0


@dataclass(frozen=True, slots=True)
class Difference:
    kind: str
    record_type: str
    reference: str
    attempt_id: str
    provider_fen: int | None
    ledger_fen: int | None


def parse_statement(body: bytes) -> list[StatementLine]:
    """A statement as CSV with a header naming at least ``type,reference,amount_fen`` (optional
    ``attempt_id``, ``fee_fen``); a BOM is ignored. Anything else is refused, never guessed."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed("the statement is not UTF-8") from None
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or any(c not in reader.fieldnames for c in REQUIRED_COLUMNS):
        raise ValidationFailed("unsupported statement format", columns=list(reader.fieldnames or []))
    lines = []
    for number, row in enumerate(reader, start=2):
        try:
            kind = (row["type"] or "").strip()
            if kind not in RECORD_TYPES:
                raise ValueError(kind)
            lines.append(StatementLine(kind, (row["reference"] or "").strip(), (row.get("attempt_id") or "").strip(),
                                       int(row["amount_fen"]), int(row.get("fee_fen") or 0)))
        except (TypeError, ValueError):
            raise ValidationFailed("malformed statement line", line=number) from None
    return lines


def match(statement: Iterable[StatementLine], records: Iterable[tuple[str, str, str, int, int]]) -> tuple[
        int, list[Difference]]:
    """Match statement lines with pawpay's records ``(type, reference, attempt_id, amount, fee)`` by
    (type, reference). Returns the matched count and the differences: a line pawpay has no record
    of (or a duplicate line) is ``missing_in_ledger``; a record the statement lacks is
    ``extra_in_ledger``; a different amount or fee is ``amount_mismatch``."""
    ours: dict[tuple[str, str], tuple[str, int, int]] = {}
    for record_type, reference, attempt_id, amount, fee in records:
        ours[(record_type, reference)] = (attempt_id, amount, fee)
    seen: set[tuple[str, str]] = set()
    matched = 0
    differences: list[Difference] = []
    for line in statement:
        key = (line.record_type, line.reference)
        mine = ours.get(key)
        if mine is None or key in seen:
            differences.append(Difference("missing_in_ledger", line.record_type, line.reference, line.attempt_id,
                                          line.amount_fen, None))
            continue
        seen.add(key)
        if (mine[1], mine[2]) != (line.amount_fen, line.fee_fen):
            differences.append(Difference("amount_mismatch", line.record_type, line.reference,
                                          line.attempt_id or mine[0], line.amount_fen, mine[1]))
        else:
            matched += 1
    for key, (attempt_id, amount, _fee) in sorted(ours.items()):
        if key not in seen:
            differences.append(Difference("extra_in_ledger", key[0], key[1], attempt_id, None, amount))
    return matched, differences
