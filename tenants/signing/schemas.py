"""Request and response bodies of ``/api/v1/sign/{store_slug}`` (the mini-program's signing API)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import msgspec


class CodeBody(msgspec.Struct):
    phone: str


class CodeOut(msgspec.Struct):
    phone_masked: str
    expires_at: datetime


class SessionBody(msgspec.Struct):
    phone: str
    code: str


class SessionOut(msgspec.Struct):
    token: str
    expires_at: datetime


class StartBody(msgspec.Struct):
    plan_id: uuid.UUID | None = None


class SigningOut(msgspec.Struct):
    id: uuid.UUID
    state: str
    steps: dict[str, str]
    next_step: str | None
    step_number: int
    total_steps: int
    plan_id: uuid.UUID | None
    plan_version: int | None
    debit_day: int | None
    answers: dict[str, Any]
    risk_outcome: str
    conditions: list[str]
    down_payment_fen: int
    down_payment_status: str
    contract_id: uuid.UUID | None
    decline_reason: str
    action_urls: dict[str, str]
    created_at: datetime
    updated_at: datetime


class PlanBody(msgspec.Struct):
    plan_id: uuid.UUID
    debit_day: int


class PetBody(msgspec.Struct):
    name: str
    species: str
    birthday: date
    breed: str = ""
    adoption_date: date | None = None


class DetailsBody(msgspec.Struct):
    name: str
    id_number: str
    address: str
    occupation: str
    income: str
    residence: str


class IdentityBody(msgspec.Struct):
    face_consent: bool
    return_url: str = ""


class EsignBody(msgspec.Struct):
    agree_terms: bool
    return_url: str = ""


class DebitBody(msgspec.Struct):
    agree_debit: bool
    return_url: str = ""


class DocumentPartOut(msgspec.Struct):
    text: str
    bold: bool


class DocumentOut(msgspec.Struct):
    kind: str
    title: str
    sha256: str
    paragraphs: list[list[DocumentPartOut]]


class ContractPreviewOut(msgspec.Struct):
    contract_id: uuid.UUID
    contract_no: str
    store_name: str
    plan_name: str
    periods: int
    monthly_amount_fen: int
    total_fen: int
    debit_day: int
    penalty_rate_bp: int
    cooling_off_days: int
    down_payment_fen: int
    documents: list[DocumentOut]


class ConfirmationOut(msgspec.Struct):
    contract_id: uuid.UUID
    contract_no: str
    state: str
    total_fen: int
    periods: int
    monthly_amount_fen: int
    first_due_on: date | None
    signed_at: datetime | None
