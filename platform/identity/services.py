"""Accounts, logins, sessions and API keys. The only entry point other components use."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import math
import secrets
import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from asyncpg.exceptions import UniqueViolationError

from pawpay.platform.audit.services import record
from pawpay.platform.clock import utcnow
from pawpay.platform.errors import (
    Conflict,
    ErrorCode,
    NotAuthenticated,
    NotFound,
    PawPayError,
    RateLimited,
    ScopeViolation,
    ValidationFailed,
)
from pawpay.platform.identity import passwords
from pawpay.platform.identity.principal import Principal
from pawpay.platform.identity.roles import MANAGER, OPERATOR, OPERATOR_ROLES, STAFF, TENANT_ROLES
from pawpay.platform.identity.tables import Account, ApiKey, Invitation, LoginThrottle, WebSession
from pawpay.platform.settings import get_settings
from pawpay.platform.tenancy.context import PlatformContext, TenantContext
from pawpay.platform.tenancy.scope import in_scope, platform_scope, scope_for, tenant_scope

API_KEY_PREFIX = "pp"
# Refresh a session's last_seen_at at most this often, so that reading pages does not write.
SESSION_TOUCH_INTERVAL = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class AccountView:
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


@dataclass(frozen=True, slots=True)
class ApiKeyView:
    id: uuid.UUID
    name: str
    prefix: str
    role: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


_ACCOUNT_COLUMNS = (
    Account.id, Account.tenant_id, Account.kind, Account.email, Account.display_name, Account.roles,
    Account.is_active, Account.locale, Account.locked_until, Account.last_login_at, Account.created_at,
)
_KEY_COLUMNS = (ApiKey.id, ApiKey.name, ApiKey.prefix, ApiKey.role, ApiKey.created_at, ApiKey.last_used_at,
                ApiKey.revoked_at)


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def normalise_email(email: str) -> str:
    email = email.strip().lower()
    local, _, domain = email.partition("@")
    if not local or "." not in domain or len(email) > 254 or " " in email:
        raise ValidationFailed("enter a valid e-mail address", field="email")
    return email


def _check_roles(roles: list[str], allowed: dict[str, str]) -> list[str]:
    if not roles:
        raise ValidationFailed("choose at least one role", field="roles", allowed=sorted(allowed))
    unknown = sorted(set(roles) - set(allowed))
    if unknown:
        raise ValidationFailed(f"unknown role(s): {', '.join(unknown)}", field="roles", allowed=sorted(allowed))
    return sorted(set(roles))


def _snapshot(view: AccountView) -> dict[str, Any]:
    return {"email": view.email, "display_name": view.display_name, "roles": view.roles,
            "is_active": view.is_active, "locale": view.locale}


async def _insert_account(
    *, tenant_id: uuid.UUID | None, kind: str, email: str, display_name: str, password: str, roles: list[str]
) -> AccountView:
    passwords.check_policy(password)
    display_name = display_name.strip() or email.split("@", maxsplit=1)[0]
    try:
        rows = await Account.insert(
            Account(tenant_id=tenant_id, kind=kind, email=email, display_name=display_name[:100],
                    password_hash=passwords.hash_password(password), roles=roles)
        ).returning(*_ACCOUNT_COLUMNS)
    except UniqueViolationError:
        raise Conflict("an account with this e-mail exists", code=ErrorCode.EMAIL_TAKEN, field="email") from None
    return AccountView(**rows[0])


# --- operators ---------------------------------------------------------------------------------

async def create_operator(
    ctx: PlatformContext, *, email: str, password: str, roles: list[str], display_name: str = ""
) -> AccountView:
    roles = _check_roles(roles, OPERATOR_ROLES)
    email = normalise_email(email)
    async with platform_scope("create operator", ctx):
        view = await _insert_account(
            tenant_id=None, kind=OPERATOR, email=email, display_name=display_name, password=password, roles=roles
        )
        await record(ctx, "account.created", target_type="account", target_id=str(view.id), after=_snapshot(view))
    return view


async def list_operators(ctx: PlatformContext) -> list[AccountView]:
    async with platform_scope("list operators", ctx):
        rows = await Account.select(*_ACCOUNT_COLUMNS).where(Account.kind == OPERATOR).order_by(Account.email)
    return [AccountView(**r) for r in rows]


# --- store staff -------------------------------------------------------------------------------

async def create_staff(
    ctx: TenantContext | PlatformContext, *, tenant_id: uuid.UUID | None = None, email: str, password: str,
    roles: list[str], display_name: str = "",
) -> AccountView:
    """Add a staff account to a store (by its manager, or by an operator provisioning the store)."""
    roles = _check_roles(roles, TENANT_ROLES)
    email = normalise_email(email)
    target = ctx.tenant_id if isinstance(ctx, TenantContext) else tenant_id
    if target is None:
        raise ValidationFailed("a store account needs a store", field="tenant_id")
    async with scope_for(ctx, "create staff"):
        view = await _insert_account(
            tenant_id=target, kind=STAFF, email=email, display_name=display_name, password=password, roles=roles
        )
        await record(ctx, "account.created", target_type="account", target_id=str(view.id), tenant_id=target,
                     after=_snapshot(view))
    return view


class _Assignable(Protocol):
    @property
    def id(self) -> uuid.UUID: ...
    @property
    def roles(self) -> Collection[str]: ...
    @property
    def created_at(self) -> datetime: ...


def choose_assignee(staff: Sequence[_Assignable], role: str, open_items: Mapping[uuid.UUID, int]) -> uuid.UUID | None:
    """Who gets a new piece of staff work, out of ``staff`` (active people): one with ``role``, else a
    manager; the one with the fewest ``open_items``, the longest-serving first. None: nobody suits."""
    candidates = [s for s in staff if role in s.roles] or [s for s in staff if MANAGER in s.roles]
    if not candidates:
        return None
    return min(candidates, key=lambda s: (open_items.get(s.id, 0), s.created_at)).id


async def pick_assignee(ctx: TenantContext, role: str, open_items: Mapping[uuid.UUID, int]) -> uuid.UUID | None:
    """:func:`choose_assignee` among the store's active staff; ``open_items`` counts each person's
    open work of the caller's kind (dunning tasks, visits)."""
    return choose_assignee([s for s in await list_staff(ctx) if s.is_active], role, open_items)


