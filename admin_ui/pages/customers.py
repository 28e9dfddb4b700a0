"""Customer pages (``/admin/customers``): the store's customers (name, phone and ID number only ever
masked), a customer's pets, contracts with their installments, messages and history. Managers and
front-desk staff add customers and pets; after-sales and finance staff read."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from pawpay.admin_ui.flash import flash
from pawpay.admin_ui.labels import N_
from pawpay.admin_ui.pages._forms import Form, parse_date, parse_uuid
from pawpay.admin_ui.pages.contracts import INSTALLMENT_LABELS, STATE_LABELS
from pawpay.admin_ui.pages.plans import STAGE_LABELS
from pawpay.admin_ui.shell import ADMIN, FieldErrors, Pager, Shell, field_errors, is_form_error, parse_window, redirect
from pawpay.platform.errors import NotFound, PawPayError
from pawpay.platform.hooks.types import NavItem
from pawpay.platform.identity.roles import AFTER_SALES, FINANCE, FRONT_DESK, MANAGER
from pawpay.platform.web.deps import TenantCtx
from pawpay.tenants.catalog import services as catalog
from pawpay.tenants.contracts import services as contracts
from pawpay.tenants.customers import services as customers
from pawpay.tenants.plans import services as plans
from pawpay.tenants.plans import stages
from pawpay.tenants.plans.services import ContentInput

PAGE = "/admin/customers"
STAFF_ROLES = frozenset({MANAGER, FRONT_DESK, AFTER_SALES, FINANCE})
EDIT_ROLES = frozenset({MANAGER, FRONT_DESK})
# A pet's diet override is the manager's or after-sales' call (e.g. a pet-health case).
OVERRIDE_ROLES = frozenset({MANAGER, AFTER_SALES})
OVERRIDE_LINES = 3  # rows of the explicit-lines form
OVERRIDE_FIELDS = {"reason": "override_reason", "plan_id": "override_plan_id", "lines": "override_lines"}

SPECIES_LABELS = {"cat": N_("Cat"), "dog": N_("Dog")}
CHANNEL_LABELS = {"sms": N_("SMS"), "mini_program": N_("Mini-program")}
MESSAGE_STATUS_LABELS = {
    "succeeded": N_("Sent"),
    "pending": N_("Sending"),
    "failed": N_("Failed"),
    "not_submitted": N_("Not sent"),
    "unknown": N_("Unknown"),
    "error": N_("Not sent"),
}
ACTION_LABELS = {
    "customer.created": N_("Customer added"),
    "customer.updated": N_("Customer details updated"),
    "customer.tags_set": N_("Tags changed"),
    "customer.pet_added": N_("Pet added"),
    "customer.pet_updated": N_("Pet updated"),
    "plans.pet_override_set": N_("Pet's contents overridden"),
    "plans.pet_override_cleared": N_("Pet's override cleared"),
}
# The services' error details, for the catalogs (shown translated next to the field).
SERVICE_MESSAGES = (
    N_("a resident ID number has 18 characters"),
    N_("the resident ID number is invalid (check digit or birth date)"),
    N_("the birth date in the ID number is in the future"),
    N_("an 11-digit mainland mobile number is required"),
    N_("a name of 1 to 50 characters is required"),
    N_("the species is cat or dog"),
    N_("the pet's birthday is in the future"),
    N_("the pet's birthday is after its adoption date"),
    N_("the pet needs a name"),
    N_("this customer is being created by another request; try again"),
    N_("a tag has at most 32 characters"),
    N_("at most 20 tags"),
    N_("give a reason"),
    N_("the reason is at most 500 characters"),
    N_("choose either a plan or explicit lines"),
    N_("the plan is for another species"),
    N_("at least one line"),
    N_("quantities are whole numbers from 1 to 999"),
    N_("no such catalog item"),
)


def _can_edit(shell: Shell) -> bool:
    return bool(EDIT_ROLES.intersection(shell.principal.roles))


def _can_override(shell: Shell) -> bool:
    return bool(OVERRIDE_ROLES.intersection(shell.principal.roles))


def _first_period_on_or_after(schedule: list[Any], day: Any) -> Any:
    """The installment whose period is the first to ship on or after ``day`` (the switch period)."""
    return next((i for i in schedule if i.due_on >= day), None)


async def _list_page(shell: Shell, request: Request[Any, Any, Any], ctx: Any, *, values: dict[str, str] | None = None,
                     errors: FieldErrors | None = None, status_code: int = 200) -> Template:
    query = request.query_params
    list_errors: FieldErrors = {}
    limit, offset = parse_window(query, list_errors)
    search = (query.get("q") or "").strip()[:50]
    tag = (query.get("tag") or "").strip()[:32] or None
    views, total = await customers.list_customers(ctx, search=search, tag=tag, limit=limit, offset=offset)
    filters = {"q": search, "tag": tag or ""}
    return shell.render("customers/list.html", {
        "customers": views, "filters": filters, "list_errors": list_errors,
        "pager": Pager(total=total, limit=limit, offset=offset, path=PAGE, params=filters),
        "can_edit": _can_edit(shell), "values": values or {}, "errors": errors or {},
    }, status_code=422 if list_errors and status_code == 200 else status_code)


async def _detail_page(shell: Shell, ctx: Any, customer_id: uuid.UUID, *, values: dict[str, str] | None = None,
                       errors: FieldErrors | None = None, status_code: int = 200) -> Template:
    customer = await customers.get_customer(ctx, customer_id)
    pets = await customers.list_pets(ctx, customer_id)
    signed, _ = await contracts.list_contracts(ctx, customer_id=customer_id, limit=200)
    schedules = {c.id: await contracts.installments(ctx, c.id) for c in signed}
    pet_stages = {p.id: await stages.pet_stage(ctx, p.id) for p in pets}
    switch_periods: dict[uuid.UUID, Any] = {}
    for c in signed:
        view = pet_stages.get(c.pet_id)
        if c.state == "active" and view is not None and view.next_stage_on is not None:
            switch_periods[c.pet_id] = (c, _first_period_on_or_after(schedules[c.id], view.next_stage_on))
    can_override = _can_override(shell)
    plan_options: dict[str, list[tuple[str, str]]] = {}
    sku_options: list[tuple[str, str]] = []
    if can_override and pets:
        for plan in await plans.list_plans(ctx):
            plan_options.setdefault(plan.species, []).append((str(plan.id), plan.name))
        skus, _ = await catalog.list_skus(ctx, active_only=True, limit=200)
        sku_options = [(str(x.id), f"{x.name} ({x.code})") for x in skus]
    return shell.render("customers/detail.html", {
        "customer": customer, "pets": {p.id: p for p in pets}, "pet_list": pets, "contracts": signed,
        "schedules": schedules, "messages": await customers.list_messages(ctx, customer_id),
        "history": await customers.history(ctx, customer_id),
        "species": list(SPECIES_LABELS.items()), "species_labels": SPECIES_LABELS,
        "channel_labels": CHANNEL_LABELS, "message_status_labels": MESSAGE_STATUS_LABELS,
        "action_labels": ACTION_LABELS, "state_labels": STATE_LABELS, "installment_labels": INSTALLMENT_LABELS,
        "can_edit": _can_edit(shell),
        "pet_stages": pet_stages, "switch_periods": switch_periods, "stage_labels": STAGE_LABELS,
        "can_override": can_override, "plan_options": plan_options, "sku_options": sku_options,
        "override_lines": range(1, OVERRIDE_LINES + 1),
        "values": values or {}, "errors": errors or {},
    }, status_code=status_code)


def _values(form: Form, *names: str) -> dict[str, str]:
    return {name: form.text(name) for name in names}


class CustomerPages(Controller):
    path = PAGE
    opt = {"auth": "tenant", "roles": set(STAFF_ROLES)}
    include_in_schema = False

    @get("/", name="customers:list")
    async def index(self, request: Request[Any, Any, Any], ctx: TenantCtx) -> Template:
        shell = await Shell.load(request, ADMIN)
        return await _list_page(shell, request, ctx)

    @post("/", name="customers:create", opt={"roles": set(EDIT_ROLES)}, status_code=303)
    async def create(self, request: Request[Any, Any, Any], ctx: TenantCtx) -> Template | Redirect:
        shell = await Shell.load(request, ADMIN)
        form = await Form.read(request)
        try:
            view = await customers.upsert_customer(
                ctx, name=form.text("name"), phone=form.text("phone"), id_number=form.text("id_number"),
                region=form.text("region"), address=form.text("address"),
                tags=[t for t in form.text("tags").replace("，", ",").split(",") if t.strip()] or None)
        except PawPayError as exc:
            if not is_form_error(exc):
                raise
            # Never echo the ID number back into the page.
            return await _list_page(shell, request, ctx, values=_values(form, "name", "phone", "region", "tags"),
                                    errors=field_errors(exc), status_code=422)
        return redirect(f"{PAGE}/{view.id}", flash(N_("Saved customer %(name)s."), name=view.name_masked))

    @get("/{customer_id:uuid}", name="customers:detail")
    async def detail(self, request: Request[Any, Any, Any], ctx: TenantCtx, customer_id: FromPath[uuid.UUID]
                     ) -> Template:
        shell = await Shell.load(request, ADMIN)
        return await _detail_page(shell, ctx, customer_id)

    @post("/{customer_id:uuid}/pets", name="customers:add_pet", opt={"roles": set(EDIT_ROLES)}, status_code=303)
    async def add_pet(self, request: Request[Any, Any, Any], ctx: TenantCtx, customer_id: FromPath[uuid.UUID]
                      ) -> Template | Redirect:
        shell = await Shell.load(request, ADMIN)
        form = await Form.read(request)
        errors: FieldErrors = {}
        birthday = parse_date(form.text("birthday"), "birthday", errors)
        adoption = parse_date(form.text("adoption_date"), "adoption_date", errors)
        values = _values(form, "name", "species", "breed", "birthday", "adoption_date", "health_notes")
        if birthday is None and "birthday" not in errors:
            errors["birthday"] = N_("this field is required")
        if errors or birthday is None:
            return await _detail_page(shell, ctx, customer_id, values=values, errors=errors, status_code=422)
        try:
            pet = await customers.add_pet(ctx, customer_id, name=form.text("name"), species=form.text("species"),
                                          birthday=birthday, breed=form.text("breed"), adoption_date=adoption,
                                          health_notes=form.text("health_notes"))
        except PawPayError as exc:
            if not is_form_error(exc):
                raise
            return await _detail_page(shell, ctx, customer_id, values=values, errors=field_errors(exc),
                                      status_code=422)
        return redirect(f"{PAGE}/{customer_id}", flash(N_("Added pet %(name)s."), name=pet.name))

    @post("/{customer_id:uuid}/tags", name="customers:tags", opt={"roles": set(EDIT_ROLES)}, status_code=303)
    async def set_tags(self, request: Request[Any, Any, Any], ctx: TenantCtx, customer_id: FromPath[uuid.UUID]
                       ) -> Template | Redirect:
        shell = await Shell.load(request, ADMIN)
        form = await Form.read(request)
        tags = [t for t in form.text("tags").replace("，", ",").split(",") if t.strip()]
        try:
            await customers.set_tags(ctx, customer_id, tags)
        except PawPayError as exc:
            if not is_form_error(exc):
                raise
            return await _detail_page(shell, ctx, customer_id, values={"tags": form.text("tags")},
                                      errors=field_errors(exc), status_code=422)
        return redirect(f"{PAGE}/{customer_id}", flash(N_("Tags saved.")))

    @post("/{customer_id:uuid}/pets/{pet_id:uuid}/override", name="customers:pet_override",
          opt={"roles": set(OVERRIDE_ROLES)}, status_code=303)
    async def set_override(self, request: Request[Any, Any, Any], ctx: TenantCtx, customer_id: FromPath[uuid.UUID],
                           pet_id: FromPath[uuid.UUID]) -> Template | Redirect:
        shell = await Shell.load(request, ADMIN)
        pet = await _customers_pet(ctx, customer_id, pet_id)
        form = await Form.read(request)
        values = {"override_pet": str(pet_id), **_values(form, "override_plan_id", "override_reason"),
                  **_values(form, *(f"line_sku_{n}" for n in range(1, OVERRIDE_LINES + 1))),
                  **_values(form, *(f"line_quantity_{n}" for n in range(1, OVERRIDE_LINES + 1)))}
        errors: FieldErrors = {}
        plan_id = parse_uuid(form.text("override_plan_id"), "override_plan_id", errors)
        lines: list[ContentInput] = []
        for n in range(1, OVERRIDE_LINES + 1):
            sku_id = parse_uuid(form.text(f"line_sku_{n}"), "override_lines", errors)
            if sku_id is None:
                continue
            quantity = form.text(f"line_quantity_{n}") or "1"
            if not quantity.isdigit():
                errors["override_lines"] = N_("quantities are whole numbers from 1 to 999")
                continue
            lines.append(ContentInput("sku", sku_id, int(quantity)))
        if errors:
            return await _detail_page(shell, ctx, customer_id, values=values, errors=errors, status_code=422)
        try:
            await stages.set_override(ctx, pet.id, reason=form.text("override_reason"), plan_id=plan_id, lines=lines)
        except PawPayError as exc:
            if not is_form_error(exc) and exc.http_status != 404:
                raise
            return await _detail_page(shell, ctx, customer_id, values=values,
                                      errors=field_errors(exc, rename=OVERRIDE_FIELDS), status_code=422)
        return redirect(f"{PAGE}/{customer_id}", flash(N_("Saved the override for %(name)s."), name=pet.name))

    @post("/{customer_id:uuid}/pets/{pet_id:uuid}/override/clear", name="customers:pet_override_clear",
          opt={"roles": set(OVERRIDE_ROLES)}, status_code=303)
    async def clear_override(self, request: Request[Any, Any, Any], ctx: TenantCtx,
                             customer_id: FromPath[uuid.UUID], pet_id: FromPath[uuid.UUID]) -> Template | Redirect:
        shell = await Shell.load(request, ADMIN)
        pet = await _customers_pet(ctx, customer_id, pet_id)
        form = await Form.read(request)
        try:
            await stages.clear_override(ctx, pet.id, reason=form.text("clear_reason"))
        except PawPayError as exc:
            if not is_form_error(exc):
                raise
            return await _detail_page(shell, ctx, customer_id, values={"override_pet": str(pet_id)},
                                      errors=field_errors(exc, rename={"reason": "clear_reason"}), status_code=422)
        return redirect(f"{PAGE}/{customer_id}", flash(N_("Cleared the override for %(name)s."), name=pet.name))


async def _customers_pet(ctx: Any, customer_id: uuid.UUID, pet_id: uuid.UUID) -> Any:
    """The pet, if it is this customer's (another customer's pet in the path is missing here)."""
    pet = await customers.get_pet(ctx, pet_id)
    if pet.customer_id != customer_id:
        raise NotFound("pet not found")
    return pet


ROUTES: list[Any] = [CustomerPages]
NAV: dict[str, list[NavItem]] = {
    ADMIN: [NavItem(N_("Customers"), PAGE, STAFF_ROLES, order=30)],
}
