"""Plan pages (``/admin/plans``) and the printable QR posters.

Managers create and edit plans (every save of changed terms is a new version; signed contracts
keep theirs), confirm a monthly amount outside the operator's policy bounds, see the payment
rail's refusal as a field error, set the store's stage boundaries and print a QR poster per plan.
Sales staff read everything and print posters.
"""

from __future__ import annotations

import io
import re
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any, Final

import segno
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from pawpay.admin_ui.flash import flash
from pawpay.admin_ui.labels import N_
from pawpay.admin_ui.pages._forms import Form, parse_uuid, parse_yuan
from pawpay.admin_ui.shell import ADMIN, NON_FIELD, FieldErrors, Shell, field_errors, is_form_error, redirect
from pawpay.platform.errors import NotFound, PawPayError
from pawpay.platform.hooks.types import NavItem
from pawpay.platform.identity.roles import FRONT_DESK, MANAGER
from pawpay.platform.money import yuan
from pawpay.platform.tenancy import services as tenancy
from pawpay.platform.web.deps import TenantCtx
from pawpay.tenants.catalog import services as catalog
from pawpay.tenants.plans import rules
from pawpay.tenants.plans import services as plans
from pawpay.tenants.plans.errors import AmountExceedsRailLimit, AmountNeedsConfirmation
from pawpay.tenants.plans.services import ContentInput, PlanInput, PlanView

PAGE: Final = "/admin/plans"
POSTER_SIZES: Final = ("A4", "A5")

SPECIES_LABELS = {"cat": N_("Cat"), "dog": N_("Dog")}
STAGE_LABELS = {"kitten": N_("Kitten"), "puppy": N_("Puppy"), "junior": N_("Junior"), "adult": N_("Adult")}
DEBIT_DAY_LABELS = {5: N_("the 5th"), 10: N_("the 10th"), 15: N_("the 15th")}
# The services' error details, extracted for the catalogs (the page shows them translated).
SERVICE_MESSAGES = (
    N_("a plan needs a name of at most 200 characters"),
    N_("the species is cat or dog"),
    N_("this stage does not exist for this species"),
    N_("the breed is at most 100 characters"),
    N_("a plan has 12 to 24 periods"),
    N_("amounts are integer fen"),
    N_("the amount is out of range"),
    N_("the gift is at most 200 characters"),
    N_("choose debit days among the 5th, 10th and 15th"),
    N_("the penalty rate is 0 to 10000 basis points"),
    N_("the description is at most 2000 characters"),
    N_("at most 50 lines per period"),
    N_("a line is a SKU or a service"),
    N_("quantities are whole numbers from 1 to 999"),
    N_("a plan cannot be its own next stage"),
    N_("the next-stage plan does not exist in this store"),
    N_("the next-stage plan must be a later stage of the same species"),
    N_("the plan was changed since you opened it; reload and try again"),
    N_("the junior stage starts between 1 and 120 months"),
    N_("the adult stage starts after the junior stage (at most 240 months)"),
    N_("the store has no usable payments provider; configure one in settings"),
    N_("an inactive catalog item cannot be added to a plan"),
)
# Service details with numbers in them: the page shows its own message for the field instead.
FIELD_MESSAGES = {
    "cooling_off_days": N_("The cooling-off period is outside the range allowed by the store's terms."),
    "overrides": N_("An override names a period that the plan does not have."),
}
RENAME = {"monthly_amount_fen": "monthly_amount", "gift_value_fen": "gift_value", "penalty_rate_bp": "penalty_percent",
          "period_overrides": "overrides", "category": NON_FIELD, "next_stage_plan_id": "next_stage_plan_id"}
_OVERRIDE_LINE = re.compile(r"^\s*(\d{1,2})\s*[:：]\s*(.*)$")
_OVERRIDE_ITEM = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]{0,63})\s*(?:[*×xX]\s*(\d{1,3}))?\s*$")