async def list_staff(ctx: TenantContext) -> list[AccountView]:
    async with tenant_scope(ctx):
        rows = await Account.select(*_ACCOUNT_COLUMNS).where(Account.tenant_id == ctx.tenant_id).order_by(
            Account.email
        )
    return [AccountView(**r) for r in rows]


async def get_staff(ctx: TenantContext, account_id: uuid.UUID) -> AccountView:
    """One of this store's accounts; another store's account is NotFound, like a missing one."""
    async with tenant_scope(ctx):
        row = await Account.select(*_ACCOUNT_COLUMNS).where(
            (Account.id == account_id) & (Account.tenant_id == ctx.tenant_id)
        ).first()
    if row is None:
        raise NotFound("account not found")
    return AccountView(**row)


async def update_staff(
    ctx: TenantContext, account_id: uuid.UUID, *, roles: list[str] | None = None, is_active: bool | None = None,
    display_name: str | None = None,
) -> AccountView:
    async with tenant_scope(ctx):
        before = await get_staff(ctx, account_id)
        changes: dict[Any, Any] = {Account.updated_at: utcnow()}
        if roles is not None:
            changes[Account.roles] = _check_roles(roles, TENANT_ROLES)
        if is_active is not None:
            if not is_active and account_id == ctx.actor_id:
                raise ValidationFailed("you cannot deactivate your own account", field="is_active")
            changes[Account.is_active] = is_active
        if display_name is not None:
            if not display_name.strip():
                raise ValidationFailed("name must not be empty", field="display_name")
            changes[Account.display_name] = display_name.strip()[:100]
        await Account.update(changes).where((Account.id == account_id) & (Account.tenant_id == ctx.tenant_id))
        if is_active is False:
            await _end_sessions(account_id)
        after = await get_staff(ctx, account_id)
        await record(ctx, "account.updated", target_type="account", target_id=str(account_id),
                     before=_snapshot(before), after=_snapshot(after))
    return after


async def _end_sessions(account_id: uuid.UUID) -> None:
    await WebSession.delete().where(WebSession.account_id == account_id)


# --- login and sessions ------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class LoginResult:
    token: str
    principal: Principal
    expires_at: datetime


