"""Accounts, web sessions, API keys and login throttling.

``account.tenant_id`` is NULL for platform operators and set for store staff; RLS shows a store
only its own staff, and operators only in platform scope. Web sessions are tenant tables too, with
a nullable ``tenant_id`` (an operator's session has none, and is visible in platform scope only);
authentication reads them in platform scope, before any tenant is known. The login throttle is a
platform table.
"""

from __future__ import annotations

from piccolo.columns import Array, Boolean, Integer, Text, Timestamptz, Varchar
from piccolo.columns.column_types import UUID
from piccolo.columns.defaults.uuid import UUID4
from piccolo.table import Table


class Account(Table):
    id = UUID(primary_key=True, default=UUID4())
    tenant_id = UUID(default=None, null=True, index=True)
    kind = Varchar(length=16)  # operator | staff
    email = Varchar(length=254, unique=True)
    display_name = Varchar(length=100)
    password_hash = Text()
    roles = Array(base_column=Varchar(length=32), default=[])
    is_active = Boolean(default=True)
    locale = Varchar(length=8, default="zh_CN")
    failed_logins = Integer(default=0)
    locked_until = Timestamptz(null=True, default=None)
    last_login_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()
    updated_at = Timestamptz()


class WebSession(Table):
    id = UUID(primary_key=True, default=UUID4())
    token_hash = Varchar(length=64, unique=True)
    account_id = UUID(default=None, null=False, index=True)
    # Copied from the account so that a store may end its own staff's sessions (RLS by tenant).
    tenant_id = UUID(default=None, null=True, index=True)
    csrf_token = Varchar(length=64)
    ip = Varchar(length=64, default="")
    user_agent = Varchar(length=256, default="")
    created_at = Timestamptz()
    last_seen_at = Timestamptz()
    expires_at = Timestamptz(index=True)


class ApiKey(Table):
    id = UUID(primary_key=True, default=UUID4())
    tenant_id = UUID(default=None, null=False, index=True)
    name = Varchar(length=100)
    prefix = Varchar(length=16, unique=True)
    secret_hash = Varchar(length=64)
    role = Varchar(length=32)
    created_by = UUID(default=None, null=True)
    created_at = Timestamptz()
    last_used_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)


class LoginThrottle(Table):
    id = UUID(primary_key=True, default=UUID4())
    key = Varchar(length=128, unique=True)
    window_start = Timestamptz()
    attempts = Integer(default=0)


class Invitation(Table):
    """A single-use invitation for a new store staff account (the store manager at provisioning).

    Only the token's sha256 is stored; the plaintext travels once, in the invitation link.
    """

    id = UUID(primary_key=True, default=UUID4())
    tenant_id = UUID(default=None, null=False, index=True)
    token_hash = Varchar(length=64, unique=True)
    email = Varchar(length=254)
    display_name = Varchar(length=100, default="")
    roles = Array(base_column=Varchar(length=32), default=[])
    created_by = UUID(default=None, null=True)
    created_at = Timestamptz()
    expires_at = Timestamptz()
    accepted_at = Timestamptz(null=True, default=None)
    account_id = UUID(default=None, null=True)
