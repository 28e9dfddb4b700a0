"""Bodies of the advances API."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import msgspec


class AdvanceOut(msgspec.Struct):
    id: uuid.UUID
    tenant_id: uuid.UUID
    advance_id: str
    contract_ref: str
    contract_total_fen: int
    terms_version: int
    ratio_bp: int
    guarantee_policy: str
    provider_name: str
    principal_fen: int
    fee_fen: int
    repaid_fen: int
    defaulted_fen: int
    outstanding_fen: int
    defaulted_by: str
    state: str
    provider_reference: str
    error_code: str
    reason: str
    requested_at: datetime
    funded_at: datetime | None
    closed_at: datetime | None
    tenant_name: str = ""


class AdvanceTotalsOut(msgspec.Struct):
    tenant_id: uuid.UUID
    tenant_name: str
    count: int
    funded_count: int
    principal_fen: int
    fee_fen: int
    repaid_fen: int
    outstanding_fen: int
    defaulted_fen: int


class RequestAdvanceBody(msgspec.Struct):
    contract_ref: str
    total_fen: int
    terms_version: int
    periods: int
    first_due_on: date


class DefaultBody(msgspec.Struct):
    reason: str
