"""``/admin/settings/providers``: a store manager picks one provider per category, enters its
settings (a form rendered from the provider's config schema; secrets are never shown again, a
blank secret keeps the saved one) and tests the connection. ``/ops/providers``: which store uses
what, for operators."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from pawpay.admin_ui.flash import flash
from pawpay.admin_ui.labels import N_
from pawpay.admin_ui.pages._forms import Form
from pawpay.admin_ui.shell import (
    ADMIN,
    OPS,
    FieldErrors,
    Pager,
    Shell,
    field_errors,
    is_form_error,
    parse_window,
    redirect,
)
from pawpay.platform.errors import PawPayError
from pawpay.platform.hooks.providers import ProviderCategory
from pawpay.platform.hooks.registry import ProviderConfigInvalid
from pawpay.platform.identity.roles import MANAGER, OPERATOR_ROLES
from pawpay.platform.providers import services as providers
from pawpay.platform.web.deps import OpsCtx, TenantCtx

PAGE = "/admin/settings/providers"
FIELD_PREFIX = "config."

CATEGORY_LABELS = {
    ProviderCategory.PAYMENTS.value: N_("Payments"),
    ProviderCategory.CREDIT.value: N_("Credit checks"),
    ProviderCategory.WAREHOUSES.value: N_("Warehouses"),
    ProviderCategory.NOTIFICATIONS.value: N_("Notifications"),
    ProviderCategory.IDENTITY.value: N_("Identity and e-signing"),
    ProviderCategory.FINANCING.value: N_("Financing"),
}

# pydantic's error codes (ConfigFieldError.code) as messages the catalogs translate.
CONFIG_ERROR_MESSAGES = {
    "missing": N_("This field is required."),
    "string_too_short": N_("This is too short."),
    "too_short": N_("This is too short."),
    "string_too_long": N_("This is too long."),
    "too_long": N_("This is too long."),
    "string_pattern_mismatch": N_("This contains characters that are not allowed."),
    "extra_forbidden": N_("This field is not part of this provider's settings."),
    "int_parsing": N_("Enter a whole number."),
    "int_type": N_("Enter a whole number."),
    "float_parsing": N_("Enter a number."),
    "decimal_parsing": N_("Enter a number."),
    "bool_parsing": N_("Choose yes or no."),
    "greater_than": N_("This value is too small."),
    "greater_than_equal": N_("This value is too small."),
    "less_than": N_("This value is too large."),
    "less_than_equal": N_("This value is too large."),
    "url_parsing": N_("Enter a valid URL."),
    "enum": N_("Choose one of the allowed values."),
    "literal_error": N_("Choose one of the allowed values."),
}
CONFIG_ERROR_DEFAULT = N_("This value is not valid.")

CHECK_LABELS = {
    "succeeded": N_("Connected"),
    "failed": N_("Refused"),
    "pending": N_("Pending"),
    "unknown": N_("Unknown"),
    "not_submitted": N_("Unreachable"),
    "timeout": N_("Timed out"),
    "error": N_("Provider error"),
}

SERVICE_MESSAGES = (
    N_("no such provider in this category"),
    N_("no such provider category"),
    N_("choose a provider and save its settings before testing"),
)


def config_errors(exc: ProviderConfigInvalid) -> FieldErrors:
    """Field errors of a refused config, keyed by the config field, as translatable messages."""
    errors: FieldErrors = {}
    for error in exc.errors:
        name = error.field.split(".")[0] if error.field != "__root__" else "__all__"
        errors.setdefault(name, CONFIG_ERROR_MESSAGES.get(error.code, CONFIG_ERROR_DEFAULT))
    return errors


def _read_config(form: Form, posted_keys: list[str], fields: list[providers.ConfigFieldView]) -> dict[str, Any]:
    """The posted config: every schema field (booleans from checkboxes), plus any other
    ``config.*`` key so that the schema, not the page, refuses what it does not know."""
    config: dict[str, Any] = {}
    known = {f.name for f in fields}
    for field in fields:
        key = FIELD_PREFIX + field.name
        if field.type == "boolean":
            config[field.name] = form.flag(key)
        elif field.secret:
            config[field.name] = form.raw(key)
        else:
            config[field.name] = form.text(key)
    for key in posted_keys:
        if key.startswith(FIELD_PREFIX) and key[len(FIELD_PREFIX):] not in known:
            config[key[len(FIELD_PREFIX):]] = form.text(key)
    return config


async def _settings_page(
    shell: Shell, ctx: Any, *, views: list[providers.StoreProviderView] | None = None,
    posted: tuple[str, str] | None = None, values: dict[str, Any] | None = None,
    errors: FieldErrors | None = None, status_code: int = 200,
) -> Template:
    views = views if views is not None else await providers.list_store_providers(ctx)
    available = {c.value: providers.available_providers(c.value) for c in ProviderCategory}
    return shell.render("providers/settings.html", {
        "views": views,
        "available": available,
        "category_labels": CATEGORY_LABELS,
        "check_labels": CHECK_LABELS,
        "posted": posted,  # (category, provider) of the form being re-shown with errors
        "values": values or {},
        "errors": errors or {},
        "prefix": FIELD_PREFIX,
    }, status_code=status_code)


class ProviderSettingsPages(Controller):
    path = PAGE
    opt = {"auth": "tenant", "roles": {MANAGER}}
    include_in_schema = False

    @get("/", name="providers:settings")
    async def settings(self, request: Request[Any, Any, Any], ctx: TenantCtx) -> Template:
        shell = await Shell.load(request, ADMIN)
        return await _settings_page(shell, ctx)

    @post("/{category:str}", name="providers:save", status_code=303)
    async def save(self, request: Request[Any, Any, Any], ctx: TenantCtx, category: FromPath[str]
                   ) -> Template | Redirect:
        shell = await Shell.load(request, ADMIN)
        views = await providers.list_store_providers(ctx)  # before the write: the error page needs them
        form = await Form.read(request)
        posted_keys = list((await request.form()).keys())  # litestar parses the body once and caches it
        provider_name = form.text("provider")
        available = {p.name: p for p in providers.available_providers(category)}
        fields = available[provider_name].fields if provider_name in available else []
        config = _read_config(form, posted_keys, fields)
        shown = {k: v for k, v in config.items() if k not in {f.name for f in fields if f.secret}}
        try:
            await providers.set_store_provider(ctx, category, provider_name, config)
        except ProviderConfigInvalid as exc:
            return await _settings_page(shell, ctx, views=views, posted=(category, provider_name), values=shown,
                                        errors=config_errors(exc), status_code=422)
        except PawPayError as exc:
            if not is_form_error(exc):
                raise
            return await _settings_page(shell, ctx, views=views, posted=(category, provider_name), values=shown,
                                        errors=field_errors(exc, rename={"provider_name": "__all__"}),
                                        status_code=422)
        return redirect(PAGE, flash(N_("Provider settings saved.")))

    @post("/{category:str}/test", name="providers:test", status_code=303)
    async def test(self, ctx: TenantCtx, category: FromPath[str]) -> Redirect:
        try:
            check = await providers.check_connection(ctx, category)
        except PawPayError as exc:
            if not is_form_error(exc):
                raise
            return redirect(PAGE, flash(N_("Save this provider's settings before testing the connection."),
                                        "warning"))
        if check.ok:
            return redirect(PAGE, flash(N_("Connection test passed.")))
        return redirect(PAGE, flash(N_("Connection test failed: %(code)s %(detail)s"), "error",
                                    code=check.code or check.status, detail=check.message))


class ProviderOverviewPages(Controller):
    path = "/ops/providers"
    opt = {"auth": "platform", "roles": set(OPERATOR_ROLES)}
    include_in_schema = False

    @get("/", name="providers:overview")
    async def overview(self, request: Request[Any, Any, Any], ctx: OpsCtx) -> Template:
        shell = await Shell.load(request, OPS)
        errors: FieldErrors = {}
        limit, offset = parse_window(request.query_params, errors)
        stores, total = await providers.store_provider_overview(ctx, limit=limit, offset=offset)
        return shell.render("providers/overview.html", {
            "stores": stores,
            "categories": [c.value for c in ProviderCategory],
            "category_labels": CATEGORY_LABELS,
            "check_labels": CHECK_LABELS,
            "pager": Pager(total=total, limit=limit, offset=offset, path="/ops/providers"),
            "errors": errors,
        }, status_code=422 if errors else 200)
