"""Response bodies of the ledger API (read-only for now)."""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec


class AccountBalanceOut(msgspec.Struct):
    code: str
    kind: str
    may_go_negative: bool
    balance_fen: int
    signed_fen: int


class PostingOut(msgspec.Struct):
    account_code: str
    amount_fen: int


class EntryOut(msgspec.Struct):
    id: uuid.UUID
    idempotency_key: str
    description: str
    effective_at: datetime
    recorded_at: datetime
    reverses_entry_id: uuid.UUID | None
    created_by: str
    postings: list[PostingOut]
