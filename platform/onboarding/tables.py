"""Onboarding's tables: store applications, their documents, automatic checks and history.

Platform tables: an application belongs to no store yet (the store exists only once it is
approved), so every row is reachable only inside ``platform_scope()``. The applicant reaches
their own application through a secret resume token, of which only the SHA-256 is stored.
"""

from __future__ import annotations

from piccolo.columns import JSONB, Boolean, Date, Integer, Text, Timestamptz, Varchar
from piccolo.columns.column_types import UUID
from piccolo.columns.defaults.uuid import UUID4
from piccolo.constraints import Unique
from piccolo.table import Table


class StoreApplication(Table):
    """One store's application to join pawpay, from draft to approved (or rejected)."""

    id = UUID(primary_key=True, default=UUID4())
    state = Varchar(length=16, default="draft", index=True)
    token_hash = Varchar(length=64)
    store_name = Varchar(length=200, default="")
    legal_name = Varchar(length=200, default="")
    uscc = Varchar(length=18, default="", index=True)
    legal_rep_name = Varchar(length=100, default="")
    # The resident ID number: sealed (crypto.seal), a blind index for duplicate lookups, a mask to show.
    legal_rep_id_sealed = Text(default="")
    legal_rep_id_index = Varchar(length=64, default="")
    legal_rep_id_masked = Varchar(length=32, default="")
    contact_name = Varchar(length=100, default="")
    contact_phone = Varchar(length=20, default="")
    contact_email = Varchar(length=254, default="")
    region = Varchar(length=100, default="")
    address = Varchar(length=300, default="")
    opened_on = Date(null=True, default=None)
    certificate_number = Varchar(length=64, default="")
    certificate_expires_on = Date(null=True, default=None)
    quality = Boolean(default=False)
    created_by = UUID(null=True, default=None)
    assigned_to = UUID(null=True, default=None)
    assigned_label = Varchar(length=255, default="")
    submitted_at = Timestamptz(null=True, default=None)
    due_on = Date(null=True, default=None)
    decided_at = Timestamptz(null=True, default=None)
    provisioned_tenant_id = UUID(null=True, default=None)
    version = Integer(default=1)
    created_at = Timestamptz()
    updated_at = Timestamptz()

    store_application_uq_token = Unique([token_hash])


class ApplicationDocument(Table):
    """One uploaded file of an application (licence, ID sides, certificate, a labelled photo)."""

    id = UUID(primary_key=True, default=UUID4())
    application_id = UUID(default=None, null=False, index=True)
    kind = Varchar(length=32)
    label = Varchar(length=32, default="")
    file_key = Varchar(length=255)
    content_type = Varchar(length=100)
    size = Integer()
    sha256 = Varchar(length=64)
    original_name = Varchar(length=255, default="")
    created_at = Timestamptz()


class ApplicationCheck(Table):
    """The latest result of one automatic check of an application, with its evidence."""

    id = UUID(primary_key=True, default=UUID4())
    application_id = UUID(default=None, null=False, index=True)
    name = Varchar(length=32)
    status = Varchar(length=16)  # passed | failed | pending | error
    evidence = JSONB(default="{}")
    checked_at = Timestamptz()

    application_check_uq_application_name = Unique([application_id, name])


class ApplicationEvent(Table):
    """The application's history: every transition, comment and assignment, with actor and time."""

    id = UUID(primary_key=True, default=UUID4())
    application_id = UUID(default=None, null=False, index=True)
    kind = Varchar(length=16)  # transition | comment | assigned | checks | quality | link
    from_state = Varchar(length=16, default="")
    to_state = Varchar(length=16, default="")
    comment = Text(default="")
    actor_id = UUID(null=True, default=None)
    actor_label = Varchar(length=255, default="")
    created_at = Timestamptz()
