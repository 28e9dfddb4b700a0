"""Merchants' tables: versioned terms, the store's profile and the expiry reminders sent. Tenant tables.

A store reads its own rows; operators write them in platform scope. ``merchant_terms`` rows are
never edited: a change of terms is a new version, and contracts pin the version they were signed under.
"""

from __future__ import annotations

from piccolo.columns import Boolean, Date, Integer, Text, Timestamptz, Varchar
from piccolo.columns.column_types import UUID
from piccolo.columns.defaults.uuid import UUID4
from piccolo.constraints import Unique
from piccolo.table import Table


class MerchantTerms(Table):
    """One version of one store's commercial terms (fee, settlement cycle, advances, deposit, signing bounds)."""

    id = UUID(primary_key=True, default=UUID4())
    tenant_id = UUID(default=None, null=False, index=True)
    version = Integer()
    effective_at = Timestamptz()
    fee_rate_bp = Integer()
    settlement_days = Integer()
    advances_allowed = Boolean(default=False)
    advance_ratio_bp = Integer(default=0)
    advance_fee_bp = Integer(default=0)
    financing_provider = Varchar(length=64, default="sandbox")
    guarantee_policy = Varchar(length=32)
    deposit_ratio_bp = Integer()
    min_credit_score = Integer()
    down_payment_fen = Integer()
    cooling_off_days_min = Integer()
    cooling_off_days_max = Integer()
    plan_amount_warn_min_fen = Integer()
    plan_amount_warn_max_fen = Integer()
    set_by = Varchar(length=255, default="")
    reason = Text(default="")
    created_at = Timestamptz()

    merchant_terms_uq_tenant_version = Unique([tenant_id, version])


class MerchantProfile(Table):
    """The store as a merchant: legal identity, contact, certificates, agreement and onboarding status."""

    id = UUID(primary_key=True, default=UUID4())
    tenant_id = UUID(default=None, null=False, index=True)
    legal_name = Varchar(length=200)
    uscc = Varchar(length=18)
    legal_rep_name = Varchar(length=100)
    legal_rep_id_sealed = Text()  # pawpay.platform.crypto.seal
    legal_rep_id_masked = Varchar(length=32)
    contact_name = Varchar(length=100)
    contact_phone = Varchar(length=32)
    contact_email = Varchar(length=254, default="")
    region = Varchar(length=100, default="")
    address = Varchar(length=300, default="")
    opened_on = Date()
    certificate_number = Varchar(length=100)
    certificate_expires_on = Date()
    licence_expires_on = Date(null=True, default=None)
    quality = Boolean(default=False)
    application_id = UUID(null=True, default=None)
    sub_merchant_status = Varchar(length=16, default="not_started")  # not_started|pending|approved|rejected
    sub_merchant_ref = Varchar(length=128, default="")
    sub_merchant_detail = Varchar(length=500, default="")
    agreement_status = Varchar(length=16, default="unsigned")  # unsigned | pending | signed
    agreement_flow_ref = Varchar(length=128, default="")
    agreement_signed_at = Timestamptz(null=True, default=None)
    go_live_status = Varchar(length=16, default="none")  # none | requested | approved
    go_live_requested_at = Timestamptz(null=True, default=None)
    went_live_at = Timestamptz(null=True, default=None)
    status_reason = Varchar(length=500, default="")
    created_at = Timestamptz()
    updated_at = Timestamptz()

    merchant_profile_uq_tenant = Unique([tenant_id])


class MerchantReminder(Table):
    """An expiry reminder sent (or attempted) once: licence/certificate, expiry date, days before."""

    id = UUID(primary_key=True, default=UUID4())
    tenant_id = UUID(default=None, null=False, index=True)
    kind = Varchar(length=16)  # licence | certificate
    expires_on = Date()
    days_before = Integer()
    outcome = Varchar(length=16, default="")
    provider_reference = Varchar(length=128, default="")
    sent_at = Timestamptz()

    merchant_reminder_uq_tenant_kind_day = Unique([tenant_id, kind, expires_on, days_before])
