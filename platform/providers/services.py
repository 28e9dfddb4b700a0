"""Each store's provider per category: choose, configure (credentials sealed), test, use.

The one entry point for a store's provider settings. Credentials are validated against the
provider's schema, stored sealed (``crypto.seal`` bound to the store, category and provider) and
never returned in full again: views carry a *preview* (non-secret fields in clear, secrets
masked). Secrets never reach logs, audit entries, API answers or pages.

Every function takes an optional ``catalog`` (default: the process's
``get_plugin_manager().providers()``) so tests and tools can use providers of their own.
"""

from __future__ import annotations

import asyncio
import json
import logging
import typing
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import pydantic

from pawpay.platform import crypto
from pawpay.platform.audit.services import record
from pawpay.platform.clock import utcnow
from pawpay.platform.errors import BusinessRuleViolation, NotFound, ValidationFailed
from pawpay.platform.hooks import ProviderError, ProviderResult
from pawpay.platform.hooks.providers import ProviderCategory, ProviderConfig, ProviderContext, secret_fields
from pawpay.platform.hooks.registry import (
    ConfiguredProvider,
    ProviderCatalog,
    ProviderConfigInvalid,
    ProviderNotFound,
    RegisteredProvider,
)
from pawpay.platform.jobs.services import tenant_clock
from pawpay.platform.providers.calls import GuardedProvider
from pawpay.platform.providers.tables import TenantProvider
from pawpay.platform.tenancy import services as tenancy
from pawpay.platform.tenancy.context import PlatformContext, TenantContext
from pawpay.platform.tenancy.scope import platform_scope, tenant_scope

log = logging.getLogger(__name__)

DEFAULT_PROVIDER = "sandbox"
TEST_CONNECTION_TIMEOUT = 10.0  # seconds; a vendor slower than this counts as unreachable
MASK = "********"
# Outcomes of a test that never produced a ProviderResult.
CHECK_TIMEOUT = "timeout"
CHECK_ERROR = "error"

_COLUMNS = (
    TenantProvider.tenant_id, TenantProvider.category, TenantProvider.provider_name, TenantProvider.config_preview,
    TenantProvider.updated_at, TenantProvider.updated_by, TenantProvider.check_status, TenantProvider.check_code,
    TenantProvider.check_message, TenantProvider.checked_at,
)


# --- views ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ConfigFieldView:
    """One field of a provider's config schema, as a settings form needs it."""

    name: str
    type: str  # string | secret | integer | number | boolean
    required: bool
    secret: bool
    description: str
    default: Any = None


@dataclass(frozen=True, slots=True)
class AvailableProvider:
    category: str
    name: str
    label: str
    description: str
    plugin: str
    fields: list[ConfigFieldView]


@dataclass(frozen=True, slots=True)
class ConnectionCheckView:
    status: str  # a ProviderStatus value, "timeout" or "error"
    code: str
    message: str
    checked_at: datetime | None

    @property
    def ok(self) -> bool:
        return self.status == "succeeded"


@dataclass(frozen=True, slots=True)
class StoreProviderView:
    """A store's provider for one category.

    ``is_default``: the store chose nothing; the category's sandbox provider stands in (it has no
    credentials until the store saves some). ``configured``: a choice with credentials is saved.
    ``available``: the provider is registered in this process (a removed plugin leaves the row).
    ``sandbox_in_live_mode``: a live store uses a sandbox provider (allowed, but flagged).
    """

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
    last_check: ConnectionCheckView | None
    sandbox_in_live_mode: bool


@dataclass(frozen=True, slots=True)
class OverviewCell:
    provider_name: str | None
    is_default: bool
    check_status: str | None
    checked_at: datetime | None


@dataclass(frozen=True, slots=True)
class StoreOverview:
    tenant_id: uuid.UUID
    tenant_name: str
    test_mode: bool
    providers: dict[str, OverviewCell] = field(default_factory=dict)


# --- helpers -------------------------------------------------------------------------------------


