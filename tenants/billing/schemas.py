"""The billing JSON API's shapes (``/api/v1/billing``)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import msgspec


class AttemptOut(msgspec.Struct):
    id: str
    installment_id: uuid.UUID
    contract_id: uuid.UUID
    attempt_no: int
    amount_fen: int
    fee_fen: int
    provider: str
    status: str
    error_code: str
    trigger: str
    provider_reference: str
    created_at: datetime
    submitted_at: datetime | None
    resolved_at: datetime | None
    next_attempt_at: datetime | None


class DueDebitOut(msgspec.Struct):
    installment_id: uuid.UUID
    contract_id: uuid.UUID
    contract_no: str
    customer_id: uuid.UUID
    sequence: int
    due_on: date
    amount_fen: int
    status: str
    last_attempt: AttemptOut | None
    next_attempt_at: datetime | None


class ReminderOut(msgspec.Struct):
    id: uuid.UUID
    installment_id: uuid.UUID
    contract_id: uuid.UUID
    due_on: date
    status: str
    send_at: datetime | None
    sent_at: datetime | None
    outcomes: dict[str, str]


class ClockOut(msgspec.Struct):
    now: datetime
    local_now: datetime
    offset_seconds: int
    test_mode: bool
    time_zone: str
    next_debit_at: datetime | None


class AdvanceBody(msgspec.Struct, forbid_unknown_fields=True):
    step: str  # day | next_debit | month


class ReasonBody(msgspec.Struct, forbid_unknown_fields=True):
    reason: str


class MoveBody(msgspec.Struct, forbid_unknown_fields=True):
    new_due_on: date
    reason: str


class RetryScheduleBody(msgspec.Struct, forbid_unknown_fields=True):
    retry_offsets_hours: list[int]
    reason: str = ""


class RetryScheduleOut(msgspec.Struct):
    retry_offsets_hours: list[int]


class PointsOut(msgspec.Struct):
    customer_id: uuid.UUID
    points: int
