"""Request and response bodies of ``/api/v1/customers`` (personal data only ever masked on the way out)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import msgspec


class CustomerBody(msgspec.Struct):
    name: str
    phone: str
    id_number: str
    region: str = ""
    address: str = ""
    tags: list[str] | None = None
    wechat_openid: str | None = None


class CustomerOut(msgspec.Struct):
    id: uuid.UUID
    name_masked: str
    phone_masked: str
    id_number_masked: str
    region: str
    tags: list[str]
    has_openid: bool
    created_at: datetime
    updated_at: datetime


class PetBody(msgspec.Struct):
    name: str
    species: str
    birthday: date
    breed: str = ""
    adoption_date: date | None = None
    health_notes: str = ""


class PetOut(msgspec.Struct):
    id: uuid.UUID
    customer_id: uuid.UUID
    name: str
    species: str
    breed: str
    birthday: date
    adoption_date: date | None
    health_notes: str
    created_at: datetime


class MessageOut(msgspec.Struct):
    id: uuid.UUID
    customer_id: uuid.UUID
    contract_id: uuid.UUID | None
    channel: str
    template: str
    body: str
    status: str
    provider_reference: str
    error_code: str
    created_at: datetime


class TagsBody(msgspec.Struct):
    tags: list[str]
