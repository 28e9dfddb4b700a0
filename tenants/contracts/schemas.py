"""Request and response bodies of ``/api/v1/contracts``."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import msgspec


class ContractOut(msgspec.Struct):
    id: uuid.UUID
    contract_no: str
    customer_id: uuid.UUID
    pet_id: uuid.UUID
    plan_id: uuid.UUID
    plan_version: int
    plan_name: str
    terms_version: int
    debit_day: int
    periods: int
    monthly_amount_fen: int
    total_fen: int
    penalty_rate_bp: int
    cooling_off_days: int
    contents: dict[str, Any]
    gift_text: str
    state: str
    channel: str
    started_by: str
    signed_at: datetime | None
    start_date: date | None
    first_due_on: date | None
    end_on: date | None
    ended_at: datetime | None
    end_reason: str
    created_at: datetime


class InstallmentOut(msgspec.Struct):
    id: uuid.UUID
    sequence: int
    due_on: date
    amount_fen: int
    status: str
    paid_at: datetime | None


class EvidenceOut(msgspec.Struct):
    documents: list[dict[str, str]]
    pdf_sha256: str
    signed_at: datetime
    ip: str
    user_agent: str
    device: str
    identity_reference: str
    esign_reference: str
    face_check_reference: str
    payment_agreement_reference: str
    consents: dict[str, bool]
    retention_until: date


class DraftBody(msgspec.Struct):
    customer_id: uuid.UUID
    pet_id: uuid.UUID
    plan_id: uuid.UUID
    plan_version: int
    debit_day: int


class ReasonBody(msgspec.Struct):
    reason: str
