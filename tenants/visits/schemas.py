"""Request and response bodies of ``/api/v1/visits``."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import msgspec


class VisitOut(msgspec.Struct):
    id: uuid.UUID
    contract_id: uuid.UUID
    contract_no: str
    customer_id: uuid.UUID
    customer_name_masked: str
    customer_phone_masked: str
    pet_id: uuid.UUID
    pet_name: str
    day: int
    adopted_on: date
    due_on: date
    window: str  # overdue | today | upcoming (open visits; closed ones: "")
    assignee_id: uuid.UUID | None
    status: str
    unreachable_count: int
    last_unreachable_note: str
    settled: str
    feeding_questions: str
    satisfaction: int | None
    notes: str
    completed_at: datetime | None
    completed_by: str
    created_at: datetime


class VisitListOut(msgspec.Struct):
    items: list[VisitOut]
    total: int


class CompleteBody(msgspec.Struct):
    settled: str  # yes | somewhat | no
    satisfaction: int  # 1..5
    feeding_questions: str = ""
    notes: str = ""


class UnreachableBody(msgspec.Struct):
    reschedule_on: date
    note: str = ""


class AssignBody(msgspec.Struct):
    assignee_id: uuid.UUID
