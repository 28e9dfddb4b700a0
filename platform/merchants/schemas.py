"""Request and response bodies of the merchants API."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import msgspec


class TermsFields(msgspec.Struct, kw_only=True):
    fee_rate_bp: int = 300
    settlement_days: int = 7
    advances_allowed: bool = False
    advance_ratio_bp: int = 0
    advance_fee_bp: int = 0
    financing_provider: str = "sandbox"
    guarantee_policy: str = "store_bears"
    deposit_ratio_bp: int = 3000
    min_credit_score: int = 550
    down_payment_fen: int = 9900
    cooling_off_days_min: int = 7
    cooling_off_days_max: int = 14
    plan_amount_warn_min_fen: int = 29800
    plan_amount_warn_max_fen: int = 59800


class TermsBody(TermsFields, kw_only=True):
    reason: str


class TermsOut(TermsFields, kw_only=True):
    version: int
    effective_at: datetime
    set_by: str = ""
    reason: str = ""


class ProfileOut(msgspec.Struct):
    tenant_id: uuid.UUID
    legal_name: str
    uscc: str
    legal_rep_name: str
    legal_rep_id_masked: str
    contact_name: str
    contact_phone: str
    contact_email: str
    region: str
    address: str
    opened_on: date
    certificate_number: str
    certificate_expires_on: date
    licence_expires_on: date | None
    quality: bool
    application_id: uuid.UUID | None
    sub_merchant_status: str
    sub_merchant_ref: str
    sub_merchant_detail: str
    agreement_status: str
    agreement_signed_at: datetime | None
    go_live_status: str
    go_live_requested_at: datetime | None
    went_live_at: datetime | None
    status_reason: str


class StoreSummaryOut(msgspec.Struct):
    id: uuid.UUID
    slug: str
    name: str
    status: str
    test_mode: bool
    time_zone: str
    created_at: datetime
    settlement_days: int
    fee_rate_bp: int
    terms_version: int
    licence_expires_on: date | None
    certificate_expires_on: date | None
    go_live_status: str
    expiring_soon: bool
    expired: bool


class MerchantOut(msgspec.Struct):
    tenant_id: uuid.UUID
    name: str
    slug: str
    status: str
    test_mode: bool
    profile: ProfileOut | None
    terms: TermsOut
    go_live_blockers: list[str]
    new_signings_allowed: bool | None = None
    signings_blocked_reason: str | None = None


class ReasonBody(msgspec.Struct):
    reason: str


class NoteBody(msgspec.Struct):
    note: str = ""


class ExpiryBody(msgspec.Struct):
    certificate_expires_on: date
    reason: str
    licence_expires_on: date | None = None
    certificate_number: str | None = None


class SignUrlOut(msgspec.Struct):
    url: str | None
    agreement_status: str