def _can_edit(shell: Shell) -> bool:
    return MANAGER in shell.principal.roles


def parse_whole(raw: str, name: str, errors: FieldErrors, *, required: bool = True) -> int | None:
    if not raw.strip():
        if required:
            errors[name] = N_("must be a whole number")
        return None
    try:
        return int(raw.strip())
    except ValueError:
        errors[name] = N_("must be a whole number")
        return None


def parse_percent(raw: str, errors: FieldErrors) -> int | None:
    """``"10"`` or ``"12.5"`` percent as basis points."""
    try:
        value = Decimal(raw.strip() or "10")
    except InvalidOperation:
        value = Decimal(-1)
    if not value.is_finite() or not 0 <= value <= 100 or value != value.quantize(Decimal("0.01")):
        errors["penalty_percent"] = N_("Enter a percentage from 0 to 100.")
        return None
    return int(value * 100)


def percent(bp: int) -> str:
    whole, frac = divmod(bp, 100)
    return str(whole) if frac == 0 else f"{whole}.{frac:02d}".rstrip("0")


# --- the editor ---------------------------------------------------------------------------------

async def _catalog_items(ctx: Any) -> list[dict[str, Any]]:
    skus, _ = await catalog.list_skus(ctx, active_only=True, limit=200)
    services, _ = await catalog.list_services(ctx, active_only=True, limit=200)
    return ([{"type": "sku", "id": s.id, "code": s.code, "name": s.name, "kind": s.kind, "unit": s.unit,
              "specification": s.specification} for s in skus]
            + [{"type": "service", "id": s.id, "code": s.code, "name": s.name, "kind": s.kind, "unit": "",
                "specification": ""} for s in services])


def _overrides_text(view: PlanView) -> str:
    return "\n".join(f"{period}: " + ", ".join(f"{line.code}*{line.quantity}" for line in lines)
                     for period, lines in sorted(view.period_overrides.items()))


def _values_of(view: PlanView | None) -> dict[str, Any]:
    if view is None:
        return {"species": "cat", "stage": "kitten", "periods": "12", "debit_days": [5, 10, 15],
                "penalty_percent": "10", "qty": {}, "overrides": ""}
    return {
        "name": view.name, "species": view.species, "stage": view.stage, "breed": view.breed,
        "periods": str(view.periods), "monthly_amount": yuan(view.monthly_amount_fen), "gift_text": view.gift_text,
        "gift_value": yuan(view.gift_value_fen) if view.gift_value_fen else "", "debit_days": list(view.debit_days),
        "penalty_percent": percent(view.penalty_rate_bp), "cooling_off_days": str(view.cooling_off_days),
        "next_stage_plan_id": str(view.next_stage_plan_id or ""), "description": view.description,
        "qty": {f"{line.item_type}:{line.item_id}": str(line.quantity) for line in view.contents},
        "overrides": _overrides_text(view), "base_version": str(view.version),
    }


def _read_values(form: Form, items: list[dict[str, Any]]) -> dict[str, Any]:
    names = ("name", "species", "stage", "breed", "periods", "monthly_amount", "gift_text", "gift_value",
             "penalty_percent", "cooling_off_days", "next_stage_plan_id", "description", "overrides", "base_version")
    values: dict[str, Any] = {name: form.text(name) for name in names}
    values["overrides"] = form.raw("overrides")[:2000]
    values["debit_days"] = [int(d) for d in form.all("debit_days") if d.isdigit()]
    values["qty"] = {f"{i['type']}:{i['id']}": form.text(f"qty.{i['type']}.{i['id']}") for i in items}
    return values


