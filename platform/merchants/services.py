"""Merchants: each store's versioned terms, its merchant profile, provisioning, test mode and going live.

Terms are versioned: a change is a new version (never an edit) and applies to new contracts only;
a contract pins the version it was signed under (:func:`terms_version`). A store without terms
(created before this component, or by tests' ``create_store``) reads :func:`default_terms` as version 0.

Usage from another domain::

    from pawpay.platform.merchants import services as merchants

    terms = await merchants.current_terms(ctx)           # in the store's scope
    allowed, why = await merchants.new_signings_allowed(ctx)
"""

from __future__ import annotations

import dataclasses
import logging
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from asyncpg.exceptions import UniqueViolationError

from pawpay.platform.audit.services import record
from pawpay.platform.clock import utcnow
from pawpay.platform.crypto import mask, open_sealed, seal
from pawpay.platform.errors import Conflict, NotFound, PawPayError, ValidationFailed
from pawpay.platform.merchants.errors import (
    AgreementAlreadySigned,
    AlreadyLive,
    GoLiveNotReady,
    ProfileInvalid,
    StatusUnchanged,
)
from pawpay.platform.merchants.rules import (
    TERMS_FIELDS,
    MerchantTermsInput,
    check_resident_id,
    check_text,
    check_uscc,
    default_terms,
    expired,
    reminders_due,
    terms_as_dict,
    terms_from_form,
    validate_terms,
)
from pawpay.platform.merchants.tables import MerchantProfile, MerchantReminder, MerchantTerms
from pawpay.platform.tenancy.context import PlatformContext, TenantContext
from pawpay.platform.tenancy.scope import platform_scope, tenant_scope

__all__ = [
    "TERMS_FIELDS",
    "MerchantTermsInput",
    "MerchantTermsView",
    "ProvisionedStore",
    "StoreProfileInput",
    "StoreProfileView",
    "StoreSummary",
    "agreement_pdf",
    "apply_sub_merchant",
    "approve_go_live",
    "create_profile",
    "current_terms",
    "default_terms",
    "get_profile",
    "go_live_blockers",
    "list_reminders",
    "list_stores",
    "list_terms",
    "new_signings_allowed",
    "provision_store",
    "refresh_agreement",
    "refresh_sub_merchant",
    "reinstate_store",
    "request_go_live",
    "send_expiry_reminders",
    "set_terms",
    "start_agreement_signing",
    "store_profile",
    "store_terms",
    "suspend_store",
    "terms_as_dict",
    "terms_from_form",
    "terms_version",
    "update_expiry",
    "validate_profile",
    "validate_terms",
]

log = logging.getLogger(__name__)

# The effective time of the implicit version 0 (a store that never had terms of its own).
_BEGINNING = datetime(2000, 1, 1, tzinfo=UTC)
MAX_REASON = 1000


@dataclass(frozen=True)
class MerchantTermsView:
    version: int
    effective_at: datetime
    fee_rate_bp: int
    settlement_days: int
    advances_allowed: bool
    advance_ratio_bp: int
    advance_fee_bp: int
    financing_provider: str
    guarantee_policy: str
    deposit_ratio_bp: int
    min_credit_score: int
    down_payment_fen: int
    cooling_off_days_min: int
    cooling_off_days_max: int
    plan_amount_warn_min_fen: int
    plan_amount_warn_max_fen: int
    set_by: str = ""
    reason: str = ""

    def as_input(self) -> MerchantTermsInput:
        return MerchantTermsInput(**terms_as_dict(self))


_TERMS_COLUMNS = (MerchantTerms.version, MerchantTerms.effective_at, MerchantTerms.set_by, MerchantTerms.reason,
                  *(getattr(MerchantTerms, name) for name in TERMS_FIELDS))


def _terms_view(row: dict[str, Any]) -> MerchantTermsView:
    return MerchantTermsView(**{k: row[k] for k in ("version", "effective_at", "set_by", "reason", *TERMS_FIELDS)})


def _default_view() -> MerchantTermsView:
    return MerchantTermsView(version=0, effective_at=_BEGINNING, reason="platform defaults",
                             **terms_as_dict(default_terms()))


async def _latest(tenant_id: uuid.UUID) -> MerchantTermsView | None:
    row = await MerchantTerms.select(*_TERMS_COLUMNS).where(MerchantTerms.tenant_id == tenant_id).order_by(
        MerchantTerms.version, ascending=False
    ).first()
    return _terms_view(row) if row is not None else None


async def current_terms(ctx: TenantContext) -> MerchantTermsView:
    """The store's latest terms (version 0 = the platform defaults when it has none)."""
    async with tenant_scope(ctx):
        view = await _latest(ctx.tenant_id)
    return view or _default_view()


async def terms_version(ctx: TenantContext, version: int) -> MerchantTermsView:
    """One version of the store's terms (contracts pin it); version 0 is the platform defaults."""
    if version == 0:
        return _default_view()
    async with tenant_scope(ctx):
        row = await MerchantTerms.select(*_TERMS_COLUMNS).where(
            (MerchantTerms.tenant_id == ctx.tenant_id) & (MerchantTerms.version == version)
        ).first()
    if row is None:
        raise NotFound("no such terms version", version=version)
    return _terms_view(row)


