"""Reconciliation's tables: one run per (store, local day) comparing the payment provider's
statement with pawpay's records, and the differences found (resolved by an operator). Tenant tables."""

from __future__ import annotations

from piccolo.columns import BigInt, Date, Integer, Text, Timestamptz, Varchar
from piccolo.columns.column_types import UUID
from piccolo.columns.defaults.uuid import UUID4
from piccolo.constraints import Unique
from piccolo.table import Table


class ReconRun(Table):
    """A store's reconciliation of one local day (re-running it updates the same row)."""

    id = UUID(primary_key=True, default=UUID4())
    tenant_id = UUID(default=None, null=False, index=True)
    business_day = Date()
    status = Varchar(length=16)  # clean | differences | failed
    provider_name = Varchar(length=64, default="")
    statement_lines = Integer(default=0)
    ledger_records = Integer(default=0)
    matched = Integer(default=0)
    differences = Integer(default=0)
    open_differences = Integer(default=0)
    statement_sha256 = Varchar(length=64, default="")
    error = Text(default="")
    runs = Integer(default=0)
    ran_at = Timestamptz()
    ran_by = Varchar(length=255, default="")

    recon_run_uq_tenant_day = Unique([tenant_id, business_day])


class ReconDifference(Table):
    """One difference between the provider's statement and pawpay's records."""

    id = UUID(primary_key=True, default=UUID4())
    tenant_id = UUID(default=None, null=False, index=True)
    run_id = UUID(default=None, null=False, index=True)
    business_day = Date()
    kind = Varchar(length=24)  # missing_in_ledger | extra_in_ledger | amount_mismatch
    record_type = Varchar(length=16)  # charge | refund | release | split
    reference = Varchar(length=128)
    attempt_id = Varchar(length=128, default="")
    provider_fen = BigInt(null=True, default=None)
    ledger_fen = BigInt(null=True, default=None)
    status = Varchar(length=16)  # open | resolved
    resolution = Text(default="")
    resolved_by = Varchar(length=255, default="")
    resolved_at = Timestamptz(null=True, default=None)
    found_at = Timestamptz()

    recon_difference_uq_tenant_day_ref = Unique([tenant_id, business_day, record_type, reference, kind])
