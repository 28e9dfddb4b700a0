"""Request and response bodies of the providers API. Unknown fields are refused.

No response carries a secret: configs appear only as previews (secrets masked).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import msgspec


class ProviderChoiceBody(msgspec.Struct, forbid_unknown_fields=True):
    """``PUT /api/v1/store/providers/{category}``. A secret left out or blank keeps the saved one
    (same provider only)."""

    provider: str
    config: dict[str, Any] = msgspec.field(default_factory=dict)


class ConfigFieldOut(msgspec.Struct):
    name: str
    type: str
    required: bool
    secret: bool
    description: str
    default: Any = None


class AvailableProviderOut(msgspec.Struct):
    category: str
    name: str
    label: str
    description: str
    plugin: str
    fields: list[ConfigFieldOut]


class ConnectionCheckOut(msgspec.Struct):
    status: str
    code: str
    message: str
    checked_at: datetime | None


class StoreProviderOut(msgspec.Struct):
    category: str
    provider_name: str | None
    label: str
    is_default: bool
    configured: bool
    available: bool
    preview: dict[str, Any]
    secrets_set: list[str]
    updated_at: datetime | None
    updated_by: uuid.UUID | None
    last_check: ConnectionCheckOut | None
    sandbox_in_live_mode: bool


class OverviewCellOut(msgspec.Struct):
    provider_name: str | None
    is_default: bool
    check_status: str | None
    checked_at: datetime | None


class StoreOverviewOut(msgspec.Struct):
    tenant_id: uuid.UUID
    tenant_name: str
    test_mode: bool
    providers: dict[str, OverviewCellOut]


class OverviewPageOut(msgspec.Struct):
    stores: list[StoreOverviewOut]
    total: int
