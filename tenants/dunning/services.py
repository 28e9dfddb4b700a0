"""Dunning: the store's humane ladder after a failed debit, staff tasks, work queues, pauses and endings.

Public API (issue 7, interface with billing — see the collections interface note):

- :func:`debit_failed` / :func:`debit_recovered` — called by billing inside its transaction.
- :func:`create_task` — staff tasks (``remind_by_phone``, ``follow_up``, ``promise_to_pay``, ...).
- :func:`is_quiet_time` — 22:00-08:00 store time: nobody is contacted then.
- :func:`installment_paused` — billing never debits a paused installment.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from pawpay.platform.tenancy.context import TenantContext


@dataclass(frozen=True, slots=True)
class TaskView:
    id: uuid.UUID
    kind: str
    installment_id: uuid.UUID | None
    contract_id: uuid.UUID | None
    case_id: uuid.UUID | None
    assignee_id: uuid.UUID | None
    due_at: datetime
    status: str
    note: str
    created_at: datetime
    done_at: datetime | None


async def debit_failed(
    ctx: TenantContext,
    *,
    installment_id: uuid.UUID,
    contract_id: uuid.UUID,
    attempt_id: str,
    error_code: str,
    failed_at: datetime,
) -> None:
    """Open (or advance) the installment's dunning case after a FAILED debit attempt.

    Called by billing in its own transaction. Idempotent per ``attempt_id``. The day-0 step
    (notify customer and store) is due at once and is sent after commit (deferred to 08:00 store
    time in quiet hours).
    """
    raise NotImplementedError


async def debit_recovered(ctx: TenantContext, *, installment_id: uuid.UUID) -> None:
    """Close the installment's open dunning case (a later attempt succeeded): no further steps."""
    raise NotImplementedError


async def create_task(
    ctx: TenantContext,
    *,
    kind: str,
    installment_id: uuid.UUID | None,
    contract_id: uuid.UUID | None,
    due_at: datetime,
    note: str = "",
    assignee_id: uuid.UUID | None = None,
) -> TaskView:
    """Create an open staff task shown in /admin/queues (kinds include ``remind_by_phone``)."""
    raise NotImplementedError


async def is_quiet_time(ctx: TenantContext, at: datetime) -> bool:
    """True when ``at`` falls in 22:00-08:00 in the store's time zone (no customer contact then)."""
    raise NotImplementedError


async def installment_paused(ctx: TenantContext, installment_id: uuid.UUID) -> bool:
    """True when the installment is paused (illness pause, dunning pause): billing must not debit it."""
    raise NotImplementedError