def _parse_overrides(text: str, items: list[dict[str, Any]], errors: FieldErrors
                     ) -> dict[int, list[ContentInput]]:
    by_code: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        by_code.setdefault(item["code"].lower(), []).append(item)
    out: dict[int, list[ContentInput]] = {}
    for raw_line in text.splitlines():
        if not raw_line.strip():
            continue
        match = _OVERRIDE_LINE.match(raw_line)
        lines: list[ContentInput] = []
        if match:
            for part in filter(None, (p.strip() for p in re.split(r"[,，;；]", match.group(2)))):
                item_match = _OVERRIDE_ITEM.match(part)
                found = by_code.get(item_match.group(1).lower(), []) if item_match else []
                if not item_match or len(found) != 1:
                    errors["overrides"] = N_("Write one period per line, e.g. 3: GROOM*1, FOOD-K*2, with codes of "
                                             "active catalog items.")
                    return {}
                lines.append(ContentInput(found[0]["type"], found[0]["id"], int(item_match.group(2) or 1)))
        if not match or int(match.group(1)) in out:
            errors["overrides"] = N_("Write one period per line, e.g. 3: GROOM*1, FOOD-K*2, with codes of "
                                     "active catalog items.")
            return {}
        out[int(match.group(1))] = lines
    return out


def _parse_input(values: dict[str, Any], items: list[dict[str, Any]], errors: FieldErrors) -> PlanInput | None:
    periods = parse_whole(values["periods"], "periods", errors)
    amount = parse_yuan(values["monthly_amount"], "monthly_amount", errors)
    gift_value = parse_yuan(values["gift_value"], "gift_value", errors, allow_zero=True)
    penalty = parse_percent(values["penalty_percent"], errors)
    cooling = parse_whole(values["cooling_off_days"], "cooling_off_days", errors, required=False)
    next_stage = parse_uuid(values["next_stage_plan_id"], "next_stage_plan_id", errors)
    contents: list[ContentInput] = []
    for item in items:
        raw = values["qty"].get(f"{item['type']}:{item['id']}", "")
        if raw in ("", "0"):
            continue
        quantity = parse_whole(raw, "contents", errors)
        if quantity is not None:
            contents.append(ContentInput(item["type"], item["id"], quantity))
    overrides = _parse_overrides(values["overrides"], items, errors)
    if errors or periods is None or amount is None or gift_value is None or penalty is None:
        return None
    return PlanInput(name=values["name"], species=values["species"], stage=values["stage"], periods=periods,
                     monthly_amount_fen=amount, breed=values["breed"], description=values["description"],
                     contents=contents, period_overrides=overrides, gift_text=values["gift_text"],
                     gift_value_fen=gift_value, debit_days=values["debit_days"], penalty_rate_bp=penalty,
                     cooling_off_days=cooling, next_stage_plan_id=next_stage)


async def _editor(shell: Shell, ctx: Any, *, plan: PlanView | None, values: dict[str, Any],
                  items: list[dict[str, Any]] | None = None, errors: FieldErrors | None = None,
                  warning: dict[str, int] | None = None, rail: dict[str, Any] | None = None,
                  status_code: int = 200) -> Template:
    items = items if items is not None else await _catalog_items(ctx)
    others = [p for p in await plans.list_plans(ctx, active_only=False) if plan is None or p.id != plan.id]
    return shell.render("plans/edit.html", {
        "plan": plan, "values": values, "items": items, "errors": errors or {}, "warning": warning, "rail": rail,
        "species_options": list(SPECIES_LABELS.items()), "stage_options": list(STAGE_LABELS.items()),
        "debit_day_options": [(d, DEBIT_DAY_LABELS[d]) for d in rules.DEBIT_DAYS],
        "next_plans": others,
        "species_labels": SPECIES_LABELS, "stage_labels": STAGE_LABELS,
        "action": f"{PAGE}/{plan.id}/edit" if plan else f"{PAGE}/new",
    }, status_code=status_code)


