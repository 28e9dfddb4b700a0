"""Request and response bodies of the onboarding API. Unknown fields are refused.

No response carries the legal representative's ID number: only its mask.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import msgspec


class ApplicationBody(msgspec.Struct, forbid_unknown_fields=True):
    """The application's fields (``POST /api/v1/apply``, ``PUT /api/v1/apply/{token}``). Any may be
    left out in a draft; ``legal_rep_id_number`` left out or blank keeps the number on file."""

    store_name: str = ""
    legal_name: str = ""
    uscc: str = ""
    legal_rep_name: str = ""
    legal_rep_id_number: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    contact_email: str = ""
    region: str = ""
    address: str = ""
    opened_on: date | None = None
    certificate_number: str = ""
    certificate_expires_on: date | None = None


class OpsApplicationBody(ApplicationBody, forbid_unknown_fields=True):
    quality: bool = False


class DocumentOut(msgspec.Struct):
    id: uuid.UUID
    kind: str
    label: str
    content_type: str
    size: int
    original_name: str
    created_at: datetime


class ApplicationOut(msgspec.Struct):
    id: uuid.UUID
    state: str
    store_name: str
    legal_name: str
    uscc: str
    legal_rep_name: str
    legal_rep_id_masked: str
    contact_name: str
    contact_phone: str
    contact_email: str
    region: str
    address: str
    opened_on: date | None
    certificate_number: str
    certificate_expires_on: date | None
    quality: bool
    submitted_at: datetime | None
    due_on: date | None
    decided_at: datetime | None
    provisioned_tenant_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime
    documents: list[DocumentOut]


class OpsApplicationOut(ApplicationOut):
    created_by: uuid.UUID | None
    assigned_to: uuid.UUID | None
    assigned_label: str


class StartedOut(msgspec.Struct):
    application: ApplicationOut
    token: str
    resume_path: str


class OpsStartedOut(msgspec.Struct):
    application: OpsApplicationOut
    token: str
    resume_path: str


class CheckOut(msgspec.Struct):
    name: str
    status: str
    evidence: dict[str, Any]
    checked_at: datetime


class EventOut(msgspec.Struct):
    kind: str
    from_state: str
    to_state: str
    comment: str
    actor_id: uuid.UUID | None
    actor_label: str
    created_at: datetime


class ApplicationDetailOut(msgspec.Struct):
    application: OpsApplicationOut
    checks: list[CheckOut]
    events: list[EventOut]


class ApplicationPageOut(msgspec.Struct):
    applications: list[OpsApplicationOut]
    total: int


class ReasonBody(msgspec.Struct, forbid_unknown_fields=True):
    reason: str


class CommentBody(msgspec.Struct, forbid_unknown_fields=True):
    comment: str


class AssignBody(msgspec.Struct, forbid_unknown_fields=True):
    reviewer_id: uuid.UUID | None = None
    reviewer_label: str = ""


class QualityBody(msgspec.Struct, forbid_unknown_fields=True):
    quality: bool


class ApproveBody(msgspec.Struct, forbid_unknown_fields=True):
    """Approve: the store's slug, its manager, and the merchant terms as the terms form's fields
    (strings, parsed by ``merchants.services.terms_from_form``; left out: the defaults)."""

    slug: str
    manager_email: str
    manager_name: str = ""
    terms: dict[str, str] = msgspec.field(default_factory=dict)
    licence_expires_on: date | None = None
    comment: str = ""


class ApprovedOut(msgspec.Struct):
    application: OpsApplicationOut
    tenant_id: uuid.UUID
    slug: str
    invitation_url: str
