"""Request and response bodies of the fulfilment API."""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec


class ShipmentLineOut(msgspec.Struct):
    sku: str
    name: str
    quantity: int


class ShipmentOut(msgspec.Struct):
    id: uuid.UUID
    contract_id: uuid.UUID
    contract_no: str
    customer_id: uuid.UUID | None
    pet_id: uuid.UUID | None
    installment_id: uuid.UUID | None
    sequence: int | None
    kind: str
    ticket_id: uuid.UUID | None
    reship_of: uuid.UUID | None
    reason: str
    stage: str
    lines: list[ShipmentLineOut]
    status: str
    order_id: str
    carrier_code: str | None
    waybill_no: str | None
    ship_by: datetime
    shipped_at: datetime | None
    delivered_at: datetime | None
    late: bool
    attempts: int
    last_error_code: str
    last_error_message: str
    postage_fen: int
    created_at: datetime
    shipping_info_status: str


class ShipmentPage(msgspec.Struct):
    items: list[ShipmentOut]
    total: int


class TrackingOut(msgspec.Struct):
    at: datetime
    state: str
    description: str
    location: str


class RetryBody(msgspec.Struct):
    reason: str = ""


class ReshipLineBody(msgspec.Struct):
    sku: str
    quantity: int


class ReshipBody(msgspec.Struct):
    reason: str = ""
    ticket_id: uuid.UUID | None = None
    lines: list[ReshipLineBody] | None = None
    postage_fen: int = 0