async def _save(request: Request[Any, Any, Any], ctx: Any, plan_id: uuid.UUID | None) -> Template | Redirect:
    shell = await Shell.load(request, ADMIN)
    current = await plans.get_plan(ctx, plan_id) if plan_id else None  # 404 before anything else
    items = await _catalog_items(ctx)
    form = await Form.read(request)
    values = _read_values(form, items)
    errors: FieldErrors = {}
    data = _parse_input(values, items, errors)
    confirm = form.flag("confirm_amount_warning")
    if data is None:
        return await _editor(shell, ctx, plan=current, values=values, items=items, errors=errors, status_code=422)
    try:
        if current is None:
            view = await plans.create_plan(ctx, data, confirm_amount_warning=confirm)
        else:
            base = parse_whole(values["base_version"], "base_version", {}, required=False)
            view = await plans.update_plan(ctx, current.id, data, confirm_amount_warning=confirm,
                                           expected_version=base)
    except AmountNeedsConfirmation as exc:
        warning = {"min": exc.data["warn_min_fen"], "max": exc.data["warn_max_fen"], "amount": exc.data["amount_fen"]}
        return await _editor(shell, ctx, plan=current, values=values, items=items, warning=warning, status_code=422)
    except AmountExceedsRailLimit as exc:
        rail = {"cap_fen": exc.data["cap_fen"], "cap": exc.data["cap"], "provider": exc.data["provider"]}
        return await _editor(shell, ctx, plan=current, values=values, items=items, rail=rail,
                             errors={"monthly_amount": ""}, status_code=422)
    except PawPayError as exc:
        if not is_form_error(exc):
            raise
        errors = field_errors(exc, rename=RENAME)
        for name in list(errors):
            if name in FIELD_MESSAGES:
                errors[name] = FIELD_MESSAGES[name]
        return await _editor(shell, ctx, plan=current, values=values, items=items, errors=errors, status_code=422)
    if current is not None and view.version == current.version:
        return redirect(f"{PAGE}/{view.id}", flash(N_("Nothing changed; the plan keeps version %(version)s."),
                                                   "warning", version=view.version))
    return redirect(f"{PAGE}/{view.id}", flash(N_("Saved %(name)s as version %(version)s."), name=view.name,
                                               version=view.version))


# --- pages --------------------------------------------------------------------------------------