def _throttle_key(ip: str) -> str:
    return f"ip:{ip}"


async def _ip_retry_after(key: str, now: datetime) -> int | None:
    """Seconds until ``key`` may try again, or None if it is under its failure budget."""
    settings = get_settings()
    window = timedelta(minutes=settings.login_window_minutes)
    row = await LoginThrottle.select(LoginThrottle.window_start, LoginThrottle.attempts).where(
        LoginThrottle.key == key
    ).first()
    if row is None or row["window_start"] + window <= now or row["attempts"] < settings.login_attempts_per_ip:
        return None
    window_end: datetime = row["window_start"] + window
    return max(1, math.ceil((window_end - now).total_seconds()))


async def _count_ip_failure(key: str, now: datetime) -> None:
    """Add one failed attempt to ``key``'s current window (starting a new window if it ended).

    One statement, so that concurrent failures from the same address are all counted.
    """
    window_ended_before = now - timedelta(minutes=get_settings().login_window_minutes)
    await LoginThrottle.raw(
        "INSERT INTO login_throttle (id, key, window_start, attempts) VALUES ({}, {}, {}, 1) "
        "ON CONFLICT (key) DO UPDATE SET "
        "attempts = CASE WHEN login_throttle.window_start <= {} THEN 1 ELSE login_throttle.attempts + 1 END, "
        "window_start = CASE WHEN login_throttle.window_start <= {} THEN EXCLUDED.window_start "
        "ELSE login_throttle.window_start END",
        uuid.uuid4(), key, now, window_ended_before, window_ended_before,
    )


async def login(email: str, password: str, *, ip: str = "", user_agent: str = "", request_id: str = "") -> LoginResult:
    """Check a password login; on success open a server-side session and return its token.

    Runs in its own transaction, which commits before any error is raised, so that a failed
    attempt is counted although the answer is an error. It must therefore be called outside any
    scope: a login route declares ``opt={"transaction": False}`` (no request transaction, so a
    login holds one pooled connection, not two). Called inside a scope it raises
    :class:`ScopeViolation` (its counters would be rolled back with the caller's transaction).

    Every failure says the same thing, ``INVALID_CREDENTIALS`` (no hint whether the e-mail
    exists or the account is deactivated). After ``login_max_failures`` wrong passwords in a row
    the account is locked for ``login_lockout_minutes``: ``ACCOUNT_LOCKED``, even with the right
    password. An address with ``login_attempts_per_ip`` failed attempts in the current
    ``login_window_minutes`` window is refused (``RATE_LIMITED``, 429 with Retry-After) until the
    window ends; successful logins do not count, so an office behind one address is not locked
    out by its own staff. The counters are written before the error is raised, in this
    function's own committed transaction.
    """
    if in_scope():
        raise ScopeViolation("login() runs in its own transaction: call it outside any scope (a login route "
                             "declares opt={'transaction': False})")
    now = utcnow()
    throttle_key = _throttle_key(ip)
    error: PawPayError | None = None
    async with platform_scope("login"):
        retry_after = await _ip_retry_after(throttle_key, now)
        if retry_after is not None:
            raise RateLimited("too many failed logins from your address; wait and try again",
                              retry_after_seconds=retry_after)
        try:
            email = normalise_email(email)
        except ValidationFailed:
            row = None
        else:
            row = await Account.select().where(Account.email == email).lock_rows("UPDATE").first()
        if row is not None and row["locked_until"] is not None and row["locked_until"] > now:
            error = _Locked(row["locked_until"])
        else:
            # argon2 is deliberately slow: keep it off the event loop.
            ok = await asyncio.to_thread(passwords.verify_password, row["password_hash"] if row else None, password)
            if row is None or not ok or not row["is_active"]:
                error = NotAuthenticated("wrong e-mail or password", code=ErrorCode.INVALID_CREDENTIALS)
                if row is not None and row["is_active"] and not ok:
                    await _count_account_failure(row, now, ip=ip, request_id=request_id)
        if error is not None:
            await _count_ip_failure(throttle_key, now)
        else:
            assert row is not None
            result = await _open_session(row, now, password, ip=ip, user_agent=user_agent, request_id=request_id)
    if error is not None:
        raise error
    return result