async def store_terms(ctx: PlatformContext, tenant_id: uuid.UUID) -> MerchantTermsView:
    """An operator's view of a store's current terms."""
    async with platform_scope("read merchant terms", ctx):
        view = await _latest(tenant_id)
    return view or _default_view()


async def list_terms(ctx: PlatformContext, tenant_id: uuid.UUID) -> list[MerchantTermsView]:
    """Every version of a store's terms, newest first."""
    async with platform_scope("list merchant terms", ctx):
        rows = await MerchantTerms.select(*_TERMS_COLUMNS).where(MerchantTerms.tenant_id == tenant_id).order_by(
            MerchantTerms.version, ascending=False
        )
    return [_terms_view(r) for r in rows]


async def set_terms(
    ctx: PlatformContext, tenant_id: uuid.UUID, terms: MerchantTermsInput, *, reason: str
) -> MerchantTermsView:
    """Record a new version of a store's terms (applies to contracts signed from now on); audited."""
    validate_terms(terms)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("a reason is required to change a store's terms", field="reason")
    if len(reason) > MAX_REASON:
        raise ValidationFailed("the reason is too long", field="reason")
    async with platform_scope("set merchant terms", ctx):
        from pawpay.platform.tenancy.services import get_tenant

        await get_tenant(ctx, tenant_id)
        return await _insert_terms(ctx, tenant_id, terms, reason=reason)


async def _insert_terms(
    ctx: PlatformContext, tenant_id: uuid.UUID, terms: MerchantTermsInput, *, reason: str
) -> MerchantTermsView:
    previous = await _latest(tenant_id)
    version = (previous.version if previous else 0) + 1
    now = utcnow()
    set_by = (ctx.actor_label or (str(ctx.actor_id) if ctx.actor_id else "platform"))[:255]
    try:
        await MerchantTerms.insert(MerchantTerms(
            id=uuid.uuid4(), tenant_id=tenant_id, version=version, effective_at=now, set_by=set_by,
            reason=reason, created_at=now, **terms_as_dict(terms),
        ))
    except UniqueViolationError:
        raise Conflict("the store's terms were changed at the same time; reload and try again") from None
    view = MerchantTermsView(version=version, effective_at=now, set_by=set_by, reason=reason, **terms_as_dict(terms))
    await record(ctx, "merchant.terms_set", target_type="merchant_terms", target_id=f"{tenant_id}:{version}",
                 tenant_id=tenant_id, before={"version": previous.version, **terms_as_dict(previous)} if previous
                 else None, after={"version": version, "reason": reason, **terms_as_dict(terms)})
    return view


# --- the store's merchant profile ------------------------------------------------------------------

@dataclass(frozen=True)
class StoreProfileInput:
    """A store's merchant identity as approved at onboarding (the legal rep's ID in plaintext: sealed at rest)."""

    legal_name: str
    uscc: str
    legal_rep_name: str
    legal_rep_id_number: str
    contact_name: str
    contact_phone: str
    contact_email: str
    region: str
    address: str
    opened_on: date
    certificate_number: str
    certificate_expires_on: date
    licence_expires_on: date | None = None
    quality: bool = False


@dataclass(frozen=True)
class StoreProfileView:
    tenant_id: uuid.UUID
    legal_name: str
    uscc: str
    legal_rep_name: str
    legal_rep_id_masked: str
    contact_name: str
    contact_phone: str
    contact_email: str
    region: str
    address: str
    opened_on: date
    certificate_number: str
    certificate_expires_on: date
    licence_expires_on: date | None
    quality: bool
    application_id: uuid.UUID | None
    sub_merchant_status: str
    sub_merchant_ref: str
    sub_merchant_detail: str
    agreement_status: str
    agreement_flow_ref: str
    agreement_signed_at: datetime | None
    go_live_status: str
    go_live_requested_at: datetime | None
    went_live_at: datetime | None
    status_reason: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class ProvisionedStore:
    tenant_id: uuid.UUID
    slug: str
    invitation_url: str


_PROFILE_COLUMNS = (
    MerchantProfile.tenant_id, MerchantProfile.legal_name, MerchantProfile.uscc, MerchantProfile.legal_rep_name,
    MerchantProfile.legal_rep_id_masked, MerchantProfile.contact_name, MerchantProfile.contact_phone,
    MerchantProfile.contact_email, MerchantProfile.region, MerchantProfile.address, MerchantProfile.opened_on,
    MerchantProfile.certificate_number, MerchantProfile.certificate_expires_on, MerchantProfile.licence_expires_on,
    MerchantProfile.quality, MerchantProfile.application_id, MerchantProfile.sub_merchant_status,
    MerchantProfile.sub_merchant_ref, MerchantProfile.sub_merchant_detail, MerchantProfile.agreement_status,
    MerchantProfile.agreement_flow_ref, MerchantProfile.agreement_signed_at, MerchantProfile.go_live_status,
    MerchantProfile.go_live_requested_at, MerchantProfile.went_live_at, MerchantProfile.status_reason,
    MerchantProfile.created_at, MerchantProfile.updated_at,
)
_PHONE_RE = re.compile(r"^\+?[0-9][0-9 -]{5,30}$")


