"""Response bodies of the settlement API."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import msgspec


class SettlementBatchOut(msgspec.Struct):
    id: uuid.UUID
    tenant_id: uuid.UUID
    business_day: date
    status: str
    item_count: int
    gross_fen: int
    fee_fen: int
    refund_fen: int
    deposit_fen: int
    release_fen: int
    failed_count: int
    unknown_count: int
    pending_calendar_count: int
    started_at: datetime
    completed_at: datetime | None
    tenant_name: str = ""


class SettlementLineOut(msgspec.Struct):
    id: uuid.UUID
    release_id: str
    attempt_id: str
    contract_ref: str
    collected_on: date
    releasable_on: date
    gross_fen: int
    fee_fen: int
    refund_fen: int
    deposit_fen: int
    release_fen: int
    status: str
    provider_reference: str
    error_code: str
    split_fen: int = 0
    split_ref: str = ""


class StatementOut(msgspec.Struct):
    batch: SettlementBatchOut
    lines: list[SettlementLineOut]


class RunOutcomeOut(msgspec.Struct):
    tenant_id: uuid.UUID
    batch: SettlementBatchOut | None
    error: str