async def _count_account_failure(row: dict[str, Any], now: datetime, *, ip: str, request_id: str) -> None:
    settings = get_settings()
    failures = row["failed_logins"] + 1
    locked_until = now + timedelta(minutes=settings.login_lockout_minutes) \
        if failures >= settings.login_max_failures else None
    await Account.update({
        Account.failed_logins: 0 if locked_until else failures,
        Account.locked_until: locked_until,
    }).where(Account.id == row["id"])
    if locked_until:
        await record(PlatformContext(request_id=request_id, actor_label=row["email"]), "account.locked",
                     target_type="account", target_id=str(row["id"]), tenant_id=row["tenant_id"], ip=ip,
                     after={"locked_until": locked_until.isoformat()})


async def _open_session(
    row: dict[str, Any], now: datetime, password: str, *, ip: str, user_agent: str, request_id: str
) -> LoginResult:
    settings = get_settings()
    token = secrets.token_urlsafe(32)
    expires_at = now + timedelta(minutes=settings.session_ttl_minutes)
    session = WebSession(
        token_hash=_sha256(token), account_id=row["id"], tenant_id=row["tenant_id"],
        csrf_token=secrets.token_urlsafe(32), ip=ip[:64], user_agent=user_agent[:256], created_at=now,
        last_seen_at=now, expires_at=expires_at,
    )
    await session.save()
    changes: dict[Any, Any] = {Account.failed_logins: 0, Account.locked_until: None, Account.last_login_at: now}
    if passwords.needs_rehash(row["password_hash"]):
        changes[Account.password_hash] = passwords.hash_password(password)
    await Account.update(changes).where(Account.id == row["id"])
    principal = _principal(row, session_id=session.id, csrf_token=session.csrf_token)
    await record(
        principal.platform_context(request_id) if row["tenant_id"] is None
        else principal.tenant_context(request_id),
        "session.login", target_type="account", target_id=str(row["id"]), ip=ip,
    )
    return LoginResult(token=token, principal=principal, expires_at=expires_at)


class _Locked(NotAuthenticated):
    def __init__(self, until: datetime) -> None:
        super().__init__(
            "this account is locked after too many wrong passwords; try again later",
            code=ErrorCode.ACCOUNT_LOCKED, locked_until=until.isoformat(),
        )


def _principal(row: dict[str, Any], *, session_id: Any = None, csrf_token: str | None = None) -> Principal:
    return Principal(
        kind=row["kind"], account_id=row["id"], tenant_id=row["tenant_id"], roles=frozenset(row["roles"]),
        label=row["email"], display_name=row["display_name"], locale=row["locale"], csrf_token=csrf_token,
        session_id=uuid.UUID(str(session_id)) if session_id else None,
    )


async def resolve_session(token: str) -> Principal | None:
    """The principal behind a session cookie, or None if it is unknown, expired or deactivated.

    Runs in the caller's platform scope (the request middleware authenticates before it narrows
    the request's transaction to the principal's tenant).
    """
    now = utcnow()
    rows = await WebSession.raw(
        "SELECT s.id AS session_id, s.csrf_token, s.last_seen_at, s.expires_at, a.* "
        "FROM web_session s JOIN account a ON a.id = s.account_id "
        "WHERE s.token_hash = {} AND s.expires_at > {} AND a.is_active",
        _sha256(token), now,
    )
    if not rows:
        return None
    row = rows[0]
    if now - row["last_seen_at"] > SESSION_TOUCH_INTERVAL:
        await WebSession.update({WebSession.last_seen_at: now}).where(WebSession.id == row["session_id"])
    return _principal(row, session_id=row["session_id"], csrf_token=row["csrf_token"])


async def logout(principal: Principal, *, request_id: str = "") -> None:
    if principal.session_id is None:
        return
    ctx: TenantContext | PlatformContext = (
        principal.tenant_context(request_id) if principal.tenant_id else principal.platform_context(request_id)
    )
    async with scope_for(ctx, "logout"):
        await WebSession.delete().where(WebSession.id == principal.session_id)
        await record(ctx, "session.logout", target_type="account", target_id=str(principal.account_id))


