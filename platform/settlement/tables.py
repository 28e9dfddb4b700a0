"""Settlement's tables: collected debits waiting for their T+N release, daily batches per store,
their release lines (the statement) and the daily schedule. Tenant tables."""

from __future__ import annotations

from piccolo.columns import BigInt, Date, Integer, Text, Timestamptz, Varchar
from piccolo.columns.column_types import UUID
from piccolo.columns.defaults.uuid import UUID4
from piccolo.constraints import Unique
from piccolo.table import Table


class SettlementItem(Table):
    """One collected (held) debit: released on its T+N business day, or kept as deposit."""

    id = UUID(primary_key=True, default=UUID4())
    tenant_id = UUID(default=None, null=False, index=True)
    attempt_id = Varchar(length=128)
    contract_ref = Varchar(length=128)
    provider_name = Varchar(length=64)
    amount_fen = BigInt()
    fee_fen = BigInt()
    refunded_fen = BigInt(default=0)
    collected_at = Timestamptz()
    collected_on = Date()  # store-local date of collected_at
    settlement_days = Integer()
    releasable_on = Date(null=True, default=None)
    # held | calendar_pending | releasing | released | deposit_held | deposit_released
    status = Varchar(length=24)
    batch_id = UUID(null=True, default=None)
    created_at = Timestamptz()
    updated_at = Timestamptz()

    settlement_item_uq_tenant_attempt = Unique([tenant_id, attempt_id])


class SettlementRefund(Table):
    """A refund of a collected debit, netted against the debit's release."""

    id = UUID(primary_key=True, default=UUID4())
    tenant_id = UUID(default=None, null=False, index=True)
    refund_id = Varchar(length=128)
    item_id = UUID(default=None, null=False)
    attempt_id = Varchar(length=128)
    amount_fen = BigInt()
    from_account = Varchar(length=64)
    refunded_at = Timestamptz()
    created_at = Timestamptz()

    settlement_refund_uq_tenant_refund = Unique([tenant_id, refund_id])


class SettlementBatch(Table):
    """A store's settlement run for one local business day; one per (store, day)."""

    id = UUID(primary_key=True, default=UUID4())
    tenant_id = UUID(default=None, null=False, index=True)
    business_day = Date()
    status = Varchar(length=16)  # running | completed | incomplete
    item_count = Integer(default=0)
    gross_fen = BigInt(default=0)
    fee_fen = BigInt(default=0)
    refund_fen = BigInt(default=0)
    deposit_fen = BigInt(default=0)
    release_fen = BigInt(default=0)
    failed_count = Integer(default=0)
    unknown_count = Integer(default=0)
    pending_calendar_count = Integer(default=0)
    started_at = Timestamptz()
    completed_at = Timestamptz(null=True, default=None)
    created_by = Varchar(length=255, default="")

    settlement_batch_uq_tenant_day = Unique([tenant_id, business_day])


class SettlementLine(Table):
    """One item in one batch: the statement line and the provider instruction's outcome."""

    id = UUID(primary_key=True, default=UUID4())
    tenant_id = UUID(default=None, null=False, index=True)
    batch_id = UUID(default=None, null=False, index=True)
    item_id = UUID(default=None, null=False, index=True)
    release_id = Varchar(length=128)
    attempt_id = Varchar(length=128)
    contract_ref = Varchar(length=128)
    collected_on = Date()
    releasable_on = Date()
    gross_fen = BigInt()
    fee_fen = BigInt()
    refund_fen = BigInt()
    deposit_fen = BigInt()
    release_fen = BigInt()
    # An advance's repayment split to the financing partner (release_fen is what is left after it).
    split_fen = BigInt(default=0)
    split_ref = Varchar(length=128, default="")  # the advance id
    status = Varchar(length=16)  # pending | unknown | succeeded | failed | withheld
    provider_reference = Varchar(length=255, default="")
    error_code = Varchar(length=64, default="")
    error_message = Text(default="")
    asks = Integer(default=0)
    updated_at = Timestamptz()

    settlement_line_uq_tenant_release = Unique([tenant_id, release_id])
    settlement_line_uq_tenant_batch_item = Unique([tenant_id, batch_id, item_id])


class SettlementSchedule(Table):
    """When a store's next daily batch is due (store-local morning, on the store's clock)."""

    id = UUID(primary_key=True, default=UUID4())
    tenant_id = UUID(default=None, null=False, index=True)
    next_run_at = Timestamptz(null=True, default=None)
    lease_until = Timestamptz(null=True, default=None)
    last_run_at = Timestamptz(null=True, default=None)
    last_error = Text(default="")

    settlement_schedule_uq_tenant = Unique([tenant_id])