class PlanPages(Controller):
    path = PAGE
    opt = {"auth": "tenant", "roles": {MANAGER, FRONT_DESK}}
    include_in_schema = False

    @get("/", name="plans:list")
    async def index(self, request: Request[Any, Any, Any], ctx: TenantCtx) -> Template:
        shell = await Shell.load(request, ADMIN)
        return await _list_page(shell, request, ctx)

    @post("/settings/stages", name="plans:stages", opt={"roles": {MANAGER}}, status_code=303)
    async def stages(self, request: Request[Any, Any, Any], ctx: TenantCtx) -> Template | Redirect:
        shell = await Shell.load(request, ADMIN)
        form = await Form.read(request)
        errors: FieldErrors = {}
        junior = parse_whole(form.text("junior_from_months"), "junior_from_months", errors)
        adult = parse_whole(form.text("adult_from_months"), "adult_from_months", errors)
        if not errors and junior is not None and adult is not None:
            try:
                await plans.set_stage_boundaries(ctx, junior, adult)
            except PawPayError as exc:
                if not is_form_error(exc):
                    raise
                errors = field_errors(exc)
        if errors:
            return await _list_page(shell, request, ctx, stage_errors=errors,
                                    stage_values={"junior_from_months": form.text("junior_from_months"),
                                                  "adult_from_months": form.text("adult_from_months")},
                                    status_code=422)
        return redirect(PAGE, flash(N_("Stage boundaries saved.")))

    @get("/new", name="plans:new", opt={"roles": {MANAGER}})
    async def new(self, request: Request[Any, Any, Any], ctx: TenantCtx) -> Template:
        shell = await Shell.load(request, ADMIN)
        return await _editor(shell, ctx, plan=None, values=_values_of(None))

    @post("/new", name="plans:create", opt={"roles": {MANAGER}}, status_code=303)
    async def create(self, request: Request[Any, Any, Any], ctx: TenantCtx) -> Template | Redirect:
        return await _save(request, ctx, None)

    @get("/{plan_id:uuid}", name="plans:detail")
    async def detail(self, request: Request[Any, Any, Any], ctx: TenantCtx, plan_id: FromPath[uuid.UUID]
                     ) -> Template:
        shell = await Shell.load(request, ADMIN)
        return await _detail(shell, ctx, await plans.get_plan(ctx, plan_id))

    @get("/{plan_id:uuid}/versions/{version:int}", name="plans:version")
    async def version(self, request: Request[Any, Any, Any], ctx: TenantCtx, plan_id: FromPath[uuid.UUID],
                      version: FromPath[int]) -> Template:
        shell = await Shell.load(request, ADMIN)
        return await _detail(shell, ctx, await plans.get_plan_version(ctx, plan_id, version))

    @get("/{plan_id:uuid}/edit", name="plans:edit", opt={"roles": {MANAGER}})
    async def edit(self, request: Request[Any, Any, Any], ctx: TenantCtx, plan_id: FromPath[uuid.UUID]) -> Template:
        shell = await Shell.load(request, ADMIN)
        view = await plans.get_plan(ctx, plan_id)
        return await _editor(shell, ctx, plan=view, values=_values_of(view))

    @post("/{plan_id:uuid}/edit", name="plans:save", opt={"roles": {MANAGER}}, status_code=303)
    async def save(self, request: Request[Any, Any, Any], ctx: TenantCtx, plan_id: FromPath[uuid.UUID]
                   ) -> Template | Redirect:
        return await _save(request, ctx, plan_id)

    @post("/{plan_id:uuid}/activate", name="plans:activate", opt={"roles": {MANAGER}}, status_code=303)
    async def activate(self, ctx: TenantCtx, plan_id: FromPath[uuid.UUID]) -> Redirect:
        view = await plans.set_plan_active(ctx, plan_id, True)
        return redirect(f"{PAGE}/{plan_id}", flash(N_("%(name)s is offered to new customers."), name=view.name))

    @post("/{plan_id:uuid}/deactivate", name="plans:deactivate", opt={"roles": {MANAGER}}, status_code=303)
    async def deactivate(self, ctx: TenantCtx, plan_id: FromPath[uuid.UUID]) -> Redirect:
        view = await plans.set_plan_active(ctx, plan_id, False)
        return redirect(f"{PAGE}/{plan_id}", flash(N_("%(name)s is no longer offered; signed contracts are unchanged."),
                                                   name=view.name))

    @get("/{plan_id:uuid}/poster", name="plans:poster")
    async def poster(self, request: Request[Any, Any, Any], ctx: TenantCtx, plan_id: FromPath[uuid.UUID]
                     ) -> Template:
        shell = await Shell.load(request, ADMIN)
        view = await plans.get_plan(ctx, plan_id)
        size = request.query_params.get("size", "A4").upper()
        size = size if size in POSTER_SIZES else "A4"
        assert shell.tenant is not None
        url = _sign_url(request, shell.tenant.slug, view.id)
        qr = segno.make(url, error="m")
        return shell.render("plans/poster.html", {
            "plan": view, "store": shell.tenant, "size": size, "sign_url": url,
            "qr_svg": qr.svg_inline(scale=8 if size == "A4" else 6, border=2, title=view.name),
            "species_labels": SPECIES_LABELS, "stage_labels": STAGE_LABELS,
            "penalty_percent": percent(view.penalty_rate_bp),
            "locale": "zh_CN", "html_lang": "zh-CN",  # the poster is for customers: always Chinese
        })

    @get(["/{plan_id:uuid}/qr.svg", "/{plan_id:uuid}/qr.png"], name="plans:qr")
    async def qr(self, request: Request[Any, Any, Any], ctx: TenantCtx, plan_id: FromPath[uuid.UUID]
                 ) -> Response[bytes]:
        fmt = request.url.path.rsplit(".", 1)[-1]
        view = await plans.get_plan(ctx, plan_id)
        store = await tenancy.get_own_tenant(ctx)
        code = segno.make(_sign_url(request, store.slug, view.id), error="m")
        out = io.BytesIO()
        code.save(out, kind=fmt, scale=10, border=4)
        media = "image/svg+xml" if fmt == "svg" else "image/png"
        filename = f"plan-{store.slug}-{view.id}.{fmt}"
        return Response(out.getvalue(), media_type=media, headers={
            "content-disposition": f'attachment; filename="{filename}"', "cache-control": "no-store"})


