"""Request and response bodies of the identity API. Unknown fields are refused."""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec


class LoginBody(msgspec.Struct, forbid_unknown_fields=True):
    email: str
    password: str


class NewStaffBody(msgspec.Struct, forbid_unknown_fields=True):
    email: str
    display_name: str
    password: str
    roles: list[str]


class StaffPatchBody(msgspec.Struct, forbid_unknown_fields=True):
    roles: list[str] | None = None
    is_active: bool | None = None
    display_name: str | None = None


class NewOperatorBody(msgspec.Struct, forbid_unknown_fields=True):
    email: str
    display_name: str
    password: str
    roles: list[str]


class NewApiKeyBody(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    role: str


class AccountOut(msgspec.Struct):
    id: uuid.UUID
    tenant_id: uuid.UUID | None
    kind: str
    email: str
    display_name: str
    roles: list[str]
    is_active: bool
    locale: str
    locked_until: datetime | None
    last_login_at: datetime | None
    created_at: datetime


class MeOut(msgspec.Struct):
    kind: str
    account_id: uuid.UUID | None
    tenant_id: uuid.UUID | None
    roles: list[str]
    label: str
    csrf_token: str | None


class ApiKeyOut(msgspec.Struct):
    id: uuid.UUID
    name: str
    prefix: str
    role: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class NewApiKeyOut(msgspec.Struct):
    key: str
    api_key: ApiKeyOut
