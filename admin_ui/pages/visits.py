"""Follow-up visits (``/admin/visits``): the visits due (today, overdue, upcoming; mine or all, or the
done ones), and a visit's page with the short form (pet settled, feeding questions, satisfaction 1-5,
notes), "could not reach" with a new day, and reassignment (managers)."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from pawpay.admin_ui.flash import flash
from pawpay.admin_ui.labels import N_
from pawpay.admin_ui.pages._forms import Form, parse_date, parse_uuid
from pawpay.admin_ui.shell import ADMIN, FieldErrors, Pager, Shell, field_errors, is_form_error, parse_window, redirect
from pawpay.platform.errors import PawPayError
from pawpay.platform.hooks.types import NavItem
from pawpay.platform.identity import services as identity
from pawpay.platform.identity.roles import AFTER_SALES, FRONT_DESK, MANAGER
from pawpay.platform.web.deps import TenantCtx
from pawpay.tenants.customers import services as customers
from pawpay.tenants.visits import services as visits

PAGE = "/admin/visits"
STAFF_ROLES = frozenset({MANAGER, AFTER_SALES, FRONT_DESK})
ASSIGN_ROLES = frozenset({MANAGER})

VIEW_LABELS = {
    "due": N_("Due (today and overdue)"),
    "today": N_("Today"),
    "overdue": N_("Overdue"),
    "upcoming": N_("Upcoming"),
    "done": N_("Done"),
}
WHO_LABELS = {"mine": N_("Mine"), "all": N_("Everyone's")}
WINDOW_LABELS = {"today": N_("Due today"), "overdue": N_("Overdue"), "upcoming": N_("Upcoming")}
DAY_LABELS = {7: N_("Day 7"), 30: N_("Day 30")}
SETTLED_LABELS = {"yes": N_("Settled in"), "somewhat": N_("Somewhat"), "no": N_("Not yet")}
STATUS_LABELS = {"open": N_("Open"), "done": N_("Done"), "cancelled": N_("Cancelled")}
# The services' error details, for the catalogs (shown translated next to the field).
SERVICE_MESSAGES = (
    N_("say whether the pet has settled in (yes, somewhat or no)"),
    N_("satisfaction is a whole number from 1 to 5"),
    N_("at most 2000 characters"),
    N_("choose a day from today to 30 days ahead"),
    N_("this visit is already closed"),
    N_("no such staff member in this store"),
    N_("this staff member is deactivated"),
)


async def _staff_names(ctx: Any) -> dict[uuid.UUID, str]:
    return {s.id: s.display_name or s.email for s in await identity.list_staff(ctx)}


async def _list_page(shell: Shell, request: Request[Any, Any, Any], ctx: Any) -> Template:
    query = request.query_params
    list_errors: FieldErrors = {}
    limit, offset = parse_window(query, list_errors)
    view = query.get("view") or "due"
    if view not in VIEW_LABELS:
        list_errors["view"] = N_("choose one of the allowed options")
        view = "due"
    who = query.get("who") or "mine"
    if who not in WHO_LABELS:
        list_errors["who"] = N_("choose one of the allowed options")
        who = "mine"
    assignee = shell.principal.account_id if who == "mine" else None
    if view == "due":
        overdue, n_overdue = await visits.list_visits(ctx, window="overdue", assignee_id=assignee, limit=200)
        today, n_today = await visits.list_visits(ctx, window="today", assignee_id=assignee, limit=200)
        rows, total = overdue + today, n_overdue + n_today
    elif view == "done":
        rows, total = await visits.list_visits(ctx, status="done", assignee_id=assignee, limit=limit, offset=offset)
    else:
        rows, total = await visits.list_visits(ctx, window=view, assignee_id=assignee, limit=limit, offset=offset)
    filters = {"view": view, "who": who}
    return shell.render("visits/list.html", {
        "visits": rows, "total": total, "filters": filters, "list_errors": list_errors,
        "pager": Pager(total=total, limit=limit, offset=offset, path=PAGE, params=filters),
        "view_options": list(VIEW_LABELS.items()), "who_options": list(WHO_LABELS.items()),
        "today": await customers.store_today(ctx), "staff": await _staff_names(ctx),
        "window_labels": WINDOW_LABELS, "day_labels": DAY_LABELS, "settled_labels": SETTLED_LABELS,
        "status_labels": STATUS_LABELS,
    }, status_code=422 if list_errors else 200)


async def _detail_page(shell: Shell, ctx: Any, visit_id: uuid.UUID, *, values: dict[str, str] | None = None,
                       errors: FieldErrors | None = None, status_code: int = 200) -> Template:
    visit = await visits.get_visit(ctx, visit_id)
    staff = await _staff_names(ctx)
    can_assign = bool(ASSIGN_ROLES & shell.principal.roles)
    active = [(str(s.id), s.display_name or s.email) for s in await identity.list_staff(ctx) if s.is_active] \
        if can_assign else []
    return shell.render("visits/detail.html", {
        "visit": visit, "today": await customers.store_today(ctx), "staff": staff, "staff_options": active,
        "can_assign": can_assign, "window_labels": WINDOW_LABELS, "day_labels": DAY_LABELS,
        "settled_options": list(SETTLED_LABELS.items()), "settled_labels": SETTLED_LABELS,
        "status_labels": STATUS_LABELS, "satisfaction_options": [(str(n), str(n)) for n in range(1, 6)],
        "values": values or {}, "errors": errors or {},
    }, status_code=status_code)


class VisitPages(Controller):
    path = PAGE
    opt = {"auth": "tenant", "roles": set(STAFF_ROLES)}
    include_in_schema = False

    @get("/", name="visits:list")
    async def index(self, request: Request[Any, Any, Any], ctx: TenantCtx) -> Template:
        shell = await Shell.load(request, ADMIN)
        return await _list_page(shell, request, ctx)

    @get("/{visit_id:uuid}", name="visits:detail")
    async def detail(self, request: Request[Any, Any, Any], ctx: TenantCtx, visit_id: FromPath[uuid.UUID]
                     ) -> Template:
        shell = await Shell.load(request, ADMIN)
        return await _detail_page(shell, ctx, visit_id)

    @post("/{visit_id:uuid}/complete", name="visits:complete", status_code=303)
    async def complete(self, request: Request[Any, Any, Any], ctx: TenantCtx, visit_id: FromPath[uuid.UUID]
                       ) -> Template | Redirect:
        shell = await Shell.load(request, ADMIN)
        form = await Form.read(request)
        values = {name: form.text(name) for name in ("settled", "satisfaction", "feeding_questions", "notes")}
        raw = values["satisfaction"]
        satisfaction: Any = int(raw) if raw.isdigit() else raw  # the service says what is wrong with it
        try:
            await visits.complete_visit(ctx, visit_id, settled=values["settled"], satisfaction=satisfaction,
                                        feeding_questions=values["feeding_questions"], notes=values["notes"])
        except PawPayError as exc:
            if not is_form_error(exc):
                raise
            return await _detail_page(shell, ctx, visit_id, values=values, errors=field_errors(exc),
                                      status_code=422)
        return redirect(PAGE, flash(N_("Visit recorded.")))

    @post("/{visit_id:uuid}/unreachable", name="visits:unreachable", status_code=303)
    async def unreachable(self, request: Request[Any, Any, Any], ctx: TenantCtx, visit_id: FromPath[uuid.UUID]
                          ) -> Template | Redirect:
        shell = await Shell.load(request, ADMIN)
        form = await Form.read(request)
        values = {"reschedule_on": form.text("reschedule_on"), "note": form.text("note")}
        errors: FieldErrors = {}
        day = parse_date(values["reschedule_on"], "reschedule_on", errors)
        if errors:
            return await _detail_page(shell, ctx, visit_id, values=values, errors=errors, status_code=422)
        try:
            view = await visits.could_not_reach(ctx, visit_id, reschedule_on=day, note=values["note"])
        except PawPayError as exc:
            if not is_form_error(exc):
                raise
            return await _detail_page(shell, ctx, visit_id, values=values, errors=field_errors(exc),
                                      status_code=422)
        return redirect(PAGE, flash(N_("Could not reach the customer; the visit moved to %(day)s."),
                                    day=view.due_on.isoformat()))

    @post("/{visit_id:uuid}/assign", name="visits:assign", opt={"roles": set(ASSIGN_ROLES)}, status_code=303)
    async def assign(self, request: Request[Any, Any, Any], ctx: TenantCtx, visit_id: FromPath[uuid.UUID]
                     ) -> Template | Redirect:
        shell = await Shell.load(request, ADMIN)
        form = await Form.read(request)
        errors: FieldErrors = {}
        assignee = parse_uuid(form.text("assignee_id"), "assignee_id", errors)
        if assignee is None:
            errors.setdefault("assignee_id", N_("this field is required"))
            return await _detail_page(shell, ctx, visit_id, errors=errors, status_code=422)
        try:
            await visits.assign_visit(ctx, visit_id, assignee)
        except PawPayError as exc:
            if not is_form_error(exc):
                raise
            return await _detail_page(shell, ctx, visit_id, errors=field_errors(exc), status_code=422)
        return redirect(f"{PAGE}/{visit_id}", flash(N_("Visit reassigned.")))


ROUTES: list[Any] = [VisitPages]
NAV: dict[str, list[NavItem]] = {
    ADMIN: [NavItem(N_("Follow-up visits"), PAGE, STAFF_ROLES, order=56)],
}
