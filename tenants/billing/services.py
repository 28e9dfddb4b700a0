"""Billing: pre-debit reminders, automatic debits through the store's payment provider, retries.

Skeleton (interface with dunning, see the collections interface): bodies land shortly.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from pawpay.platform.tenancy.context import TenantContext


@dataclass(frozen=True, slots=True)
class AttemptView:
    """One debit attempt. ``id`` is the idempotency key sent to the provider as ``attempt_id``."""

    id: str
    installment_id: uuid.UUID
    contract_id: uuid.UUID
    attempt_no: int
    amount_fen: int
    provider: str
    status: str  # planned | submitted | succeeded | failed | unknown
    error_code: str
    trigger: str  # schedule | retry | staff
    created_at: datetime
    submitted_at: datetime | None
    resolved_at: datetime | None
    next_attempt_at: datetime | None


@dataclass(frozen=True, slots=True)
class DueDebitView:
    """An installment in a work queue (due today / failed), with its last attempt if any."""

    installment_id: uuid.UUID
    contract_id: uuid.UUID
    contract_no: str
    customer_id: uuid.UUID
    sequence: int
    due_on: date
    amount_fen: int
    status: str
    last_attempt: AttemptView | None
    next_attempt_at: datetime | None


async def retry_now(ctx: TenantContext, installment_id: uuid.UUID, *, reason: str) -> AttemptView:
    """A staff one-click retry: charges the installment now with a new attempt id.

    Raises:
        ValidationFailed: no reason.
        Conflict: outside the rail's allowed hours (``DEBIT_OUTSIDE_HOURS``), an attempt is in flight or
            its outcome is unknown (``DEBIT_IN_FLIGHT``), the installment is paid / not open
            (``INSTALLMENT_NOT_OPEN``), the rail's successes per cycle are used up.
        NotFound: no such installment in this store.
    """
    raise NotImplementedError


async def send_reminder_now(ctx: TenantContext, installment_id: uuid.UUID, *, reason: str) -> None:
    """Send the pre-debit reminder (SMS + mini-program) now, refused in quiet hours. Not delivered →
    a ``remind_by_phone`` task in dunning."""
    raise NotImplementedError


async def move_debit_date(ctx: TenantContext, installment_id: uuid.UUID, new_due_on: date, *, reason: str) -> None:
    """Move an open installment's debit date (not in the past, not past the next installment's due date,
    no attempt in flight). The reminder for the new date is sent again."""
    raise NotImplementedError


async def installment_debits(ctx: TenantContext, installment_id: uuid.UUID) -> list[AttemptView]:
    """The installment's attempts, oldest first (outcome, error code, times)."""
    raise NotImplementedError


async def debits_due_today(ctx: TenantContext) -> list[DueDebitView]:
    """Open installments due on the store's today (its clock), with their last attempt."""
    raise NotImplementedError


async def failed_debits(ctx: TenantContext) -> list[DueDebitView]:
    """Open installments whose last attempt failed, with the next automatic retry time."""
    raise NotImplementedError
