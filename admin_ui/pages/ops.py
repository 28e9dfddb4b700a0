"""Operator pages: ``/ops/stores`` (the store list with terms, mode, providers and expiry warnings, filters;
create a store with its manager), ``/ops/stores/{id}`` (a store's merchant detail: profile, terms history
and a new version, suspend/reinstate, go-live approval, document expiry, audit history) and ``/ops/operators``."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from pawpay.admin_ui.flash import flash
from pawpay.admin_ui.labels import N_
from pawpay.admin_ui.pages._forms import Form, parse_date
from pawpay.admin_ui.pages.merchants import GO_LIVE_BLOCKERS, labels, profile_field_errors, terms_field_errors
from pawpay.admin_ui.shell import OPS, FieldErrors, Pager, Shell, field_errors, is_form_error, parse_window, redirect
from pawpay.platform.audit.services import AuditFilter, list_entries
from pawpay.platform.clock import validate_time_zone
from pawpay.platform.errors import ErrorCode, PawPayError
from pawpay.platform.identity import services as identity
from pawpay.platform.identity.roles import MANAGER, OPERATOR_ROLES, OPS_ADMIN, OPS_FINANCE, OPS_REVIEWER
from pawpay.platform.merchants import services as merchants
from pawpay.platform.providers import services as providers
from pawpay.platform.tenancy import services as tenancy
from pawpay.platform.web.deps import OpsCtx

DEFAULT_TIME_ZONE = "Asia/Shanghai"
# The store's and its manager's fields share one form: the identity service's names are renamed.
_MANAGER_FIELDS = {"email": "manager_email", "password": "manager_password", "display_name": "manager_name",
                   "tenant_id": "__all__"}


class StorePages(Controller):
    path = "/ops/stores"
    opt = {"auth": "platform"}
    include_in_schema = False

    @staticmethod
    async def _load(request: Request[Any, Any, Any], ctx: OpsCtx) -> dict[str, Any]:
        """The list's data (read before any write: a failed insert aborts the request's transaction)."""
        window_errors: FieldErrors = {}
        query = request.query_params
        status = query.get("status", "") if query.get("status") in ("active", "suspended") else ""
        mode = query.get("mode", "") if query.get("mode") in ("test", "live") else ""
        search = (query.get("q") or "").strip()[:100]
        expiring = query.get("expiring") == "on"
        filters: dict[str, Any] = {"status": status, "mode": mode, "q": search, "expiring": expiring}
        limit, offset = parse_window(query, window_errors)
        stores, total = await merchants.list_stores(
            ctx, status=status or None, mode=mode or None, search=search, expiring=expiring, limit=limit,
            offset=offset,
        )
        overview, _ = await providers.store_provider_overview(ctx, limit=10_000)
        provider_summary = {
            o.tenant_id: [(category, cell.provider_name or "—", cell.is_default)
                          for category, cell in o.providers.items()]
            for o in overview
        }
        kept = {k: ("on" if v is True else v) for k, v in filters.items() if v}
        return {
            "stores": stores,
            "filters": filters,
            "providers": provider_summary,
            "pager": Pager(total=total, limit=limit, offset=offset, path="/ops/stores", params=kept),
            "window_errors": window_errors,
        }

    async def _page(self, request: Request[Any, Any, Any], shell: Shell, ctx: OpsCtx, *,
                    form: dict[str, Any] | None = None, errors: FieldErrors | None = None,
                    status_code: int = 200, preloaded: dict[str, Any] | None = None) -> Template:
        data = preloaded if preloaded is not None else await self._load(request, ctx)
        window_errors = data.pop("window_errors")
        return shell.render("shell/stores.html", {
            **data,
            "can_create": bool(shell.principal.roles & {OPS_ADMIN}),
            "form": form or {"name": "", "slug": "", "time_zone": DEFAULT_TIME_ZONE, "test_mode": True,
                             "manager_email": "", "manager_name": ""},
            "errors": {**window_errors, **(errors or {})},
        }, status_code=422 if window_errors else status_code)

    @get("/", name="shell:stores")
    async def list_stores(self, request: Request[Any, Any, Any], ctx: OpsCtx) -> Template:
        shell = await Shell.load(request, OPS)
        return await self._page(request, shell, ctx)

    @post("/", name="shell:stores-create", opt={"roles": {OPS_ADMIN}}, status_code=303)
    async def create_store(self, request: Request[Any, Any, Any], ctx: OpsCtx) -> Template | Redirect:
        shell = await Shell.load(request, OPS)
        preloaded = await self._load(request, ctx)
        form = await Form.read(request)
        values: dict[str, Any] = {
            "name": form.text("name"), "slug": form.text("slug").lower(),
            "time_zone": form.text("time_zone") or DEFAULT_TIME_ZONE, "test_mode": form.flag("test_mode"),
            "manager_email": form.text("manager_email"), "manager_name": form.text("manager_name"),
        }
        errors = _check_time_zone(values["time_zone"])
        store = None
        if not errors:
            try:
                store = await tenancy.create_tenant(ctx, slug=values["slug"], name=values["name"],
                                                   time_zone=values["time_zone"], test_mode=values["test_mode"])
            except PawPayError as exc:
                errors = _form_errors(exc, {}, {str(ErrorCode.TENANT_SLUG_TAKEN): "slug"})
        if store is not None:
            try:
                # Same request transaction: if the manager cannot be created, the 422 below rolls
                # the store back too.
                await identity.create_staff(ctx, tenant_id=store.id, email=values["manager_email"],
                                            password=form.raw("manager_password"), roles=[MANAGER],
                                            display_name=values["manager_name"])
            except PawPayError as exc:
                errors = _form_errors(exc, _MANAGER_FIELDS)
        if errors or store is None:
            return await self._page(request, shell, ctx, form=values, errors=errors, status_code=422,
                                    preloaded=preloaded)
        return redirect("/ops/stores", flash(N_("Store %(name)s created; its manager can sign in now."),
                                             name=store.name))


    # --- one store ---------------------------------------------------------------------------------

    async def _detail(self, request: Request[Any, Any, Any], shell: Shell, ctx: OpsCtx, tenant_id: uuid.UUID, *,
                      terms_form: dict[str, Any] | None = None, errors: FieldErrors | None = None,
                      status_code: int = 200, profile_form: dict[str, Any] | None = None) -> Template:
        store = await tenancy.get_tenant(ctx, tenant_id)
        profile = await merchants.store_profile(ctx, tenant_id)
        history = await merchants.list_terms(ctx, tenant_id)
        current = history[0] if history else await merchants.store_terms(ctx, tenant_id)
        audit, audit_total = await list_entries(ctx, AuditFilter(tenant_id=tenant_id), limit=50)
        overview, _ = await providers.store_provider_overview(ctx, limit=10_000)
        store_providers = next((o.providers for o in overview if o.tenant_id == tenant_id), {})
        roles = shell.principal.roles
        return shell.render("merchants/store_detail.html", {
            "store": store,
            "profile": profile,
            "terms": current,
            "history": history,
            "terms_form": terms_form or merchants.terms_as_dict(current),
            "profile_form": profile_form or {},
            "reminders": await merchants.list_reminders(ctx, tenant_id),
            "invitations": await identity.list_invitations(ctx, tenant_id=tenant_id),
            "audit": audit,
            "audit_total": audit_total,
            "store_providers": store_providers,
            "blockers": merchants.go_live_blockers(profile, approval=True)
            + (["store_suspended"] if store.status != "active" else []),
            "blocker_labels": GO_LIVE_BLOCKERS,
            "can_edit_terms": bool(roles & {OPS_ADMIN, OPS_FINANCE}),
            "can_manage": bool(roles & {OPS_ADMIN}),
            "can_review": bool(roles & {OPS_ADMIN, OPS_REVIEWER}),
            "errors": errors or {},
            "terms_errors": bool(set(errors or {}) & {*merchants.TERMS_FIELDS, "reason"}),
            **labels(),
        }, status_code=status_code)

    @get("/{tenant_id:uuid}", name="shell:store-detail")
    async def store_detail(self, request: Request[Any, Any, Any], ctx: OpsCtx, tenant_id: FromPath[uuid.UUID]
                           ) -> Template:
        shell = await Shell.load(request, OPS)
        return await self._detail(request, shell, ctx, tenant_id)

    @post("/{tenant_id:uuid}/terms", name="shell:store-terms", opt={"roles": {OPS_ADMIN, OPS_FINANCE}},
          status_code=303)
    async def set_terms(self, request: Request[Any, Any, Any], ctx: OpsCtx, tenant_id: FromPath[uuid.UUID]
                        ) -> Template | Redirect:
        shell = await Shell.load(request, OPS)
        form = await Form.read(request)
        names = (*merchants.TERMS_FIELDS, "reason")
        values = {name: form.text(name) for name in names}
        try:
            terms = merchants.terms_from_form(values)
            view = await merchants.set_terms(ctx, tenant_id, terms, reason=values["reason"])
        except PawPayError as exc:
            if not is_form_error(exc):
                raise
            errors = terms_field_errors(exc) if exc.data.get("field") != "reason" else field_errors(exc)
            return await self._detail(request, shell, ctx, tenant_id, terms_form=values, errors=errors,
                                      status_code=422)
        return redirect(f"/ops/stores/{tenant_id}", flash(N_("Terms version %(version)s saved; it applies to "
                                                             "contracts signed from now on."), version=view.version))

    async def _status_change(self, request: Request[Any, Any, Any], ctx: OpsCtx, tenant_id: uuid.UUID,
                             suspend: bool) -> Template | Redirect:
        shell = await Shell.load(request, OPS)
        form = await Form.read(request)
        try:
            if suspend:
                await merchants.suspend_store(ctx, tenant_id, reason=form.text("status_reason"))
            else:
                await merchants.reinstate_store(ctx, tenant_id, reason=form.text("status_reason"))
        except PawPayError as exc:
            errors = _form_errors(exc, {"reason": "status_reason"})
            return await self._detail(request, shell, ctx, tenant_id, errors=errors, status_code=422)
        message = N_("The store is suspended: no new signings; collections continue.") if suspend \
            else N_("The store is active again.")
        return redirect(f"/ops/stores/{tenant_id}", flash(message))

    @post("/{tenant_id:uuid}/suspend", name="shell:store-suspend", opt={"roles": {OPS_ADMIN}}, status_code=303)
    async def suspend(self, request: Request[Any, Any, Any], ctx: OpsCtx, tenant_id: FromPath[uuid.UUID]
                      ) -> Template | Redirect:
        return await self._status_change(request, ctx, tenant_id, True)

    @post("/{tenant_id:uuid}/reinstate", name="shell:store-reinstate", opt={"roles": {OPS_ADMIN}}, status_code=303)
    async def reinstate(self, request: Request[Any, Any, Any], ctx: OpsCtx, tenant_id: FromPath[uuid.UUID]
                        ) -> Template | Redirect:
        return await self._status_change(request, ctx, tenant_id, False)

    @post("/{tenant_id:uuid}/go-live", name="shell:store-go-live", opt={"roles": {OPS_ADMIN, OPS_REVIEWER}},
          status_code=303)
    async def approve_go_live(self, request: Request[Any, Any, Any], ctx: OpsCtx, tenant_id: FromPath[uuid.UUID]
                              ) -> Template | Redirect:
        shell = await Shell.load(request, OPS)
        form = await Form.read(request)
        try:
            await merchants.approve_go_live(ctx, tenant_id, note=form.text("note"))
        except PawPayError as exc:
            errors = _form_errors(exc, {}, {"MERCHANT_GO_LIVE_NOT_READY": "go_live",
                                            "MERCHANT_ALREADY_LIVE": "go_live"})
            return await self._detail(request, shell, ctx, tenant_id, errors=errors, status_code=422)
        return redirect(f"/ops/stores/{tenant_id}", flash(N_("The store is live: test mode is off and its test "
                                                             "clock is removed.")))

    @post("/{tenant_id:uuid}/expiry", name="shell:store-expiry", opt={"roles": {OPS_ADMIN, OPS_REVIEWER}},
          status_code=303)
    async def update_expiry(self, request: Request[Any, Any, Any], ctx: OpsCtx, tenant_id: FromPath[uuid.UUID]
                            ) -> Template | Redirect:
        shell = await Shell.load(request, OPS)
        form = await Form.read(request)
        errors: FieldErrors = {}
        certificate = parse_date(form.text("certificate_expires_on"), "certificate_expires_on", errors)
        licence = parse_date(form.text("licence_expires_on"), "licence_expires_on", errors)
        if certificate is None and "certificate_expires_on" not in errors:
            errors["certificate_expires_on"] = N_("enter a date as YYYY-MM-DD")
        if not errors:
            try:
                await merchants.update_expiry(ctx, tenant_id, certificate_expires_on=_day(certificate),
                                              licence_expires_on=licence,
                                              certificate_number=form.text("certificate_number") or None,
                                              reason=form.text("expiry_reason"))
            except PawPayError as exc:
                errors = _form_errors(exc, {"reason": "expiry_reason"})
        if errors:
            return await self._detail(request, shell, ctx, tenant_id, errors=errors, status_code=422)
        return redirect(f"/ops/stores/{tenant_id}", flash(N_("Document expiry dates updated.")))


    @post("/{tenant_id:uuid}/profile", name="shell:store-profile", opt={"roles": {OPS_ADMIN}}, status_code=303)
    async def create_profile(self, request: Request[Any, Any, Any], ctx: OpsCtx, tenant_id: FromPath[uuid.UUID]
                             ) -> Template | Redirect:
        """Give a store created without onboarding (the bare form) its merchant profile."""
        shell = await Shell.load(request, OPS)
        form = await Form.read(request)
        errors: FieldErrors = {}
        opened = parse_date(form.text("opened_on"), "opened_on", errors)
        certificate = parse_date(form.text("certificate_expires_on"), "certificate_expires_on", errors)
        licence = parse_date(form.text("licence_expires_on"), "licence_expires_on", errors)
        for name, value in (("opened_on", opened), ("certificate_expires_on", certificate)):
            if value is None and name not in errors:
                errors[name] = N_("enter a date as YYYY-MM-DD")
        values = {name: form.text(name) for name in PROFILE_TEXT_FIELDS}
        if not errors:
            try:
                await merchants.create_profile(ctx, tenant_id, merchants.StoreProfileInput(
                    **values, legal_rep_id_number=form.text("legal_rep_id_number"), opened_on=_day(opened),
                    certificate_expires_on=_day(certificate), licence_expires_on=licence,
                    quality=form.flag("quality")))
            except PawPayError as exc:
                errors = profile_field_errors(exc) if is_form_error(exc) else _form_errors(exc, {})
        if errors:
            return await self._detail(request, shell, ctx, tenant_id, errors=errors, status_code=422,
                                      profile_form={**values, **{k: form.text(k) for k in PROFILE_DATE_FIELDS},
                                                    "quality": form.flag("quality")})
        return redirect(f"/ops/stores/{tenant_id}", flash(N_("Merchant profile saved.")))

    @post("/{tenant_id:uuid}/invite", name="shell:store-invite", opt={"roles": {OPS_ADMIN}}, status_code=303)
    async def invite_manager(self, request: Request[Any, Any, Any], ctx: OpsCtx, tenant_id: FromPath[uuid.UUID]
                             ) -> Template | Redirect:
        """A new invitation for the store's manager (e.g. the first one expired): the link is shown once."""
        shell = await Shell.load(request, OPS)
        form = await Form.read(request)
        try:
            await tenancy.get_tenant(ctx, tenant_id)
            url, view = await identity.create_invitation(ctx, tenant_id=tenant_id, email=form.text("invite_email"),
                                                         display_name=form.text("invite_name"), roles=[MANAGER])
        except PawPayError as exc:
            errors = _form_errors(exc, {"email": "invite_email", "display_name": "invite_name"})
            return await self._detail(request, shell, ctx, tenant_id, errors=errors, status_code=422)
        link = f"{request.base_url}".rstrip("/") + url
        return redirect(f"/ops/stores/{tenant_id}", flash(
            N_("Invitation for %(email)s created. Send this link (valid 7 days, shown only now): %(link)s"),
            email=view.email, link=link))