def _catalog(catalog: ProviderCatalog | None) -> ProviderCatalog:
    if catalog is not None:
        return catalog
    from pawpay.platform.hooks._manager import get_plugin_manager

    return get_plugin_manager().providers()


def _category(category: str) -> ProviderCategory:
    try:
        return ProviderCategory(category)
    except ValueError:
        raise NotFound("no such provider category", field="category") from None


def _seal_context(tenant_id: uuid.UUID, category: str, provider_name: str) -> str:
    return f"tenant:{tenant_id}:provider:{category}:{provider_name}"


def _field_type(annotation: Any) -> str:
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if args and typing.get_origin(annotation) is not None:
        annotation = args[0]
    if isinstance(annotation, type):
        if issubclass(annotation, pydantic.SecretStr | pydantic.SecretBytes):
            return "secret"
        if issubclass(annotation, bool):
            return "boolean"
        if issubclass(annotation, int):
            return "integer"
        if issubclass(annotation, float | Decimal):
            return "number"
    return "string"


def config_fields(schema: type[ProviderConfig]) -> list[ConfigFieldView]:
    """The fields of a provider's config schema, in declaration order, for forms."""
    secrets = secret_fields(schema)
    fields = []
    for name, info in schema.model_fields.items():
        required = info.is_required()
        default = None
        if not required and name not in secrets and isinstance(info.default, str | int | float | bool):
            default = info.default
        fields.append(ConfigFieldView(
            name=name, type=_field_type(info.annotation), required=required, secret=name in secrets,
            description=info.description or "", default=default,
        ))
    return fields


def _reveal(value: Any) -> Any:
    if isinstance(value, pydantic.SecretStr):
        return value.get_secret_value()
    if isinstance(value, pydantic.SecretBytes):
        return value.get_secret_value().decode()
    return value


def _plain(config: ProviderConfig) -> dict[str, Any]:
    """The whole config as JSON-able data, secrets included (only ever sealed, never shown)."""
    data = config.model_dump(mode="json")
    for name in secret_fields(type(config)):
        data[name] = _reveal(getattr(config, name))
    return data


def mask_secret(value: str) -> str:
    """A secret for display: fixed width (never its length), the last four characters of a long
    one so that a manager can tell which key is set (as Stripe's dashboard does)."""
    return MASK + value[-4:] if len(value) >= 16 else MASK


