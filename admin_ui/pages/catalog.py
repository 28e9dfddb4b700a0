"""The store's catalog pages (``/admin/catalog``): SKUs and services. Managers add, edit,
deactivate and delete (an item a plan lists is only deactivated); sales staff read."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from pawpay.admin_ui.flash import flash
from pawpay.admin_ui.labels import N_
from pawpay.admin_ui.pages._forms import Form
from pawpay.admin_ui.shell import ADMIN, FieldErrors, Pager, Shell, field_errors, is_form_error, parse_window, redirect
from pawpay.platform.errors import NotFound, PawPayError
from pawpay.platform.hooks.types import NavItem
from pawpay.platform.identity.roles import FRONT_DESK, MANAGER
from pawpay.platform.web.deps import TenantCtx
from pawpay.tenants.catalog import services as catalog
from pawpay.tenants.catalog.rules import SERVICE_KINDS, SKU_KINDS

PAGE = "/admin/catalog"

SKU_KIND_LABELS = {
    "food": N_("Food"),
    "litter": N_("Litter"),
    "paste": N_("Nutrition paste"),
    "treat": N_("Treats"),
    "supply": N_("Supplies"),
}
SERVICE_KIND_LABELS = {
    "grooming": N_("Grooming"),
    "deworming": N_("Deworming"),
    "vaccine": N_("Vaccine"),
    "checkup": N_("Check-up"),
}
SERVICE_MESSAGES = (
    N_("a code is 1-64 letters, digits, '.', '_' or '-'"),
    N_("this field is required"),
    N_("this is too long"),
    N_("choose one of the allowed kinds"),
    N_("another catalog sku of this store has this code"),
    N_("another catalog service of this store has this code"),
    N_("a plan lists this item: its code can no longer change"),
    N_("an inactive catalog item cannot be added to a plan"),
)


def _can_edit(shell: Shell) -> bool:
    return MANAGER in shell.principal.roles


def _sku_input(form: Form) -> catalog.SkuInput:
    return catalog.SkuInput(code=form.text("code"), name=form.text("name"), kind=form.text("kind"),
                            unit=form.text("unit"), specification=form.text("specification"),
                            warehouse_sku_code=form.text("warehouse_sku_code"), active=True)


def _service_input(form: Form) -> catalog.ServiceInput:
    return catalog.ServiceInput(code=form.text("code"), name=form.text("name"), kind=form.text("kind"), active=True)


async def _list_page(shell: Shell, request: Request[Any, Any, Any], ctx: Any, *, form: str | None = None,
                     values: dict[str, str] | None = None, errors: FieldErrors | None = None,
                     status_code: int = 200) -> Template:
    query = request.query_params
    list_errors: FieldErrors = {}
    limit, offset = parse_window(query, list_errors)
    kind = query.get("kind") or None
    if kind and kind not in SKU_KINDS:
        list_errors["kind"] = N_("choose one of the allowed kinds")
        kind = None
    search = (query.get("q") or "").strip()[:100] or None
    active_only = query.get("active") == "1"
    skus, total = await catalog.list_skus(ctx, kind=kind, active_only=active_only, search=search, limit=limit,
                                          offset=offset)
    services, _ = await catalog.list_services(ctx, search=search, active_only=active_only, limit=200)
    filters = {"kind": kind or "", "q": search or "", "active": "1" if active_only else ""}
    return shell.render("catalog/list.html", {
        "skus": skus, "services": services, "filters": filters, "list_errors": list_errors,
        "pager": Pager(total=total, limit=limit, offset=offset, path=PAGE, params=filters),
        "sku_kinds": [(k, SKU_KIND_LABELS[k]) for k in SKU_KINDS],
        "service_kinds": [(k, SERVICE_KIND_LABELS[k]) for k in SERVICE_KINDS],
        "kind_labels": {**SKU_KIND_LABELS, **SERVICE_KIND_LABELS},
        "can_edit": _can_edit(shell), "form": form, "values": values or {}, "errors": errors or {},
    }, status_code=422 if list_errors and status_code == 200 else status_code)


class CatalogPages(Controller):
    path = PAGE
    opt = {"auth": "tenant", "roles": {MANAGER, FRONT_DESK}}
    include_in_schema = False

    @get("/", name="catalog:list")
    async def index(self, request: Request[Any, Any, Any], ctx: TenantCtx) -> Template:
        shell = await Shell.load(request, ADMIN)
        return await _list_page(shell, request, ctx)

    @post("/skus", name="catalog:sku_create", opt={"roles": {MANAGER}}, status_code=303)
    async def create_sku(self, request: Request[Any, Any, Any], ctx: TenantCtx) -> Template | Redirect:
        shell = await Shell.load(request, ADMIN)
        form = await Form.read(request)
        try:
            view = await catalog.create_sku(ctx, _sku_input(form))
        except PawPayError as exc:
            if not is_form_error(exc):
                raise
            return await _list_page(shell, request, ctx, form="sku", values=_values(form), errors=field_errors(exc),
                                    status_code=422)
        return redirect(PAGE, flash(N_("Added %(code)s."), code=view.code))

    @post("/services", name="catalog:service_create", opt={"roles": {MANAGER}}, status_code=303)
    async def create_service(self, request: Request[Any, Any, Any], ctx: TenantCtx) -> Template | Redirect:
        shell = await Shell.load(request, ADMIN)
        form = await Form.read(request)
        try:
            view = await catalog.create_service(ctx, _service_input(form))
        except PawPayError as exc:
            if not is_form_error(exc):
                raise
            return await _list_page(shell, request, ctx, form="service", values=_values(form),
                                    errors=field_errors(exc), status_code=422)
        return redirect(PAGE, flash(N_("Added %(code)s."), code=view.code))

    @get("/{item_type:str}/{item_id:uuid}", name="catalog:edit")
    async def edit(self, request: Request[Any, Any, Any], ctx: TenantCtx, item_type: FromPath[str],
                   item_id: FromPath[uuid.UUID]) -> Template:
        shell = await Shell.load(request, ADMIN)
        item = await _get(ctx, item_type, item_id)
        return _edit_page(shell, item_type, item, {}, {})

    @post("/{item_type:str}/{item_id:uuid}", name="catalog:save", opt={"roles": {MANAGER}}, status_code=303)
    async def save(self, request: Request[Any, Any, Any], ctx: TenantCtx, item_type: FromPath[str],
                   item_id: FromPath[uuid.UUID]) -> Template | Redirect:
        shell = await Shell.load(request, ADMIN)
        item = await _get(ctx, item_type, item_id)
        form = await Form.read(request)
        try:
            if item_type == "skus":
                data = _sku_input(form)
                view: Any = await catalog.update_sku(ctx, item_id, catalog.SkuInput(
                    **{**_fields(data), "active": item.active}))
            else:
                data2 = _service_input(form)
                view = await catalog.update_service(ctx, item_id, catalog.ServiceInput(
                    **{**_fields(data2), "active": item.active}))
        except PawPayError as exc:
            if not is_form_error(exc):
                raise
            return _edit_page(shell, item_type, item, _values(form), field_errors(exc), status_code=422)
        return redirect(PAGE, flash(N_("Saved %(code)s."), code=view.code))

    @post("/{item_type:str}/{item_id:uuid}/{action:str}", name="catalog:action", opt={"roles": {MANAGER}},
          status_code=303)
    async def action(self, ctx: TenantCtx, item_type: FromPath[str], item_id: FromPath[uuid.UUID],
                     action: FromPath[str]) -> Redirect:
        item = await _get(ctx, item_type, item_id)
        skus = item_type == "skus"
        if action in ("activate", "deactivate"):
            setter = catalog.set_sku_active if skus else catalog.set_service_active
            await setter(ctx, item_id, action == "activate")
            message = N_("Activated %(code)s.") if action == "activate" else N_("Deactivated %(code)s.")
            return redirect(PAGE, flash(message, code=item.code))
        if action == "delete":
            deleted = await (catalog.delete_sku if skus else catalog.delete_service)(ctx, item_id)
            if deleted:
                return redirect(PAGE, flash(N_("Deleted %(code)s."), code=item.code))
            return redirect(PAGE, flash(N_("%(code)s is listed by a plan, so it was deactivated instead of deleted."),
                                        "warning", code=item.code))
        raise NotFound("no such action")


def _fields(data: Any) -> dict[str, Any]:
    return {name: getattr(data, name) for name in data.__dataclass_fields__ if name != "active"}


def _values(form: Form) -> dict[str, str]:
    names = ("code", "name", "kind", "unit", "specification", "warehouse_sku_code")
    return {name: form.text(name) for name in names}


async def _get(ctx: Any, item_type: str, item_id: uuid.UUID) -> Any:
    if item_type == "skus":
        return await catalog.get_sku(ctx, item_id)
    if item_type == "services":
        return await catalog.get_service(ctx, item_id)
    raise NotFound("no such page")


def _edit_page(shell: Shell, item_type: str, item: Any, values: dict[str, str], errors: FieldErrors,
               status_code: int = 200) -> Template:
    current = values or {name: getattr(item, name, "") for name in
                         ("code", "name", "kind", "unit", "specification", "warehouse_sku_code")}
    return shell.render("catalog/edit.html", {
        "item": item, "item_type": item_type, "values": current, "errors": errors, "can_edit": _can_edit(shell),
        "kinds": ([(k, SKU_KIND_LABELS[k]) for k in SKU_KINDS] if item_type == "skus"
                  else [(k, SERVICE_KIND_LABELS[k]) for k in SERVICE_KINDS]),
    }, status_code=status_code)


ROUTES: list[Any] = [CatalogPages]
NAV: dict[str, list[NavItem]] = {
    ADMIN: [NavItem(N_("Catalog"), PAGE, frozenset({MANAGER, FRONT_DESK}), order=20)],
}
