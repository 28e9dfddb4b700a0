"""Operator pages: ``/ops/stores`` (list, and create a store with its manager) and ``/ops/operators``."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.response import Redirect, Template

from pawpay.admin_ui.flash import flash
from pawpay.admin_ui.labels import N_
from pawpay.admin_ui.pages._forms import Form
from pawpay.admin_ui.shell import OPS, FieldErrors, Pager, Shell, field_errors, is_form_error, parse_window, redirect
from pawpay.platform.clock import validate_time_zone
from pawpay.platform.errors import ErrorCode, PawPayError
from pawpay.platform.identity import services as identity
from pawpay.platform.identity.roles import MANAGER, OPERATOR_ROLES, OPS_ADMIN
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

    async def _page(self, request: Request[Any, Any, Any], shell: Shell, ctx: OpsCtx, *,
                    form: dict[str, Any] | None = None, errors: FieldErrors | None = None,
                    status_code: int = 200, preloaded: tuple[list[Any], int, int, int] | None = None) -> Template:
        window_errors: FieldErrors = {}
        if preloaded is None:
            limit, offset = parse_window(request.query_params, window_errors)
            stores, total = await tenancy.list_tenants(ctx, limit=limit, offset=offset)
        else:
            stores, total, limit, offset = preloaded
        return shell.render("shell/stores.html", {
            "stores": stores,
            "pager": Pager(total=total, limit=limit, offset=offset, path="/ops/stores"),
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
        stores, total = await tenancy.list_tenants(ctx, limit=50)
        preloaded = (stores, total, 50, 0)
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