PROFILE_TEXT_FIELDS = ("legal_name", "uscc", "legal_rep_name", "contact_name", "contact_phone", "contact_email",
                       "region", "address", "certificate_number")
PROFILE_DATE_FIELDS = ("opened_on", "certificate_expires_on", "licence_expires_on")


def _day(value: date | None) -> date:
    assert value is not None
    return value


def _check_time_zone(name: str) -> FieldErrors:
    """The service checks too (with the same helper); this gives the form a translated message."""
    try:
        validate_time_zone(name)
    except ValueError:
        return {"time_zone": N_("unknown time zone; use a name such as Asia/Shanghai")}
    return {}


def _form_errors(exc: PawPayError, rename: dict[str, str], by_code: dict[str, str] | None = None) -> FieldErrors:
    """Input errors become field errors; anything else (a bug, a lost connection) propagates."""
    if not is_form_error(exc):
        raise exc
    return field_errors(exc, rename, by_code)


class OperatorPages(Controller):
    path = "/ops/operators"
    opt = {"auth": "platform", "roles": {OPS_ADMIN}}
    include_in_schema = False

    @staticmethod
    def _page(shell: Shell, operators: list[identity.AccountView], *, form: dict[str, Any] | None = None,
              errors: FieldErrors | None = None, status_code: int = 200) -> Template:
        return shell.render("shell/operators.html", {
            "operators": operators,
            "roles": OPERATOR_ROLES,
            "form": form or {"email": "", "display_name": "", "roles": []},
            "errors": errors or {},
        }, status_code=status_code)

    @get("/", name="shell:operators")
    async def list_operators(self, request: Request[Any, Any, Any], ctx: OpsCtx) -> Template:
        shell = await Shell.load(request, OPS)
        return self._page(shell, await identity.list_operators(ctx))

    @post("/", name="shell:operators-create", status_code=303)
    async def create_operator(self, request: Request[Any, Any, Any], ctx: OpsCtx) -> Template | Redirect:
        shell = await Shell.load(request, OPS)
        operators = await identity.list_operators(ctx)
        form = await Form.read(request)
        values: dict[str, Any] = {"email": form.text("email"), "display_name": form.text("display_name"),
                  "roles": form.all("roles")}
        try:
            view = await identity.create_operator(ctx, email=values["email"], password=form.raw("password"),
                                                  roles=values["roles"], display_name=values["display_name"])
        except PawPayError as exc:
            if not is_form_error(exc):
                raise
            return self._page(shell, operators, form=values, errors=field_errors(exc), status_code=422)
        return redirect("/ops/operators", flash(N_("Added operator %(email)s."), email=view.email))