def _sign_url(request: Request[Any, Any, Any], store_slug: str, plan_id: uuid.UUID) -> str:
    base = str(request.base_url).rstrip("/")
    return base + plans.signing_start_path(store_slug, plan_id)


async def _detail(shell: Shell, ctx: Any, view: PlanView) -> Template:
    versions = await plans.list_plan_versions(ctx, view.id)
    next_plan = None
    if view.next_stage_plan_id is not None:
        try:
            next_plan = await plans.get_plan(ctx, view.next_stage_plan_id)
        except NotFound:
            next_plan = None
    return shell.render("plans/detail.html", {
        "plan": view, "versions": versions, "next_plan": next_plan, "can_edit": _can_edit(shell),
        "species_labels": SPECIES_LABELS, "stage_labels": STAGE_LABELS, "debit_day_labels": DEBIT_DAY_LABELS,
        "penalty_percent": percent(view.penalty_rate_bp), "is_current": view.version == view.current_version,
        "sign_path": plans.signing_start_path(shell.tenant.slug if shell.tenant else "", view.id),
    })


async def _list_page(shell: Shell, request: Request[Any, Any, Any], ctx: Any, *,
                     stage_errors: FieldErrors | None = None, stage_values: dict[str, str] | None = None,
                     status_code: int = 200) -> Template:
    query = request.query_params
    errors: FieldErrors = {}
    species = query.get("species") or None
    if species and species not in SPECIES_LABELS:
        errors["species"] = N_("Choose one of the allowed values.")
        species = None
    stage = query.get("stage") or None
    if stage and stage not in STAGE_LABELS:
        errors["stage"] = N_("Choose one of the allowed values.")
        stage = None
    status = query.get("status") or "active"
    if status not in ("active", "inactive", "all"):
        errors["status"] = N_("Choose one of the allowed values.")
        status = "active"
    views = await plans.list_plans(ctx, species=species, stage=stage, active_only=status == "active")
    if status == "inactive":
        views = [v for v in views if not v.active]
    boundaries = await plans.get_stage_boundaries(ctx)
    return shell.render("plans/list.html", {
        "plans": views, "filters": {"species": species or "", "stage": stage or "", "status": status},
        "errors": errors, "can_edit": _can_edit(shell),
        "species_options": list(SPECIES_LABELS.items()), "stage_options": list(STAGE_LABELS.items()),
        "status_options": [("active", N_("Active")), ("inactive", N_("Inactive")), ("all", N_("All"))],
        "species_labels": SPECIES_LABELS, "stage_labels": STAGE_LABELS,
        "boundaries": stage_values or {"junior_from_months": boundaries.junior_from_months,
                                       "adult_from_months": boundaries.adult_from_months},
        "stage_errors": stage_errors or {},
    }, status_code=status_code if status_code != 200 else (422 if errors else 200))


ROUTES: list[Any] = [PlanPages]
NAV: dict[str, list[NavItem]] = {
    ADMIN: [NavItem(N_("Plans"), PAGE, frozenset({MANAGER, FRONT_DESK}), order=10)],
}
