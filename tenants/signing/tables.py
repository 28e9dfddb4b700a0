"""The signing flow's tables (tenant tables, RLS in a raw migration).

``signing_otp``
    One-time login codes: only a keyed hash of the code is kept, with its expiry, attempt count and
    the time it was used (single use).
``signing_session``
    A customer's login (not a staff principal): the sha256 of the secret token the cookie or the
    ``X-Signing-Session`` header carries, the phone's blind index, an expiry.
``signing``
    One customer signing one plan for one pet: the server-side state machine (completed steps with
    their times), the answers (PII sealed), the provider references and the outcome.
``risk_decision``
    Every risk decision with its inputs and reasons; a manual review adds the reviewer's verdict.
"""

from __future__ import annotations

from piccolo.columns import JSONB, BigInt, Boolean, Integer, Text, Timestamptz, Varchar
from piccolo.columns.column_types import UUID
from piccolo.columns.defaults.uuid import UUID4
from piccolo.table import Table


class SigningOtp(Table):
    id = UUID(primary_key=True, default=UUID4())
    tenant_id = UUID(default=None, null=False, index=True)
    phone_index = Varchar(length=64)
    code_hash = Varchar(length=64)
    expires_at = Timestamptz()
    attempts = Integer(default=0)
    used_at = Timestamptz(null=True, default=None)
    ip = Varchar(length=64, default="")
    created_at = Timestamptz()


class SigningSession(Table):
    id = UUID(primary_key=True, default=UUID4())
    tenant_id = UUID(default=None, null=False, index=True)
    phone_index = Varchar(length=64)
    phone_sealed = Text()
    token_hash = Varchar(length=64, unique=True)
    expires_at = Timestamptz()
    revoked_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()


class Signing(Table):
    id = UUID(primary_key=True, default=UUID4())
    tenant_id = UUID(default=None, null=False, index=True)
    phone_index = Varchar(length=64)
    phone_sealed = Text()
    phone_masked = Varchar(length=32, default="")
    channel = Varchar(length=16, default="h5")  # h5 | mini_program
    plan_id = UUID(null=True, default=None)
    plan_version = Integer(null=True, default=None)
    debit_day = Integer(null=True, default=None)
    state = Varchar(length=24, default="in_progress")  # in_progress | manual_review | declined | completed
    steps = JSONB(default={})  # step -> ISO time it was completed
    answers = JSONB(default={})  # non-sensitive answers (pet, declarations, consents)
    name_sealed = Text(default="")
    name_masked = Varchar(length=64, default="")
    id_number_sealed = Text(default="")
    id_index = Varchar(length=64, default="")
    address_sealed = Text(default="")
    edits = Integer(default=0)
    form_seconds = Integer(null=True, default=None)
    shown = JSONB(default={})  # step -> ISO time the step was first shown
    refs = JSONB(default={})  # provider references (real name, face, e-sign, agreement, credit, charge)
    risk_outcome = Varchar(length=24, default="")
    conditions = JSONB(default=[])
    down_payment_fen = BigInt(default=0)
    down_payment_status = Varchar(length=24, default="")
    customer_id = UUID(null=True, default=None)
    pet_id = UUID(null=True, default=None)
    contract_id = UUID(null=True, default=None)
    decline_reason = Varchar(length=64, default="")
    started_by = Varchar(length=255, default="")
    created_at = Timestamptz()
    updated_at = Timestamptz()
    completed_at = Timestamptz(null=True, default=None)


class RiskDecision(Table):
    id = UUID(primary_key=True, default=UUID4())
    tenant_id = UUID(default=None, null=False, index=True)
    signing_id = UUID(default=None, null=False)
    outcome = Varchar(length=24)  # approve | conditional | decline | manual_review
    reasons = JSONB(default=[])
    inputs = JSONB(default={})
    conditions = JSONB(default=[])
    reviewed = Boolean(default=False)
    reviewer = Varchar(length=255, default="")
    review_outcome = Varchar(length=24, default="")
    review_reason = Text(default="")
    reviewed_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()