async def end_session(token: str, *, request_id: str = "") -> None:
    """Sign out the session behind a session cookie's value, if it is still valid (a route that
    runs without the request transaction, such as a login, cannot rely on the middleware's
    authentication)."""
    async with platform_scope("end session"):
        principal = await resolve_session(token)
    if principal is not None:
        await logout(principal, request_id=request_id)


async def purge_expired_sessions(now: datetime) -> int:
    """Delete sessions past their expiry (the session clean-up job)."""
    async with platform_scope("purge expired sessions"):
        rows = await WebSession.delete().where(WebSession.expires_at <= now).returning(WebSession.id)
    return len(rows)


# --- API keys ----------------------------------------------------------------------------------

async def create_api_key(ctx: TenantContext, *, name: str, role: str) -> tuple[str, ApiKeyView]:
    """Create a key for server-to-server calls as ``role`` in this store. The key is shown once."""
    name = name.strip()
    if not name:
        raise ValidationFailed("name the key (e.g. 'ERP sync')", field="name")
    _check_roles([role], TENANT_ROLES)
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    plaintext = f"{API_KEY_PREFIX}_{prefix}_{secret}"
    async with tenant_scope(ctx):
        rows = await ApiKey.insert(
            ApiKey(tenant_id=ctx.tenant_id, name=name[:100], prefix=prefix, secret_hash=_sha256(plaintext),
                   role=role, created_by=ctx.actor_id)
        ).returning(*_KEY_COLUMNS)
        view = ApiKeyView(**rows[0])
        await record(ctx, "api_key.created", target_type="api_key", target_id=str(view.id),
                     after={"name": name, "role": role, "prefix": prefix})
    return plaintext, view


async def list_api_keys(ctx: TenantContext) -> list[ApiKeyView]:
    async with tenant_scope(ctx):
        rows = await ApiKey.select(*_KEY_COLUMNS).where(ApiKey.tenant_id == ctx.tenant_id).order_by(
            ApiKey.created_at, ascending=False
        )
    return [ApiKeyView(**r) for r in rows]


async def revoke_api_key(ctx: TenantContext, key_id: uuid.UUID) -> ApiKeyView:
    async with tenant_scope(ctx):
        rows = await ApiKey.update({ApiKey.revoked_at: utcnow()}).where(
            (ApiKey.id == key_id) & (ApiKey.tenant_id == ctx.tenant_id) & ApiKey.revoked_at.is_null()
        ).returning(*_KEY_COLUMNS)
        if not rows:
            raise NotFound("API key not found (or already revoked)")
        view = ApiKeyView(**rows[0])
        await record(ctx, "api_key.revoked", target_type="api_key", target_id=str(key_id))
    return view


async def resolve_api_key(plaintext: str) -> Principal | None:
    """The principal behind an API key (in the caller's platform scope), or None."""
    parts = plaintext.split("_", 2)
    if len(parts) != 3 or parts[0] != API_KEY_PREFIX:
        return None
    row = await ApiKey.select().where((ApiKey.prefix == parts[1]) & ApiKey.revoked_at.is_null()).first()
    if row is None or not hmac.compare_digest(row["secret_hash"], _sha256(plaintext)):
        return None
    now = utcnow()
    if row["last_used_at"] is None or now - row["last_used_at"] > SESSION_TOUCH_INTERVAL:
        await ApiKey.update({ApiKey.last_used_at: now}).where(ApiKey.id == row["id"])
    return Principal(kind="api_key", account_id=None, tenant_id=row["tenant_id"], roles=frozenset([row["role"]]),
                     label=f"api-key:{row['name']}", api_key_id=row["id"])


# --- invitations -------------------------------------------------------------------------------

INVITATION_TTL = timedelta(days=7)
INVITATION_PATH = "/invite/"


@dataclass(frozen=True, slots=True)
class InvitationView:
    id: uuid.UUID
    tenant_id: uuid.UUID
    email: str
    display_name: str
    roles: list[str]
    created_at: datetime
    expires_at: datetime
    accepted_at: datetime | None
    account_id: uuid.UUID | None

    @property
    def pending(self) -> bool:
        return self.accepted_at is None and self.expires_at > utcnow()


_INVITATION_COLUMNS = (Invitation.id, Invitation.tenant_id, Invitation.email, Invitation.display_name,
                       Invitation.roles, Invitation.created_at, Invitation.expires_at, Invitation.accepted_at,
                       Invitation.account_id)


