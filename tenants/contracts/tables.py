"""Contracts, their installment schedule and signing evidence. Tenant tables.

A contract pins everything it was signed with (plan version, merchant terms version, amounts,
penalty rate, cooling-off days, the contents snapshot): a later plan or terms change never alters it.
At most one contract per pet is pending signature or active (a partial unique index). Installments
are unique per ``(contract, sequence)``, so a contract never has two schedules. The evidence row is
append-only (one per contract).
"""

from __future__ import annotations

from piccolo.columns import JSONB, BigInt, Date, Integer, Text, Timestamptz, Varchar
from piccolo.columns.column_types import UUID
from piccolo.columns.defaults.uuid import UUID4
from piccolo.constraints import Unique
from piccolo.table import Table


class Contract(Table):
    id = UUID(primary_key=True, default=UUID4())
    tenant_id = UUID(default=None, null=False, index=True)
    contract_no = Varchar(length=32)
    customer_id = UUID(default=None, null=False)
    pet_id = UUID(default=None, null=False)
    plan_id = UUID(default=None, null=False)
    plan_version = Integer()
    plan_name = Varchar(length=200, default="")
    terms_version = Integer()
    debit_day = Integer()
    periods = Integer()
    monthly_amount_fen = BigInt()
    total_fen = BigInt()
    penalty_rate_bp = Integer()
    cooling_off_days = Integer()
    contents = JSONB(default={})
    gift_text = Varchar(length=200, default="")
    state = Varchar(length=24)  # draft | pending_signature | active | completed | terminated | cancelled
    channel = Varchar(length=16)  # store | h5 | mini_program | admin
    started_by = Varchar(length=255, default="")
    documents = JSONB(default=[])  # [{"kind": ..., "sha256": ...}] presented for signature
    pdf_key = Varchar(length=255, default="")  # platform.storage key of the PDF presented for signature
    signed_at = Timestamptz(null=True, default=None)
    start_date = Date(null=True, default=None)
    first_due_on = Date(null=True, default=None)
    end_on = Date(null=True, default=None)
    ended_at = Timestamptz(null=True, default=None)
    end_reason = Text(default="")
    created_at = Timestamptz()
    updated_at = Timestamptz()

    contract_uq_tenant_no = Unique([tenant_id, contract_no])
    contract_uq_tenant_id = Unique([tenant_id, id])


class Installment(Table):
    id = UUID(primary_key=True, default=UUID4())
    tenant_id = UUID(default=None, null=False, index=True)
    contract_id = UUID(default=None, null=False)
    sequence = Integer()
    due_on = Date()
    amount_fen = BigInt()
    status = Varchar(length=16)  # due | paid | failed | paused | waived | cancelled
    paid_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()
    updated_at = Timestamptz()

    installment_uq_contract_sequence = Unique([tenant_id, contract_id, sequence])


class ContractEvidence(Table):
    id = UUID(primary_key=True, default=UUID4())
    tenant_id = UUID(default=None, null=False, index=True)
    contract_id = UUID(default=None, null=False)
    documents = JSONB(default=[])  # [{"kind": "adoption_agreement"|"debit_authorisation"|"contract_pdf", "sha256"}]
    pdf_sha256 = Varchar(length=64)
    signed_at = Timestamptz()
    ip = Varchar(length=64, default="")
    user_agent = Text(default="")
    device = Varchar(length=255, default="")
    identity_reference = Varchar(length=255, default="")
    esign_reference = Varchar(length=255, default="")
    face_check_reference = Varchar(length=255, default="")
    payment_agreement_reference = Varchar(length=255, default="")
    consents = JSONB(default={})
    retention_until = Date()
    created_at = Timestamptz()

    contract_evidence_uq_contract = Unique([tenant_id, contract_id])
