"""Request and response bodies of the after-sales API (staff: ``/api/v1/aftersales``; the customer's
portal API: ``/sign/{store_slug}/my/api``)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import msgspec


class TicketOut(msgspec.Struct):
    id: uuid.UUID
    ticket_no: str
    kind: str
    state: str
    contract_id: uuid.UUID
    customer_id: uuid.UUID
    shipment_id: uuid.UUID | None
    title: str
    description: str
    opened_by_kind: str
    assignee_id: uuid.UUID | None
    sla_goal: str
    sla_deadline: datetime
    sla_met_at: datetime | None
    sla_outcome: str
    escalated_at: datetime | None
    resolution: str
    resolved_at: datetime | None
    closed_at: datetime | None
    reship_shipment_id: uuid.UUID | None
    reship_postage_fen: int
    pause_proposal: dict[str, Any]
    created_at: datetime


class CustomerTicketOut(msgspec.Struct):
    """What the customer sees of their ticket (no staff ids)."""

    id: uuid.UUID
    ticket_no: str
    kind: str
    state: str
    contract_id: uuid.UUID
    shipment_id: uuid.UUID | None
    title: str
    description: str
    sla_deadline: datetime
    resolution: str
    created_at: datetime


class EventOut(msgspec.Struct):
    id: uuid.UUID
    kind: str
    from_state: str
    to_state: str
    actor_kind: str
    actor: str
    note: str
    detail: dict[str, Any]
    created_at: datetime


class TicketDetailOut(msgspec.Struct):
    ticket: TicketOut
    events: list[EventOut]
    photo_urls: list[str]


class OpenTicketBody(msgspec.Struct, forbid_unknown_fields=True):
    kind: str
    contract_id: uuid.UUID
    description: str
    shipment_id: uuid.UUID | None = None
    title: str = ""


class ActionBody(msgspec.Struct, forbid_unknown_fields=True):
    action: str
    note: str = ""


class ReshipLine(msgspec.Struct, forbid_unknown_fields=True):
    sku: str
    quantity: int


class ReshipBody(msgspec.Struct, forbid_unknown_fields=True):
    postage_fen: int = 0
    lines: list[ReshipLine] | None = None  # default: the whole box again


class CouponBody(msgspec.Struct, forbid_unknown_fields=True):
    clinic: str
    discount_kind: str
    discount_value: int
    code: str
    expires_on: date


class PauseProposalBody(msgspec.Struct, forbid_unknown_fields=True):
    periods: int
    reason: str