def preview(config: ProviderConfig) -> dict[str, Any]:
    """What may be shown of ``config``: non-secret fields in clear, secrets masked."""
    data = config.model_dump(mode="json")
    for name in secret_fields(type(config)):
        revealed = _reveal(getattr(config, name))
        data[name] = mask_secret(str(revealed)) if revealed not in (None, "") else None
    return data


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def _load_json(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        loaded = json.loads(value) if value else {}
        return loaded if isinstance(loaded, dict) else {}
    return dict(value or {})


def _check_view(row: dict[str, Any]) -> ConnectionCheckView | None:
    if row.get("check_status") is None:
        return None
    return ConnectionCheckView(status=row["check_status"], code=row["check_code"] or "",
                               message=row["check_message"] or "", checked_at=row["checked_at"])


def _row_view(row: dict[str, Any], catalog: ProviderCatalog, test_mode: bool) -> StoreProviderView:
    try:
        registered: RegisteredProvider | None = catalog.get(row["category"], row["provider_name"])
    except ProviderNotFound:
        registered = None
    shown = _load_json(row["config_preview"])
    secrets = sorted(secret_fields(registered.config_schema)) if registered else []
    return StoreProviderView(
        category=row["category"], provider_name=row["provider_name"],
        label=registered.label if registered else row["provider_name"],
        is_default=False, configured=True, available=registered is not None, preview=shown,
        secrets_set=[name for name in secrets if shown.get(name)],
        updated_at=row["updated_at"], updated_by=row["updated_by"], last_check=_check_view(row),
        sandbox_in_live_mode=row["provider_name"] == DEFAULT_PROVIDER and not test_mode,
    )


def _default_view(category: ProviderCategory, catalog: ProviderCatalog, test_mode: bool) -> StoreProviderView:
    try:
        registered: RegisteredProvider | None = catalog.get(category.value, DEFAULT_PROVIDER)
    except ProviderNotFound:
        registered = None
    return StoreProviderView(
        category=category.value, provider_name=registered.name if registered else None,
        label=registered.label if registered else "", is_default=True, configured=False,
        available=registered is not None, preview={}, secrets_set=[], updated_at=None, updated_by=None,
        last_check=None, sandbox_in_live_mode=registered is not None and not test_mode,
    )


async def _row(ctx: TenantContext, category: str) -> dict[str, Any] | None:
    async with tenant_scope(ctx):
        row: dict[str, Any] | None = await TenantProvider.select(*_COLUMNS, TenantProvider.config_sealed).where(
            (TenantProvider.tenant_id == ctx.tenant_id) & (TenantProvider.category == category)
        ).first()
    return row


def _open_config(ctx: TenantContext, row: dict[str, Any]) -> dict[str, Any]:
    sealed: str = row["config_sealed"]
    plain = crypto.open_sealed(sealed, context=_seal_context(ctx.tenant_id, row["category"], row["provider_name"]))
    loaded: dict[str, Any] = json.loads(plain)
    return loaded


# --- the catalogue -------------------------------------------------------------------------------


def available_providers(category: str | None = None, *, catalog: ProviderCatalog | None = None
                        ) -> list[AvailableProvider]:
    """The registered providers (of one category, or all), with their config fields for forms."""
    cat = _catalog(catalog)
    registered = cat.by_category(_category(category).value) if category else cat.all()
    return [
        AvailableProvider(category=p.category.value, name=p.name, label=p.label, description=p.description,
                          plugin=p.plugin, fields=config_fields(p.config_schema))
        for p in registered
    ]


# --- a store's settings --------------------------------------------------------------------------


async def list_store_providers(ctx: TenantContext, *, catalog: ProviderCatalog | None = None
                               ) -> list[StoreProviderView]:
    """The store's provider for every category, in category order; a category without a choice
    shows the category's sandbox provider as the default (if one is registered)."""
    cat = _catalog(catalog)
    store = await tenancy.get_own_tenant(ctx)
    async with tenant_scope(ctx):
        rows = await TenantProvider.select(*_COLUMNS).where(TenantProvider.tenant_id == ctx.tenant_id)
    by_category = {r["category"]: r for r in rows}
    return [
        _row_view(by_category[c.value], cat, store.test_mode) if c.value in by_category
        else _default_view(c, cat, store.test_mode)
        for c in ProviderCategory
    ]


async def get_store_provider(ctx: TenantContext, category: str, *, catalog: ProviderCatalog | None = None
                             ) -> StoreProviderView:
    """The store's provider for ``category`` (see :func:`list_store_providers`)."""
    cat = _catalog(catalog)
    category_ = _category(category)
    store = await tenancy.get_own_tenant(ctx)
    row = await _row(ctx, category_.value)
    return _row_view(row, cat, store.test_mode) if row else _default_view(category_, cat, store.test_mode)


async def set_store_provider(
    ctx: TenantContext, category: str, provider_name: str, config: dict[str, Any], *,
    catalog: ProviderCatalog | None = None,
) -> StoreProviderView:
    """Choose ``provider_name`` for ``category`` with ``config``; validated, sealed, audited.

    A secret field left blank keeps the secret already saved, if the provider is unchanged (the
    form never shows it again, so it cannot send it back).

    Raises:
        NotFound: an unknown category.
        ValidationFailed: no such provider in this category (``field="provider_name"``).
        ProviderConfigInvalid: the config fails the provider's schema (one error per field; 422).
    """
    cat = _catalog(catalog)
    category_ = _category(category).value
    try:
        registered = cat.get(category_, provider_name)
    except ProviderNotFound:
        raise ValidationFailed("no such provider in this category", field="provider_name") from None
    store = await tenancy.get_own_tenant(ctx)
    existing = await _row(ctx, category_)
    submitted = dict(config)
    if existing is not None and existing["provider_name"] == provider_name:
        kept = _open_config(ctx, existing)
        for name in secret_fields(registered.config_schema):
            if _blank(submitted.get(name)) and not _blank(kept.get(name)):
                submitted[name] = kept[name]
    # Blank optional fields mean "not set", not "the empty string" (a form sends every field).
    schema_fields = registered.config_schema.model_fields
    submitted = {k: v for k, v in submitted.items()
                 if not (_blank(v) and k in schema_fields and not schema_fields[k].is_required())}
    validated = cat.validate_config(category_, provider_name, submitted)
    shown = preview(validated)
    sealed = crypto.seal(json.dumps(_plain(validated)), context=_seal_context(ctx.tenant_id, category_, provider_name))
    now = utcnow()
    async with tenant_scope(ctx):
        # One upsert: two managers saving at once both succeed (the last one wins), never a 500.
        # New credentials make the last test result meaningless, so it is cleared.
        await TenantProvider.insert(TenantProvider(
            tenant_id=ctx.tenant_id, category=category_, provider_name=provider_name, config_sealed=sealed,
            config_preview=json.dumps(shown), updated_at=now, updated_by=ctx.actor_id,
        )).on_conflict(
            target="tenant_provider_uq_tenant_category", action="DO UPDATE",
            values=[
                TenantProvider.provider_name, TenantProvider.config_sealed, TenantProvider.config_preview,
                TenantProvider.updated_at, TenantProvider.updated_by,
                (TenantProvider.check_status, None), (TenantProvider.check_code, ""),
                (TenantProvider.check_message, ""), (TenantProvider.checked_at, None),
            ],
        )
        before = None if existing is None else {
            "provider": existing["provider_name"], "config": _load_json(existing["config_preview"]),
        }
        sandbox_live = provider_name == DEFAULT_PROVIDER and not store.test_mode
        after = {"provider": provider_name, "config": shown, **({"sandbox_in_live_mode": True} if sandbox_live else {})}
        await record(ctx, "provider.configured", target_type="provider", target_id=category_, before=before,
                     after=after)
    if sandbox_live:
        log.warning("a live store chose a sandbox provider",
                    extra={"tenant_id": str(ctx.tenant_id), "category": category_})
    return await get_store_provider(ctx, category_, catalog=cat)


async def check_connection(
    ctx: TenantContext, category: str, *, catalog: ProviderCatalog | None = None,
    time_limit: float = TEST_CONNECTION_TIMEOUT,
) -> ConnectionCheckView:
    """The "test connection" action: ask the store's provider for ``category`` (its
    ``test_connection`` operation) whether the saved credentials work; record and audit the
    answer. A provider that raises, answers nonsense or takes longer than ``time_limit`` seconds
    gives a recorded failure, never an exception. (Not named ``test_*``: pytest would collect it
    wherever it is imported.)

    Raises:
        NotFound: an unknown category.
        BusinessRuleViolation: nothing saved for this category yet (``field="category"``).
    """
    cat = _catalog(catalog)
    category_ = _category(category).value
    row = await _row(ctx, category_)
    if row is None:
        raise BusinessRuleViolation("choose a provider and save its settings before testing", field="category")
    store = await tenancy.get_own_tenant(ctx)
    status, code, message = await _run_check(ctx, row, cat, store.test_mode, time_limit)
    checked_at = utcnow()
    async with tenant_scope(ctx):
        await TenantProvider.update({
            TenantProvider.check_status: status, TenantProvider.check_code: code[:64],
            TenantProvider.check_message: message[:500], TenantProvider.checked_at: checked_at,
        }).where((TenantProvider.tenant_id == ctx.tenant_id) & (TenantProvider.category == category_))
        await record(ctx, "provider.connection_tested", target_type="provider", target_id=category_,
                     after={"provider": row["provider_name"], "status": status, "code": code})
    return ConnectionCheckView(status=status, code=code, message=message[:500], checked_at=checked_at)


def _configured(ctx: TenantContext, row: dict[str, Any], catalog: ProviderCatalog) -> Any:
    """The saved provider bound to its saved config, or the (code, message) of why it cannot be."""
    try:
        return catalog.create(row["category"], row["provider_name"], _open_config(ctx, row))
    except ProviderNotFound:
        return ("PROVIDER_UNAVAILABLE", "this provider is no longer installed")
    except ProviderConfigInvalid:
        return ("CONFIG_INVALID", "the saved settings no longer fit the provider's schema; save them again")


async def _run_check(
    ctx: TenantContext, row: dict[str, Any], catalog: ProviderCatalog, test_mode: bool, time_limit: float
) -> tuple[str, str, str]:
    """(status, code, message) of one test; never raises for what the provider does."""
    where = {"tenant_id": str(ctx.tenant_id), "category": row["category"], "provider": row["provider_name"]}
    configured = _configured(ctx, row, catalog)
    if isinstance(configured, tuple):
        return CHECK_ERROR, configured[0], configured[1]
    clock = await tenant_clock(ctx)
    pctx = configured.context(tenant_id=str(ctx.tenant_id), test_mode=test_mode, clock_now=clock.now)
    status, code, message = CHECK_ERROR, "BAD_RESULT", "the provider did not answer with a ProviderResult"
    try:
        result = await asyncio.wait_for(configured.provider.test_connection(pctx), time_limit)
        if isinstance(result, ProviderResult):
            status, code, message = result.status.value, result.error_code or "", result.error_message or ""
    except TimeoutError:
        status, code, message = CHECK_TIMEOUT, "TIMEOUT", f"no answer within {time_limit:g} s"
    except ProviderError as exc:
        status, code, message = CHECK_ERROR, exc.code, exc.message
    except Exception as exc:  # a broken plugin must not break the settings page
        # Only the exception's type: its text may quote the config the provider was given.
        status, code, message = CHECK_ERROR, "PROVIDER_CRASHED", f"the provider raised {type(exc).__name__}"
    if status != "succeeded":
        log.warning("provider test connection failed", extra={**where, "code": code, "status": status})
    return status, code, message


async def provider_for(
    ctx: TenantContext, category: str, *, catalog: ProviderCatalog | None = None
) -> tuple[Any, ProviderContext[Any]]:
    """The store's provider for ``category`` and the context to call it with (config unsealed).

    The raw provider, unguarded: domains use :func:`guarded_provider_for`, which adds timeouts,
    retries, rate limits and result checks.

    Falls back to the category's sandbox provider when the store chose nothing and the sandbox
    needs no settings. Never log the context: it holds the store's credentials.

    Raises:
        NotFound: an unknown category.
        BusinessRuleViolation: no usable provider (nothing chosen and no settings-free sandbox,
            or the chosen provider is no longer installed).
    """
    configured, pctx = await _store_provider(ctx, category, _catalog(catalog))
    return configured.provider, pctx


async def _store_provider(
    ctx: TenantContext, category: str, cat: ProviderCatalog
) -> tuple[ConfiguredProvider, ProviderContext[Any]]:
    category_ = _category(category).value
    store = await tenancy.get_own_tenant(ctx)
    row = await _row(ctx, category_)
    try:
        if row is None:
            configured = cat.create(category_, DEFAULT_PROVIDER, {})
        else:
            configured = cat.create(category_, row["provider_name"], _open_config(ctx, row))
    except (ProviderNotFound, ProviderConfigInvalid):
        raise BusinessRuleViolation(f"the store has no usable {category_} provider; configure one in settings",
                                    field="category") from None
    # The store's own clock: a test-mode store that moved its test clock moves its providers too
    # (sandbox parcels advance, webhook freshness windows follow).
    clock = await tenant_clock(ctx)
    return configured, configured.context(tenant_id=str(ctx.tenant_id), test_mode=store.test_mode,
                                          clock_now=clock.now)


async def guarded_provider_for(
    ctx: TenantContext, category: str, *, catalog: ProviderCatalog | None = None, **guard: Any
) -> tuple[GuardedProvider, ProviderContext[Any]]:
    """The store's provider for ``category`` behind the call guard, and the context to call it with.

    The way domains call providers: every operation gets a timeout, reads are retried, the rail's
    rate limit is honoured and a provider that hangs, raises or answers nonsense gives an
    ``UNKNOWN`` outcome (actions) or a retryable ``ProviderError`` (reads), never a crash (see
    :mod:`pawpay.platform.providers.calls`). ``guard`` passes options to :class:`GuardedProvider`
    (tests). Raises like :func:`provider_for`.
    """
    configured, pctx = await _store_provider(ctx, category, _catalog(catalog))
    registered = configured.registered
    guarded = GuardedProvider(configured.provider, category=registered.category.value, name=registered.name,
                              ctx=pctx, **guard)
    return guarded, pctx


# --- operators -----------------------------------------------------------------------------------


async def store_provider_overview(
    ctx: PlatformContext, *, limit: int = 50, offset: int = 0, catalog: ProviderCatalog | None = None
) -> tuple[list[StoreOverview], int]:
    """Which store uses which provider, per category (a page of stores, oldest first)."""
    cat = _catalog(catalog)
    stores, total = await tenancy.list_tenants(ctx, limit=limit, offset=offset)
    ids = [s.id for s in stores]
    rows: list[dict[str, Any]] = []
    if ids:
        async with platform_scope("provider overview", ctx):
            rows = await TenantProvider.select(
                TenantProvider.tenant_id, TenantProvider.category, TenantProvider.provider_name,
                TenantProvider.check_status, TenantProvider.checked_at,
            ).where(TenantProvider.tenant_id.is_in(ids))
    chosen = {(r["tenant_id"], r["category"]): r for r in rows}
    defaults = {c.value: any(p.name == DEFAULT_PROVIDER for p in cat.by_category(c.value)) for c in ProviderCategory}
    overview = []
    for store in stores:
        cells = {}
        for c in ProviderCategory:
            r = chosen.get((store.id, c.value))
            cells[c.value] = (
                OverviewCell(r["provider_name"], False, r["check_status"], r["checked_at"]) if r
                else OverviewCell(DEFAULT_PROVIDER if defaults[c.value] else None, True, None, None)
            )
        overview.append(StoreOverview(store.id, store.name, store.test_mode, cells))
    return overview, total


# --- the platform's own providers ----------------------------------------------------------------

PLATFORM_TENANT_ID = "platform"


async def platform_provider_for(
    ctx: PlatformContext, category: str, *, catalog: ProviderCatalog | None = None, **guard: Any
) -> tuple[GuardedProvider, ProviderContext[Any]]:
    """The platform's own provider for ``category``, behind the call guard, and its context.

    For work that belongs to no store yet: the SMS that carries an applicant's resume link, the
    dishonesty check of a store that applies. The category's sandbox provider (it needs no
    settings), called with ``tenant_id="platform"`` in test mode on the platform's clock.
    ``ctx`` names who asks (for the log); nothing is read from the database.

    Raises:
        NotFound: an unknown category.
        BusinessRuleViolation: no settings-free sandbox is registered for ``category``.
    """
    del ctx  # the platform's choice is not per operator; kept for the signature's symmetry
    category_ = _category(category).value
    cat = _catalog(catalog)
    try:
        configured = cat.create(category_, DEFAULT_PROVIDER, {})
    except (ProviderNotFound, ProviderConfigInvalid):
        raise BusinessRuleViolation(f"the platform has no usable {category_} provider", field="category") from None
    pctx = configured.context(tenant_id=PLATFORM_TENANT_ID, test_mode=True, clock_now=utcnow)
    registered = configured.registered
    guarded = GuardedProvider(configured.provider, category=registered.category.value, name=registered.name,
                              ctx=pctx, **guard)
    return guarded, pctx
