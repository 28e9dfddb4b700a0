"""Billing tables (tenant tables): debit attempts, pre-debit reminders, points, the store's retry schedule.

A ``debit_attempt`` row is both the record of one charge and the due work that makes it: while
``next_attempt_at`` is set, the scheduler claims it (``lease_until``) and the ``run_debit_attempt``
actor charges, queries or reschedules it. Its ``id`` is the idempotency key sent to the provider as
``attempt_id``; attempt ``n + 1`` of an installment exists only once attempt ``n`` is known FAILED.
"""

from __future__ import annotations

from piccolo.columns import JSONB, BigInt, Date, Integer, Timestamptz, Varchar
from piccolo.columns.column_types import UUID
from piccolo.columns.defaults.uuid import UUID4
from piccolo.constraints import Unique
from piccolo.table import Table


class DebitAttempt(Table):
    id = Varchar(length=64, primary_key=True)  # "dbt-<installment hex>-<n>", the provider's idempotency key
    tenant_id = UUID(default=None, null=False, index=True)
    installment_id = UUID(default=None, null=False)
    contract_id = UUID(default=None, null=False)
    attempt_no = Integer()
    amount_fen = BigInt()
    fee_fen = BigInt(default=0)  # the platform fee split off by the provider (pinned terms)
    provider_name = Varchar(length=64, default="")
    status = Varchar(length=16)  # planned | submitted | succeeded | failed | unknown | cancelled
    trigger = Varchar(length=16, default="schedule")  # schedule | retry | staff
    error_code = Varchar(length=64, default="")
    provider_reference = Varchar(length=255, default="")
    next_attempt_at = Timestamptz(null=True, default=None)  # due column: NULL = nothing to do
    lease_until = Timestamptz(null=True, default=None)
    created_at = Timestamptz()
    submitted_at = Timestamptz(null=True, default=None)
    resolved_at = Timestamptz(null=True, default=None)
    updated_at = Timestamptz()
    # The receipt's outbox: set when the debit succeeds, cleared once the receipt went out (due work).
    receipt_due_at = Timestamptz(null=True, default=None)
    receipt_lease_until = Timestamptz(null=True, default=None)

    debit_attempt_uq_installment_no = Unique([tenant_id, installment_id, attempt_no])


class DebitReminder(Table):
    id = UUID(primary_key=True, default=UUID4())
    tenant_id = UUID(default=None, null=False, index=True)
    installment_id = UUID(default=None, null=False)
    contract_id = UUID(default=None, null=False)
    due_on = Date()
    status = Varchar(length=16)  # planned | sent | undelivered | skipped
    send_at = Timestamptz(null=True, default=None)  # due column
    lease_until = Timestamptz(null=True, default=None)
    outcomes = JSONB(default={})  # {"sms": "succeeded", "mini_program": "failed:NOT_SUBSCRIBED", "notice": ...}
    sent_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()
    updated_at = Timestamptz()

    debit_reminder_uq_installment_due = Unique([tenant_id, installment_id, due_on])


class PointsEntry(Table):
    """Append-only points ledger per customer (1 point per CNY paid)."""

    id = UUID(primary_key=True, default=UUID4())
    tenant_id = UUID(default=None, null=False, index=True)
    customer_id = UUID(default=None, null=False)
    contract_id = UUID(default=None, null=True)
    source = Varchar(length=80)  # "debit:<attempt id>"
    points = Integer()
    reason = Varchar(length=200, default="")
    created_at = Timestamptz()

    points_entry_uq_source = Unique([tenant_id, source])


class BillingSettings(Table):
    """A store's automatic retry schedule: hours after a failed attempt, one per retry."""

    id = UUID(primary_key=True, default=UUID4())
    tenant_id = UUID(default=None, null=False, index=True)
    retry_offsets_hours = JSONB(default=[24, 72])
    updated_at = Timestamptz()

    billing_settings_uq_tenant = Unique([tenant_id])