def _seal_context(tenant_id: uuid.UUID) -> str:
    return f"merchant_profile:{tenant_id}:legal_rep_id"


def validate_profile(profile: StoreProfileInput) -> StoreProfileInput:
    """Check and normalise a profile (USCC and resident ID checksums, required texts, dates)."""
    for name, length, required in (("legal_name", 200, True), ("legal_rep_name", 100, True),
                                   ("contact_name", 100, True), ("contact_email", 254, False),
                                   ("region", 100, False), ("address", 300, False),
                                   ("certificate_number", 100, True)):
        check_text(getattr(profile, name), name, max_length=length, required=required)
    phone = (profile.contact_phone or "").strip()
    if not _PHONE_RE.match(phone):
        raise ProfileInvalid("not a phone number", field="contact_phone")
    for name in ("opened_on", "certificate_expires_on"):
        if not isinstance(getattr(profile, name), date):
            raise ProfileInvalid(f"{name} must be a date", field=name)
    if profile.licence_expires_on is not None and not isinstance(profile.licence_expires_on, date):
        raise ProfileInvalid("licence_expires_on must be a date", field="licence_expires_on")
    return dataclasses.replace(
        profile,
        legal_name=profile.legal_name.strip(), uscc=check_uscc(profile.uscc.strip().upper()),
        legal_rep_name=profile.legal_rep_name.strip(),
        legal_rep_id_number=check_resident_id(profile.legal_rep_id_number.strip().upper()),
        contact_name=profile.contact_name.strip(), contact_phone=phone,
        contact_email=(profile.contact_email or "").strip(), region=(profile.region or "").strip(),
        address=(profile.address or "").strip(), certificate_number=profile.certificate_number.strip(),
        quality=bool(profile.quality),
    )


def _profile_snapshot(view: StoreProfileView) -> dict[str, Any]:
    return {
        "legal_name": view.legal_name, "uscc": view.uscc, "legal_rep_name": view.legal_rep_name,
        "legal_rep_id": view.legal_rep_id_masked, "contact_name": view.contact_name,
        "contact_phone": mask(view.contact_phone), "region": view.region,
        "opened_on": view.opened_on.isoformat(), "certificate_number": view.certificate_number,
        "certificate_expires_on": view.certificate_expires_on.isoformat(),
        "licence_expires_on": view.licence_expires_on.isoformat() if view.licence_expires_on else None,
        "quality": view.quality,
    }


async def _profile_row(tenant_id: uuid.UUID, *, lock: bool = False) -> dict[str, Any] | None:
    query = MerchantProfile.select(*_PROFILE_COLUMNS).where(MerchantProfile.tenant_id == tenant_id)
    if lock:
        query = query.lock_rows("UPDATE")
    row: dict[str, Any] | None = await query.first()
    return row


async def get_profile(ctx: TenantContext) -> StoreProfileView | None:
    """The store's own merchant profile (None for a store provisioned before this component)."""
    async with tenant_scope(ctx):
        row = await _profile_row(ctx.tenant_id)
    return StoreProfileView(**row) if row else None


async def store_profile(ctx: PlatformContext, tenant_id: uuid.UUID) -> StoreProfileView | None:
    async with platform_scope("read merchant profile", ctx):
        row = await _profile_row(tenant_id)
    return StoreProfileView(**row) if row else None


async def provision_store(
    ctx: PlatformContext, *, slug: str, name: str, profile: StoreProfileInput, terms: MerchantTermsInput,
    manager_email: str, manager_name: str, application_id: uuid.UUID | None = None,
    time_zone: str = "Asia/Shanghai",
) -> ProvisionedStore:
    """Create an approved store in the caller's transaction: the tenant (in test mode), its merchant
    profile, terms version 1 and the manager's invitation (a one-time link, valid 7 days). Audited.

    The store's providers are the sandboxes until it chooses others (a store without a chosen
    provider falls back to the category's sandbox; see ``providers.services.provider_for``).
    """
    from pawpay.platform.identity.roles import MANAGER
    from pawpay.platform.identity.services import create_invitation
    from pawpay.platform.tenancy.services import create_tenant

    profile = validate_profile(profile)
    validate_terms(terms)
    async with platform_scope("provision store", ctx):
        tenant = await create_tenant(ctx, slug=slug, name=name, time_zone=time_zone, test_mode=True)
        now = utcnow()
        await MerchantProfile.insert(MerchantProfile(
            id=uuid.uuid4(), tenant_id=tenant.id, legal_name=profile.legal_name, uscc=profile.uscc,
            legal_rep_name=profile.legal_rep_name,
            legal_rep_id_sealed=seal(profile.legal_rep_id_number, context=_seal_context(tenant.id)),
            legal_rep_id_masked=mask(profile.legal_rep_id_number, keep_start=4, keep_end=4),
            contact_name=profile.contact_name, contact_phone=profile.contact_phone,
            contact_email=profile.contact_email, region=profile.region, address=profile.address,
            opened_on=profile.opened_on, certificate_number=profile.certificate_number,
            certificate_expires_on=profile.certificate_expires_on, licence_expires_on=profile.licence_expires_on,
            quality=profile.quality, application_id=application_id, created_at=now, updated_at=now,
        ))
        await _insert_terms(ctx, tenant.id, terms, reason="terms at approval")
        await configure_sandbox_payments(ctx, tenant.id, tenant.slug)
        url, _invitation = await create_invitation(ctx, tenant_id=tenant.id, email=manager_email,
                                                   display_name=manager_name, roles=[MANAGER])
        row = await _profile_row(tenant.id)
        assert row is not None
        await record(ctx, "merchant.provisioned", target_type="tenant", target_id=str(tenant.id), tenant_id=tenant.id,
                     after={"slug": tenant.slug, "application_id": str(application_id) if application_id else None,
                            "manager_email": manager_email, **_profile_snapshot(StoreProfileView(**row))})
    return ProvisionedStore(tenant_id=tenant.id, slug=tenant.slug, invitation_url=url)


