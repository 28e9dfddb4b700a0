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

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from asyncpg.exceptions import UniqueViolationError

from pawpay.platform.audit.services import record
from pawpay.platform.clock import utcnow
from pawpay.platform.errors import Conflict, NotFound, ValidationFailed
from pawpay.platform.merchants.rules import (
    TERMS_FIELDS,
    MerchantTermsInput,
    default_terms,
    terms_as_dict,
    terms_from_form,
    validate_terms,
)
from pawpay.platform.merchants.tables import MerchantTerms
from pawpay.platform.tenancy.context import PlatformContext, TenantContext
from pawpay.platform.tenancy.scope import platform_scope, tenant_scope

__all__ = [
    "MerchantTermsInput",
    "MerchantTermsView",
    "current_terms",
    "default_terms",
    "list_terms",
    "set_terms",
    "store_terms",
    "terms_from_form",
    "terms_version",
    "validate_terms",
]

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