def invitation_url(token: str) -> str:
    """The path of the page where an invitee sets a password (relative: the host serving it decides)."""
    return f"{INVITATION_PATH}{token}"


async def create_invitation(
    ctx: TenantContext | PlatformContext, *, tenant_id: uuid.UUID | None = None, email: str, display_name: str,
    roles: list[str],
) -> tuple[str, InvitationView]:
    """Invite a person to become a store's staff: returns the one-time link (shown once) and the invitation.

    The link's token is stored only as its sha256; it is single use and expires after 7 days. A
    store's manager invites to their own store; an operator names the store (``tenant_id``).
    """
    roles = _check_roles(roles, TENANT_ROLES)
    email = normalise_email(email)
    target = ctx.tenant_id if isinstance(ctx, TenantContext) else tenant_id
    if target is None:
        raise ValidationFailed("an invitation needs a store", field="tenant_id")
    token = secrets.token_urlsafe(32)
    now = utcnow()
    async with scope_for(ctx, "create invitation"):
        if await Account.exists().where(Account.email == email):
            raise Conflict("an account with this e-mail exists", code=ErrorCode.EMAIL_TAKEN, field="email")
        rows = await Invitation.insert(Invitation(
            tenant_id=target, token_hash=_sha256(token), email=email, display_name=display_name.strip()[:100],
            roles=roles, created_by=ctx.actor_id, created_at=now, expires_at=now + INVITATION_TTL,
        )).returning(*_INVITATION_COLUMNS)
        view = InvitationView(**rows[0])
        await record(ctx, "invitation.created", target_type="invitation", target_id=str(view.id), tenant_id=target,
                     after={"email": email, "roles": roles, "expires_at": view.expires_at.isoformat()})
    return invitation_url(token), view


async def _invitation_row(token: str, *, lock: bool = False) -> dict[str, Any] | None:
    if not token or len(token) > 128:
        return None
    query = Invitation.select(*_INVITATION_COLUMNS).where(Invitation.token_hash == _sha256(token))
    if lock:
        query = query.lock_rows("UPDATE")
    row: dict[str, Any] | None = await query.first()
    return row


async def get_invitation(token: str) -> InvitationView:
    """The pending invitation behind ``token``; an unknown, used or expired one is NotFound (same answer)."""
    async with platform_scope("read invitation"):
        row = await _invitation_row(token)
    if row is None or row["accepted_at"] is not None or row["expires_at"] <= utcnow():
        raise NotFound("this invitation link is invalid, used or expired")
    return InvitationView(**row)


async def accept_invitation(token: str, *, password: str, display_name: str = "") -> AccountView:
    """Create the invitee's staff account with ``password`` (the usual policy) and use up the invitation."""
    async with platform_scope("accept invitation"):
        row = await _invitation_row(token, lock=True)
        if row is None or row["accepted_at"] is not None or row["expires_at"] <= utcnow():
            raise NotFound("this invitation link is invalid, used or expired")
        view = await _insert_account(
            tenant_id=row["tenant_id"], kind=STAFF, email=row["email"],
            display_name=display_name.strip() or row["display_name"], password=password, roles=list(row["roles"]),
        )
        await Invitation.update({Invitation.accepted_at: utcnow(), Invitation.account_id: view.id}).where(
            Invitation.id == row["id"]
        )
        ctx = TenantContext(tenant_id=row["tenant_id"], actor_id=view.id, actor_label=view.email)
        await record(ctx, "account.created", target_type="account", target_id=str(view.id), after=_snapshot(view))
        await record(ctx, "invitation.accepted", target_type="invitation", target_id=str(row["id"]))
    return view


async def list_invitations(ctx: TenantContext | PlatformContext, *, tenant_id: uuid.UUID | None = None
                           ) -> list[InvitationView]:
    """A store's invitations, newest first."""
    target = ctx.tenant_id if isinstance(ctx, TenantContext) else tenant_id
    async with scope_for(ctx, "list invitations"):
        rows = await Invitation.select(*_INVITATION_COLUMNS).where(Invitation.tenant_id == target).order_by(
            Invitation.created_at, ascending=False
        )
    return [InvitationView(**r) for r in rows]