async def configure_sandbox_payments(ctx: PlatformContext, tenant_id: uuid.UUID, slug: str) -> None:
    """The payments sandbox is the one sandbox that needs settings (a sub-merchant id and a webhook
    secret): give the new store its own, so that it can run its test order at once. Every other
    category falls back to its settings-free sandbox (``providers.services.provider_for``)."""
    from pawpay.platform.providers.services import set_store_provider

    tctx = TenantContext(tenant_id=tenant_id, actor_id=ctx.actor_id, actor_label=ctx.actor_label,
                         request_id=ctx.request_id)
    try:
        await set_store_provider(tctx, "payments", "sandbox", {
            "merchant_id": f"sbx_{slug}"[:64].replace(".", "-"), "webhook_secret": secrets.token_urlsafe(24),
        })
    except ValidationFailed:  # no payments sandbox installed: the store configures its provider itself
        log.warning("no payments sandbox to configure for a new store", extra={"tenant_id": str(tenant_id)})


async def create_profile(ctx: PlatformContext, tenant_id: uuid.UUID, profile: StoreProfileInput) -> StoreProfileView:
    """Give a store created before this component (or by the bare store form) its merchant profile."""
    profile = validate_profile(profile)
    async with platform_scope("create merchant profile", ctx):
        from pawpay.platform.tenancy.services import get_tenant

        await get_tenant(ctx, tenant_id)
        now = utcnow()
        try:
            await MerchantProfile.insert(MerchantProfile(
                id=uuid.uuid4(), tenant_id=tenant_id, legal_name=profile.legal_name, uscc=profile.uscc,
                legal_rep_name=profile.legal_rep_name,
                legal_rep_id_sealed=seal(profile.legal_rep_id_number, context=_seal_context(tenant_id)),
                legal_rep_id_masked=mask(profile.legal_rep_id_number, keep_start=4, keep_end=4),
                contact_name=profile.contact_name, contact_phone=profile.contact_phone,
                contact_email=profile.contact_email, region=profile.region, address=profile.address,
                opened_on=profile.opened_on, certificate_number=profile.certificate_number,
                certificate_expires_on=profile.certificate_expires_on,
                licence_expires_on=profile.licence_expires_on, quality=profile.quality, created_at=now,
                updated_at=now,
            ))
        except UniqueViolationError:
            raise Conflict("the store already has a merchant profile") from None
        row = await _profile_row(tenant_id)
        assert row is not None
        view = StoreProfileView(**row)
        await record(ctx, "merchant.profile_created", target_type="merchant_profile", target_id=str(tenant_id),
                     tenant_id=tenant_id, after=_profile_snapshot(view))
    return view


async def _update_profile(
    ctx: TenantContext | PlatformContext, tenant_id: uuid.UUID, action: str, changes: dict[str, Any],
    *, reason: str = "", require: bool = True,
) -> StoreProfileView:
    """Apply ``changes`` (column name -> value) to the profile, audited with before/after of those columns."""
    row = await _profile_row(tenant_id, lock=True)
    if row is None:
        raise NotFound("the store has no merchant profile")
    before = {k: row[k] for k in changes}
    values = {getattr(MerchantProfile, k): v for k, v in changes.items()}
    values[MerchantProfile.updated_at] = utcnow()
    rows = await MerchantProfile.update(values).where(MerchantProfile.tenant_id == tenant_id).returning(
        *_PROFILE_COLUMNS
    )
    view = StoreProfileView(**rows[0])
    after: dict[str, Any] = {k: rows[0][k] for k in changes}
    if reason:
        after["reason"] = reason
    await record(ctx, action, target_type="merchant_profile", target_id=str(tenant_id),
                 tenant_id=tenant_id if isinstance(ctx, PlatformContext) else None,
                 before={k: _jsonable(v) for k, v in before.items()}, after={k: _jsonable(v) for k, v in after.items()})
    return view


