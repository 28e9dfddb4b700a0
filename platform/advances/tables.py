"""Advances' table: one advance (垫资) per contract, requested from the store's financing partner
and repaid by splitting the contract's later collections. Tenant table."""

from __future__ import annotations

from piccolo.columns import BigInt, Date, Integer, Text, Timestamptz, Varchar
from piccolo.columns.column_types import UUID
from piccolo.columns.defaults.uuid import UUID4
from piccolo.constraints import Unique
from piccolo.table import Table


class Advance(Table):
    """An advance against one contract: requested -> funded -> repaying -> repaid (or declined, defaulted)."""

    id = UUID(primary_key=True, default=UUID4())
    tenant_id = UUID(default=None, null=False, index=True)
    advance_id = Varchar(length=128)  # the partner's idempotency key: "adv-<contract_ref>"
    contract_ref = Varchar(length=128)
    contract_total_fen = BigInt()
    terms_version = Integer()
    ratio_bp = Integer()
    guarantee_policy = Varchar(length=32)
    provider_name = Varchar(length=64, default="")
    principal_fen = BigInt()
    fee_fen = BigInt(default=0)
    repaid_fen = BigInt(default=0)
    defaulted_fen = BigInt(default=0)
    defaulted_by = Varchar(length=32, default="")  # who bears the default: the guarantee policy
    # requested | funded | repaying | repaid | declined | defaulted
    state = Varchar(length=16)
    provider_reference = Varchar(length=255, default="")
    error_code = Varchar(length=64, default="")
    reason = Text(default="")
    installments_left = Integer(default=0)
    last_installment_on = Date(null=True, default=None)
    requested_at = Timestamptz()
    funded_at = Timestamptz(null=True, default=None)
    closed_at = Timestamptz(null=True, default=None)
    updated_at = Timestamptz()

    advance_uq_tenant_contract = Unique([tenant_id, contract_ref])
    advance_uq_tenant_advance = Unique([tenant_id, advance_id])
