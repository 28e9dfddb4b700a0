"""Request and response bodies of the dunning API."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import msgspec


class TaskOut(msgspec.Struct):
    id: uuid.UUID
    kind: str
    installment_id: uuid.UUID | None
    contract_id: uuid.UUID | None
    case_id: uuid.UUID | None
    assignee_id: uuid.UUID | None
    assignee_role: str
    due_at: datetime
    promised_on: date | None
    status: str
    note: str
    created_at: datetime
    done_at: datetime | None
    done_by: str


class CaseOut(msgspec.Struct):
    id: uuid.UUID
    installment_id: uuid.UUID
    contract_id: uuid.UUID
    status: str
    opened_at: datetime
    last_error_code: str
    failures: int
    extension_until: datetime | None
    paused_until: datetime | None
    next_run_at: datetime | None
    closed_at: datetime | None
    close_reason: str
    steps_done: list[int]


class ContactOut(msgspec.Struct):
    id: uuid.UUID
    installment_id: uuid.UUID | None
    contract_id: uuid.UUID | None
    channel: str
    template_code: str
    body: str
    outcome: str
    detail: str
    actor: str
    created_at: datetime


class ActionOut(msgspec.Struct):
    id: uuid.UUID
    kind: str
    installment_id: uuid.UUID | None
    contract_id: uuid.UUID | None
    actor: str
    detail: dict[str, Any]
    created_at: datetime


class InstallmentLogOut(msgspec.Struct):
    case: CaseOut | None
    contacts: list[ContactOut]
    actions: list[ActionOut]
    tasks: list[TaskOut]


class CallBody(msgspec.Struct):
    note: str = ""
    outcome: str = ""
    promised_on: date | None = None


class ExtensionBody(msgspec.Struct):
    days: int = 7
    reason: str = ""


class SettlePenaltyBody(msgspec.Struct):
    """A declined, owed penalty settled by hand: ``paid_to_store`` (``note``: how) or ``waived`` (``note``: why)."""

    outcome: str
    note: str


class PenaltyOut(msgspec.Struct):
    """An early termination's penalty charge (``status``: due | submitted | unknown | succeeded | failed = owed |
    paid_to_store | waived)."""

    id: uuid.UUID
    ending_id: uuid.UUID
    contract_id: uuid.UUID
    contract_no: str
    attempt_id: str
    amount_fen: int
    fee_fen: int
    status: str
    error_code: str
    provider_reference: str
    tries: int
    task_id: uuid.UUID | None
    mandate: str
    charge_at: datetime | None
    submitted_at: datetime | None
    resolved_at: datetime | None
    created_at: datetime