def _jsonable(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _reason(reason: str) -> str:
    text = (reason or "").strip()
    if not text:
        raise ValidationFailed("a reason is required", field="reason")
    if len(text) > MAX_REASON:
        raise ValidationFailed("the reason is too long", field="reason")
    return text


async def update_expiry(
    ctx: PlatformContext, tenant_id: uuid.UUID, *, certificate_expires_on: date,
    licence_expires_on: date | None, certificate_number: str | None = None, reason: str,
) -> StoreProfileView:
    """An operator records a renewed certificate or licence (new signings resume once nothing is expired)."""
    reason = _reason(reason)
    if not isinstance(certificate_expires_on, date):
        raise ProfileInvalid("certificate_expires_on must be a date", field="certificate_expires_on")
    changes: dict[str, Any] = {"certificate_expires_on": certificate_expires_on,
                               "licence_expires_on": licence_expires_on}
    if certificate_number is not None and certificate_number.strip():
        changes["certificate_number"] = check_text(certificate_number, "certificate_number", max_length=100)
    async with platform_scope("update merchant expiry", ctx):
        return await _update_profile(ctx, tenant_id, "merchant.expiry_updated", changes, reason=reason)


# --- signing allowed? ------------------------------------------------------------------------------

async def _store_today(ctx: TenantContext, time_zone: str) -> date:
    from pawpay.platform.jobs.services import tenant_now

    return (await tenant_now(ctx)).astimezone(ZoneInfo(time_zone)).date()


async def new_signings_allowed(ctx: TenantContext) -> tuple[bool, str | None]:
    """Whether the store may sign new contracts now; ``(False, reason)`` when it is suspended or its
    licence or certificate has expired (collections on existing contracts continue either way).

    Reasons (stable, English; the UI translates): ``store_suspended``, ``licence_expired``,
    ``certificate_expired``.
    """
    from pawpay.platform.tenancy.services import get_own_tenant

    tenant = await get_own_tenant(ctx)
    if tenant.status != "active":
        return False, "store_suspended"
    profile = await get_profile(ctx)
    if profile is None:
        return True, None
    today = await _store_today(ctx, tenant.time_zone)
    if expired(profile.licence_expires_on, today):
        return False, "licence_expired"
    if expired(profile.certificate_expires_on, today):
        return False, "certificate_expired"
    return True, None


# --- suspension -----------------------------------------------------------------------------------

async def suspend_store(ctx: PlatformContext, tenant_id: uuid.UUID, *, reason: str) -> Any:
    """Suspend a store (no new signings; existing collections continue). Audited with the reason."""
    from pawpay.platform.tenancy.services import get_tenant, set_tenant_status

    reason = _reason(reason)
    async with platform_scope("suspend store", ctx):
        if (await get_tenant(ctx, tenant_id)).status == "suspended":
            raise StatusUnchanged("the store is already suspended")
        view = await set_tenant_status(ctx, tenant_id, status="suspended", reason=reason)
        if await _profile_row(tenant_id) is not None:
            await _update_profile(ctx, tenant_id, "merchant.suspended", {"status_reason": reason[:500]})
    return view


async def reinstate_store(ctx: PlatformContext, tenant_id: uuid.UUID, *, reason: str) -> Any:
    from pawpay.platform.tenancy.services import get_tenant, set_tenant_status

    reason = _reason(reason)
    async with platform_scope("reinstate store", ctx):
        if (await get_tenant(ctx, tenant_id)).status == "active":
            raise StatusUnchanged("the store is not suspended")
        view = await set_tenant_status(ctx, tenant_id, status="active", reason=reason)
        if await _profile_row(tenant_id) is not None:
            await _update_profile(ctx, tenant_id, "merchant.reinstated", {"status_reason": ""}, reason=reason)
    return view


# --- the merchant service agreement ----------------------------------------------------------------

AGREEMENT_NAME = "pawpay-merchant-service-agreement.pdf"
AGREEMENT_VERSION = "2026-11"


def agreement_pdf(profile: StoreProfileView, terms: MerchantTermsView) -> bytes:
    """A minimal one-page PDF naming the parties and the key terms (ASCII; the vendor renders the
    signed copy). Deterministic for the same profile and terms (the flow's idempotency)."""
    lines = [
        f"PawPay Merchant Service Agreement ({AGREEMENT_VERSION})",
        f"Merchant USCC: {profile.uscc}",
        f"Terms version {terms.version}: fee {terms.fee_rate_bp} bp, settlement T+{terms.settlement_days}, "
        f"deposit {terms.deposit_ratio_bp} bp",
    ]
    text = " ".join(f"({line.replace('(', '[').replace(')', ']')}) Tj 0 -16 Td" for line in lines)
    stream = f"BT /F1 11 Tf 50 780 Td {text} ET".encode("ascii", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%EOF\n".encode()
    return bytes(out)


def _flow_id(tenant_id: uuid.UUID, attempt: int) -> str:
    return f"merchant-agreement:{tenant_id}:{attempt}"


async def start_agreement_signing(ctx: TenantContext, *, return_url: str = "") -> str | None:
    """Start (or resume) the store's e-signature of the merchant service agreement through its identity
    provider; returns the URL where the legal representative signs (None if the provider refused)."""
    from pawpay.platform.hooks.identity import Signer, SignFlowRequest
    from pawpay.platform.hooks.providers import ProviderStatus
    from pawpay.platform.providers.services import guarded_provider_for

    async with tenant_scope(ctx):
        row = await MerchantProfile.select(
            *_PROFILE_COLUMNS, MerchantProfile.legal_rep_id_sealed
        ).where(MerchantProfile.tenant_id == ctx.tenant_id).first()
        if row is None:
            raise NotFound("the store has no merchant profile")
        if row["agreement_status"] == "signed":
            raise AgreementAlreadySigned("the merchant service agreement is already signed")
        profile = StoreProfileView(**{k: v for k, v in row.items() if k != "legal_rep_id_sealed"})
        terms = await current_terms(ctx)
        previous = row["agreement_flow_ref"]
        attempt = int(previous.rsplit(":", 1)[-1]) if previous.startswith("merchant-agreement:") else 0
        if row["agreement_status"] != "pending":
            attempt += 1
        flow_id = _flow_id(ctx.tenant_id, max(attempt, 1))
        id_number = open_sealed(row["legal_rep_id_sealed"], context=_seal_context(ctx.tenant_id))
        provider, pctx = await guarded_provider_for(ctx, "identity")
        session = await provider.start_sign_flow(pctx, SignFlowRequest(
            flow_id=flow_id, document_name=AGREEMENT_NAME, document_pdf=agreement_pdf(profile, terms),
            signers=[Signer(kind="person", name=profile.legal_rep_name, id_number=id_number,
                            mobile=profile.contact_phone),
                     Signer(kind="organisation", name=profile.legal_name)],
            return_url=return_url,
        ))
        refused = session.result.status in (ProviderStatus.FAILED, ProviderStatus.NOT_SUBMITTED)
        await _update_profile(ctx, ctx.tenant_id, "merchant.agreement_started", {
            "agreement_status": "unsigned" if refused else "pending", "agreement_flow_ref": flow_id,
        })
    if refused or session.action is None:
        return None
    url = session.action.payload.get("url")
    return str(url) if url else None


async def refresh_agreement(ctx: TenantContext) -> StoreProfileView:
    """Ask the identity provider how the agreement's sign flow ended; a signed flow marks it signed."""
    from pawpay.platform.hooks.providers import ProviderStatus
    from pawpay.platform.providers.services import guarded_provider_for

    async with tenant_scope(ctx):
        row = await _profile_row(ctx.tenant_id)
        if row is None:
            raise NotFound("the store has no merchant profile")
        if row["agreement_status"] != "pending" or not row["agreement_flow_ref"]:
            return StoreProfileView(**row)
        provider, pctx = await guarded_provider_for(ctx, "identity")
        result = await provider.query_sign_flow(pctx, row["agreement_flow_ref"])
        if result.status is ProviderStatus.SUCCEEDED:
            return await _update_profile(ctx, ctx.tenant_id, "merchant.agreement_signed", {
                "agreement_status": "signed", "agreement_signed_at": utcnow(),
            })
        if result.status in (ProviderStatus.FAILED, ProviderStatus.NOT_SUBMITTED):
            return await _update_profile(ctx, ctx.tenant_id, "merchant.agreement_failed", {
                "agreement_status": "unsigned"}, reason=result.error_code or "")
        return StoreProfileView(**row)


# --- sub-merchant onboarding at the payment provider ---------------------------------------------

def _sub_merchant_status(result: Any) -> str:
    from pawpay.platform.hooks.providers import ProviderStatus

    return {ProviderStatus.SUCCEEDED: "approved", ProviderStatus.PENDING: "pending",
            ProviderStatus.FAILED: "rejected"}.get(result.status, "pending")


async def apply_sub_merchant(ctx: TenantContext) -> StoreProfileView:
    """Submit (or resubmit) the store's sub-merchant application to its payment provider."""
    from pawpay.platform.hooks.payments import SubMerchantApplication
    from pawpay.platform.providers.services import guarded_provider_for

    async with tenant_scope(ctx):
        row = await _profile_row(ctx.tenant_id)
        if row is None:
            raise NotFound("the store has no merchant profile")
        if row["sub_merchant_status"] == "approved":
            return StoreProfileView(**row)
        provider, pctx = await guarded_provider_for(ctx, "payments")
        result = await provider.onboard_sub_merchant(pctx, SubMerchantApplication(
            application_id=f"sub-merchant:{ctx.tenant_id}", legal_name=row["legal_name"],
            registration_number=row["uscc"], contact_name=row["contact_name"], contact_phone=row["contact_phone"],
            contact_email=row["contact_email"], details={"region": row["region"], "address": row["address"]},
        ))
        return await _update_profile(ctx, ctx.tenant_id, "merchant.sub_merchant_applied", {
            "sub_merchant_status": _sub_merchant_status(result),
            "sub_merchant_ref": (result.provider_reference or "")[:128],
            "sub_merchant_detail": (result.error_code or result.error_message or "")[:500],
        })


async def refresh_sub_merchant(ctx: TenantContext) -> StoreProfileView:
    """Ask the payment provider about a pending sub-merchant application."""
    from pawpay.platform.providers.services import guarded_provider_for

    async with tenant_scope(ctx):
        row = await _profile_row(ctx.tenant_id)
        if row is None:
            raise NotFound("the store has no merchant profile")
        if row["sub_merchant_status"] != "pending":
            return StoreProfileView(**row)
        provider, pctx = await guarded_provider_for(ctx, "payments")
        result = await provider.query_sub_merchant(pctx, f"sub-merchant:{ctx.tenant_id}")
        status = _sub_merchant_status(result)
        if status == row["sub_merchant_status"]:
            return StoreProfileView(**row)
        return await _update_profile(ctx, ctx.tenant_id, "merchant.sub_merchant_updated", {
            "sub_merchant_status": status,
            "sub_merchant_ref": (result.provider_reference or row["sub_merchant_ref"])[:128],
            "sub_merchant_detail": (result.error_code or result.error_message or "")[:500],
        })


# --- going live ------------------------------------------------------------------------------------

def go_live_blockers(profile: StoreProfileView | None, *, approval: bool = False) -> list[str]:
    """What still stands between the store and going live (stable English keys; empty = ready).

    ``approval``: for the operator's approval, which also needs the store's own request."""
    if profile is None:
        return ["no_profile"]
    blockers = []
    if profile.agreement_status != "signed":
        blockers.append("agreement_not_signed")
    if profile.sub_merchant_status != "approved":
        blockers.append("sub_merchant_not_approved")
    if approval and profile.go_live_status != "requested":
        blockers.append("go_live_not_requested")
    return blockers


async def request_go_live(ctx: TenantContext) -> StoreProfileView:
    """The store asks to go live (needs the agreement signed and the sub-merchant approved)."""
    from pawpay.platform.tenancy.services import get_own_tenant

    async with tenant_scope(ctx):
        tenant = await get_own_tenant(ctx)
        if not tenant.test_mode:
            raise AlreadyLive("the store is already live")
        profile = await get_profile(ctx)
        blockers = go_live_blockers(profile)
        if blockers:
            raise GoLiveNotReady("the store cannot go live yet", blockers=blockers)
        return await _update_profile(ctx, ctx.tenant_id, "merchant.go_live_requested", {
            "go_live_status": "requested", "go_live_requested_at": utcnow(),
        })


async def approve_go_live(ctx: PlatformContext, tenant_id: uuid.UUID, *, note: str = "") -> StoreProfileView:
    """An operator takes a store live: test mode off and its test clock removed. Audited."""
    from pawpay.platform.jobs.services import clear_tenant_clock
    from pawpay.platform.tenancy.services import get_tenant, set_tenant_status

    async with platform_scope("approve go-live", ctx):
        tenant = await get_tenant(ctx, tenant_id)
        if not tenant.test_mode:
            raise AlreadyLive("the store is already live")
        row = await _profile_row(tenant_id, lock=True)
        profile = StoreProfileView(**row) if row else None
        blockers = go_live_blockers(profile, approval=True)
        if tenant.status != "active":
            blockers.append("store_suspended")
        if blockers:
            raise GoLiveNotReady("the store cannot go live yet", blockers=blockers)
        await set_tenant_status(ctx, tenant_id, test_mode=False, reason=note.strip() or "go-live approved")
        await clear_tenant_clock(TenantContext(tenant_id=tenant_id, actor_id=ctx.actor_id,
                                               actor_label=ctx.actor_label, request_id=ctx.request_id))
        return await _update_profile(ctx, tenant_id, "merchant.went_live", {
            "go_live_status": "approved", "went_live_at": utcnow(),
        }, reason=note.strip())


# --- the operators' store list ---------------------------------------------------------------------

@dataclass(frozen=True)
class StoreSummary:
    id: uuid.UUID
    slug: str
    name: str
    status: str
    test_mode: bool
    time_zone: str
    created_at: datetime
    settlement_days: int
    fee_rate_bp: int
    terms_version: int
    licence_expires_on: date | None
    certificate_expires_on: date | None
    go_live_status: str
    expiring_soon: bool  # licence or certificate expires within 30 days (or has expired)
    expired: bool


EXPIRY_WARNING_DAYS = 30


async def list_stores(
    ctx: PlatformContext, *, status: str | None = None, mode: str | None = None, search: str = "",
    expiring: bool = False, limit: int = 50, offset: int = 0, today: date | None = None,
) -> tuple[list[StoreSummary], int]:
    """Stores with their terms and document expiry, oldest first; filters: ``status`` (active|suspended),
    ``mode`` (test|live), ``search`` (name or slug contains), ``expiring`` (within 30 days or expired)."""
    from pawpay.platform.tenancy.services import list_tenants

    today = today or utcnow().astimezone(ZoneInfo("Asia/Shanghai")).date()
    async with platform_scope("list merchant stores", ctx):
        tenants, _total = await list_tenants(ctx, limit=10_000, offset=0)
        ids = [t.id for t in tenants]
        profiles = {r["tenant_id"]: r for r in await MerchantProfile.select(
            MerchantProfile.tenant_id, MerchantProfile.licence_expires_on, MerchantProfile.certificate_expires_on,
            MerchantProfile.go_live_status,
        ).where(MerchantProfile.tenant_id.is_in(ids))} if ids else {}
        terms_rows = await MerchantTerms.raw(
            "SELECT DISTINCT ON (tenant_id) tenant_id, version, settlement_days, fee_rate_bp FROM merchant_terms "
            "ORDER BY tenant_id, version DESC"
        ) if ids else []
    latest = {r["tenant_id"]: r for r in terms_rows}
    defaults = default_terms()
    needle = search.strip().lower()
    out = []
    for t in tenants:
        p = profiles.get(t.id, {})
        tr = latest.get(t.id)
        lic, cert = p.get("licence_expires_on"), p.get("certificate_expires_on")
        soon = any(d is not None and (d - today).days <= EXPIRY_WARNING_DAYS for d in (lic, cert))
        gone = any(expired(d, today) for d in (lic, cert))
        summary = StoreSummary(
            id=t.id, slug=t.slug, name=t.name, status=t.status, test_mode=t.test_mode, time_zone=t.time_zone,
            created_at=t.created_at, settlement_days=tr["settlement_days"] if tr else defaults.settlement_days,
            fee_rate_bp=tr["fee_rate_bp"] if tr else defaults.fee_rate_bp, terms_version=tr["version"] if tr else 0,
            licence_expires_on=lic, certificate_expires_on=cert, go_live_status=p.get("go_live_status", "none"),
            expiring_soon=soon, expired=gone,
        )
        if status and t.status != status:
            continue
        if (mode == "test" and not t.test_mode) or (mode == "live" and t.test_mode):
            continue
        if needle and needle not in t.name.lower() and needle not in t.slug:
            continue
        if expiring and not soon:
            continue
        out.append(summary)
    return out[offset:offset + limit], len(out)


# --- expiry reminders ------------------------------------------------------------------------------

REMINDER_TEMPLATE = "MERCHANT_DOCUMENT_EXPIRY"


async def send_expiry_reminders(now: datetime) -> int:
    """Send the due 30/7/1-day licence and certificate expiry reminders (once each) by SMS to each
    store's contact through the store's notification provider. The body of the daily periodic job;
    runs inside the platform scope. Returns how many reminders were recorded."""
    from pawpay.platform.hooks.notifications import SmsMessage
    from pawpay.platform.providers.services import guarded_provider_for

    sent = 0
    async with platform_scope("merchant expiry reminders"):
        rows = await MerchantProfile.raw(
            "SELECT p.tenant_id, p.contact_phone, p.licence_expires_on, p.certificate_expires_on, t.time_zone "
            "FROM merchant_profile p JOIN tenant t ON t.id = p.tenant_id WHERE t.status = 'active'"
        )
        for row in rows:
            today = now.astimezone(ZoneInfo(row["time_zone"])).date()
            for kind, expires_on in (("licence", row["licence_expires_on"]),
                                     ("certificate", row["certificate_expires_on"])):
                for days in reminders_due(expires_on, today):
                    reminder_id = uuid.uuid4()
                    claimed = await MerchantReminder.raw(
                        "INSERT INTO merchant_reminder (id, tenant_id, kind, expires_on, days_before, outcome, "
                        "provider_reference, sent_at) VALUES ({}, {}, {}, {}, {}, '', '', {}) "
                        "ON CONFLICT ON CONSTRAINT merchant_reminder_uq_tenant_kind_day DO NOTHING RETURNING id",
                        reminder_id, row["tenant_id"], kind, expires_on, days, now,
                    )
                    if not claimed:
                        continue
                    tctx = TenantContext(tenant_id=row["tenant_id"], actor_label="merchant-expiry-reminders")
                    try:
                        provider, pctx = await guarded_provider_for(tctx, "notifications")
                        result = await provider.send_sms(pctx, SmsMessage(
                            message_id=f"merchant-expiry:{reminder_id}", phone=row["contact_phone"],
                            template_code=REMINDER_TEMPLATE,
                            params={"document": kind, "expires_on": expires_on.isoformat(), "days": str(days)},
                        ))
                        outcome, reference = str(result.status), result.provider_reference or ""
                    except PawPayError as exc:  # a store without a usable provider: recorded, not retried
                        outcome, reference = "error", str(exc.code)
                    await MerchantReminder.update({
                        MerchantReminder.outcome: outcome[:16], MerchantReminder.provider_reference: reference[:128],
                    }).where(MerchantReminder.id == reminder_id)
                    await record(tctx, "merchant.expiry_reminder_sent", target_type="merchant_profile",
                                 target_id=str(row["tenant_id"]),
                                 after={"document": kind, "expires_on": expires_on.isoformat(),
                                        "days_before": days, "outcome": outcome})
                    sent += 1
    return sent


async def list_reminders(ctx: PlatformContext, tenant_id: uuid.UUID) -> list[dict[str, Any]]:
    async with platform_scope("list merchant reminders", ctx):
        rows: list[dict[str, Any]] = await MerchantReminder.select(
            MerchantReminder.kind, MerchantReminder.expires_on, MerchantReminder.days_before,
            MerchantReminder.outcome, MerchantReminder.sent_at,
        ).where(MerchantReminder.tenant_id == tenant_id).order_by(MerchantReminder.sent_at, ascending=False)
    return rows
