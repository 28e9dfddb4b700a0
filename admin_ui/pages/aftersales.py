"""After-sales pages (``/admin/tickets``): the tickets board (columns by state, SLA countdown and
badges, filters, mine/all), opening a ticket for a customer's contract, and a ticket's page (timeline,
photos, one-click reship, clinic coupon, pause proposal, resolve/close/reopen with the resolution)."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath
from litestar.response import Redirect, Template

from pawpay.admin_ui.flash import flash
from pawpay.admin_ui.labels import N_
from pawpay.admin_ui.pages._forms import Form, parse_date, parse_uuid, parse_yuan
from pawpay.admin_ui.shell import ADMIN, FieldErrors, Shell, field_errors, is_form_error, redirect
from pawpay.platform.errors import NotFound, PawPayError
from pawpay.platform.hooks.types import NavItem
from pawpay.platform.identity.roles import AFTER_SALES, FRONT_DESK, MANAGER
from pawpay.platform.jobs.services import tenant_now
from pawpay.platform.web.deps import TenantCtx
from pawpay.tenants.aftersales import rules
from pawpay.tenants.aftersales import services as aftersales

PAGE = "/admin/tickets"
STAFF_ROLES = frozenset({MANAGER, FRONT_DESK, AFTER_SALES})
PAUSE_ROLES = {MANAGER, AFTER_SALES}

KIND_LABELS = {
    "damaged": N_("Damaged"), "near_expiry": N_("Near expiry"), "missing": N_("Missing item"),
    "wrong_item": N_("Wrong item"), "pet_health": N_("Pet health"), "complaint": N_("Complaint"),
}
STATE_LABELS = {
    "open": N_("Open"), "in_progress": N_("In progress"), "waiting_customer": N_("Waiting for the customer"),
    "resolved": N_("Resolved"), "closed": N_("Closed"),
}
ACTION_LABELS = {
    "start": N_("Start working on it"), "wait_customer": N_("Ask the customer"), "resolve": N_("Resolve"),
    "close": N_("Close"), "reopen": N_("Reopen"),
}
EVENT_LABELS = {
    "opened": N_("Opened"), "start": N_("Started"), "wait_customer": N_("Asked the customer"),
    "customer_reply": N_("Customer replied"), "customer_note": N_("Customer note"), "resolve": N_("Resolved"),
    "close": N_("Closed"), "reopen": N_("Reopened"), "assigned": N_("Assigned"), "photos_added": N_("Photos added"),
    "reshipped": N_("Reshipped"), "coupon_sent": N_("Clinic coupon sent"), "pause_proposed": N_("Pause proposed"),
    "pause_agreed": N_("Customer agreed to the pause"), "pause_declined": N_("Pause declined"),
    "pause_applied": N_("Pause applied"), "escalated": N_("Escalated to the manager"),
}
BADGE_LABELS = {
    "ok": N_("On time"), "soon": N_("Due soon"), "overdue": N_("Overdue"), "met": N_("SLA met"),
    "breached": N_("SLA breached"),
}
SHIPMENT_LABELS = {
    "pending": N_("Being prepared"), "exception": N_("Being prepared"), "accepted": N_("Accepted by the warehouse"),
    "picked": N_("Packed"), "shipped": N_("Shipped"), "in_transit": N_("In transit"),
    "out_for_delivery": N_("Out for delivery"), "delivered": N_("Delivered"), "problem": N_("Delivery problem"),
    "returned": N_("Returned"), "cancelled": N_("Cancelled"),
}
ACTOR_LABELS = {"staff": N_("Staff"), "customer": N_("Customer"), "system": N_("System")}
PAUSE_LABELS = {
    "proposed": N_("Proposed, awaiting the customer"), "agreed": N_("Customer agreed"),
    "declined": N_("Declined"), "applied": N_("Applied"),
}
GOAL_LABELS = {"resolve": N_("resolve within"), "solution": N_("give a solution within")}
LABELS = {"kind_labels": KIND_LABELS, "state_labels": STATE_LABELS, "action_labels": ACTION_LABELS,
          "event_labels": EVENT_LABELS, "badge_labels": BADGE_LABELS, "actor_labels": ACTOR_LABELS,
          "pause_labels": PAUSE_LABELS, "goal_labels": GOAL_LABELS, "shipment_labels": SHIPMENT_LABELS,
          "sla_hours": rules.SLA_HOURS}
SERVICE_MESSAGES = (
    N_("this field is required"),
    N_("choose one of the ticket kinds"),
    N_("choose a shipment of this contract"),
    N_("write the resolution or the reason"),
    N_("only a product issue about a shipment can be reshipped"),
    N_("the ticket is finished; reopen it first"),
    N_("the ticket is closed; reopen it first"),
    N_("postage is 0 to 1,000 yuan"),
    N_("only a pet-health ticket can have this"),
    N_("a discount of 1 to 90 percent, or an amount"),
    N_("the coupon has expired"),
    N_("this clinic's code was given already"),
    N_("a pause is 1 or 2 periods"),
    N_("a pause was proposed already"),
    N_("there is no open pause proposal"),
    N_("record the agreement with the customer"),
    N_("choose an active staff member"),
    N_("choose a photo"),
    N_("unknown action"),
    N_("at most 9 photos"),
    N_("at most 2000 characters"),
    N_("at most 500 characters"),
    N_("at most 200 characters"),
    N_("at most 120 characters"),
    N_("at most 64 characters"),
)


def _refusal(exc: PawPayError) -> Any:
    if "%" in exc.detail:
        return flash(N_("Not done: %(reason)s"), "error", reason=exc.detail)
    return flash(exc.detail, "error")


async def _uploads(request: Request[Any, Any, Any]) -> tuple[Form, list[aftersales.PhotoUpload]]:
    data = await request.form()
    files = [f for f in data.getall("photos") if isinstance(f, UploadFile) and f.filename] \
        if "photos" in data else []
    return Form([(k, v) for k, v in data.multi_items() if not isinstance(v, UploadFile)]), \
        [aftersales.PhotoUpload(await f.read(), f.filename) for f in files]


def _reship_lines(form: Form, errors: FieldErrors) -> list[tuple[str, int]] | None:
    """The items to send again (``sku_<n>``/``qty_<n>`` pairs; none posted: the whole box)."""
    lines: list[tuple[str, int]] = []
    index = 0
    while form.text(f"sku_{index}"):
        try:
            quantity = int(form.text(f"qty_{index}") or "0")
        except ValueError:
            quantity = -1
        if not 0 <= quantity <= 99:
            errors["lines"] = N_("a quantity of 0 to 99")
            return None
        if quantity:
            lines.append((form.text(f"sku_{index}"), quantity))
        index += 1
    if index and not lines:
        errors["lines"] = N_("choose at least one item to send again")
    return lines if index else None


async def _board(shell: Shell, ctx: Any, *, kind: str, mine: bool, errors: FieldErrors) -> Template:
    me = shell.principal.account_id
    now = await tenant_now(ctx)
    columns = await aftersales.board(ctx, kind=kind or None, assignee_id=me if mine else None)
    countdowns = {t.id: rules.countdown(t.sla_deadline if t.active or t.sla_outcome else None, now, t.sla_outcome)
                  for column in columns.values() for t in column}
    return shell.render("aftersales/board.html", {
        **LABELS, "columns": columns, "countdowns": countdowns, "format_left": rules.format_left,
        "kind": kind, "mine": mine, "errors": errors, "summary": await aftersales.sla_summary(ctx),
        "kinds": [(k, KIND_LABELS[k]) for k in rules.KINDS],
    }, status_code=422 if errors else 200)


async def _detail(shell: Shell, ctx: Any, ticket_id: uuid.UUID, *, errors: FieldErrors | None = None,
                  values: dict[str, str] | None = None, status_code: int = 200) -> Template:
    from pawpay.platform.identity import services as identity
    from pawpay.tenants.contracts import services as contracts
    from pawpay.tenants.customers import services as customers
    from pawpay.tenants.fulfilment import services as fulfilment

    ticket = await aftersales.get_ticket(ctx, ticket_id)
    now = await tenant_now(ctx)
    staff = [s for s in await identity.list_staff(ctx) if s.is_active]
    return shell.render("aftersales/detail.html", {
        **LABELS, "ticket": ticket, "contract": await contracts.get_contract(ctx, ticket.contract_id),
        "customer": await customers.get_customer(ctx, ticket.customer_id),
        "shipment": await fulfilment.get_shipment(ctx, ticket.shipment_id) if ticket.shipment_id else None,
        "reshipment": await fulfilment.get_shipment(ctx, ticket.reship_shipment_id)
        if ticket.reship_shipment_id else None,
        "events": await aftersales.events(ctx, ticket_id), "photos": await aftersales.photos(ctx, ticket_id),
        "coupons": await aftersales.coupons(ctx, ticket_id),
        "countdown": rules.countdown(ticket.sla_deadline, now, ticket.sla_outcome),
        "format_left": rules.format_left, "actions": rules.allowed_actions(ticket.state),
        "staff": {s.id: s.display_name or s.email for s in staff},
        "staff_options": [(str(s.id), s.display_name or s.email) for s in staff],
        "errors": errors or {}, "values": values or {},
        "can_pause": bool(PAUSE_ROLES & shell.principal.roles),
        "is_pet_health": ticket.kind == rules.PET_HEALTH, "max_photos": rules.MAX_PHOTOS,
    }, status_code=status_code)


async def _new_page(shell: Shell, ctx: Any, *, contract_no: str, errors: FieldErrors | None = None,
                    values: dict[str, str] | None = None, status_code: int = 200) -> Template:
    from pawpay.tenants.contracts import services as contracts
    from pawpay.tenants.fulfilment import services as fulfilment

    contract = None
    shipments: list[Any] = []
    errors = dict(errors or {})
    if contract_no:
        try:
            contract = await contracts.get_by_number(ctx, contract_no)
        except NotFound:
            errors["contract_no"] = N_("No contract with this number.")
            status_code = 422 if status_code == 200 else status_code
        if contract is not None:
            shipments, _total = await fulfilment.list_shipments(ctx, contract_id=contract.id, limit=50)
    return shell.render("aftersales/new.html", {
        **LABELS, "contract": contract, "contract_no": contract_no, "shipments": shipments,
        "kinds": [(k, KIND_LABELS[k]) for k in rules.KINDS], "errors": errors, "values": values or {},
        "max_photos": rules.MAX_PHOTOS,
    }, status_code=status_code)


class TicketPages(Controller):
    path = PAGE
    opt = {"auth": "tenant", "roles": set(STAFF_ROLES)}
    include_in_schema = False

    @get("/", name="aftersales:board")
    async def index(self, request: Request[Any, Any, Any], ctx: TenantCtx) -> Template:
        shell = await Shell.load(request, ADMIN)
        errors: FieldErrors = {}
        kind = request.query_params.get("kind") or ""
        if kind and kind not in rules.KINDS:
            errors["kind"] = N_("choose one of the options")
            kind = ""
        return await _board(shell, ctx, kind=kind, mine=request.query_params.get("mine") == "1", errors=errors)

    @get("/new", name="aftersales:new")
    async def new(self, request: Request[Any, Any, Any], ctx: TenantCtx) -> Template:
        return await _new_page(await Shell.load(request, ADMIN), ctx,
                               contract_no=(request.query_params.get("contract_no") or "").strip())

    @post("/new", name="aftersales:open", status_code=303)
    async def open(self, request: Request[Any, Any, Any], ctx: TenantCtx) -> Template | Redirect:
        from pawpay.tenants.contracts import services as contracts

        form, uploads = await _uploads(request)
        contract_no = form.text("contract_no")
        values = {k: form.text(k) for k in ("kind", "shipment_id", "title", "description")}
        errors: FieldErrors = {}
        shipment_id = parse_uuid(form.text("shipment_id"), "shipment_id", errors) if form.text("shipment_id") else None
        if not errors:
            try:
                contract = await contracts.get_by_number(ctx, contract_no)
                ticket = await aftersales.open_ticket(ctx, kind=form.text("kind"), contract_id=contract.id,
                                                      description=form.text("description"), title=form.text("title"),
                                                      shipment_id=shipment_id, photos=uploads)
            except PawPayError as exc:
                if not is_form_error(exc) and exc.http_status != 404:
                    raise
                errors = field_errors(exc, rename={"file": "photos"})
        if errors:
            return await _new_page(await Shell.load(request, ADMIN), ctx, contract_no=contract_no, errors=errors,
                                   values=values, status_code=422)
        return redirect(f"{PAGE}/{ticket.id}", flash(N_("Ticket opened; the customer was told.")))

    @get("/{ticket_id:uuid}", name="aftersales:detail")
    async def detail(self, request: Request[Any, Any, Any], ctx: TenantCtx, ticket_id: FromPath[uuid.UUID]
                     ) -> Template:
        return await _detail(await Shell.load(request, ADMIN), ctx, ticket_id)

    async def _form_action(self, request: Request[Any, Any, Any], ctx: Any, ticket_id: uuid.UUID, form: Form,
                           errors: FieldErrors, values: dict[str, str]) -> Template:
        return await _detail(await Shell.load(request, ADMIN), ctx, ticket_id, errors=errors, values=values,
                             status_code=422)

    @post("/{ticket_id:uuid}/act", name="aftersales:act", status_code=303)
    async def act(self, request: Request[Any, Any, Any], ctx: TenantCtx, ticket_id: FromPath[uuid.UUID]
                  ) -> Template | Redirect:
        form = await Form.read(request)
        action = form.text("action")
        if action not in rules.STAFF_ACTIONS:
            return redirect(f"{PAGE}/{ticket_id}", flash(N_("Unknown action."), "error"))
        try:
            await aftersales.act(ctx, ticket_id, action, note=form.text("note"))
        except PawPayError as exc:
            if not is_form_error(exc):
                raise
            if exc.http_status == 409:
                return redirect(f"{PAGE}/{ticket_id}", _refusal(exc))
            return await self._form_action(request, ctx, ticket_id, form, field_errors(exc),
                                           {"note": form.text("note"), "action": action})
        return redirect(f"{PAGE}/{ticket_id}", flash(N_("Done; the customer was told.")))

    @post("/{ticket_id:uuid}/reship", name="aftersales:reship", status_code=303)
    async def reship(self, request: Request[Any, Any, Any], ctx: TenantCtx, ticket_id: FromPath[uuid.UUID]
                     ) -> Template | Redirect:
        form = await Form.read(request)
        errors: FieldErrors = {}
        postage = parse_yuan(form.text("postage"), "postage", errors, allow_zero=True,
                             maximum_fen=rules.MAX_POSTAGE_FEN)
        lines = _reship_lines(form, errors)
        if postage is None or "lines" in errors:
            return await self._form_action(request, ctx, ticket_id, form, errors, {"postage": form.text("postage")})
        try:
            await aftersales.reship(ctx, ticket_id, postage_fen=postage, lines=lines)
        except PawPayError as exc:
            if not is_form_error(exc):
                raise
            return redirect(f"{PAGE}/{ticket_id}", _refusal(exc))
        return redirect(f"{PAGE}/{ticket_id}",
                        flash(N_("Reshipped through the warehouse; the store pays the postage.")))

    @post("/{ticket_id:uuid}/coupon", name="aftersales:coupon", status_code=303)
    async def coupon(self, request: Request[Any, Any, Any], ctx: TenantCtx, ticket_id: FromPath[uuid.UUID]
                     ) -> Template | Redirect:
        form = await Form.read(request)
        values = {k: form.text(k) for k in ("clinic", "discount_kind", "discount_value", "code", "expires_on")}
        errors: FieldErrors = {}
        expires = parse_date(form.text("expires_on"), "expires_on", errors)
        kind = form.text("discount_kind")
        value: int | None = None
        if kind == "amount":
            value = parse_yuan(form.text("discount_value"), "discount_value", errors)
        else:
            try:
                value = int(form.text("discount_value"))
            except ValueError:
                errors["discount_value"] = N_("a discount of 1 to 90 percent, or an amount")
        if expires is None and "expires_on" not in errors:
            errors["expires_on"] = N_("this field is required")
        if not errors and value is not None and expires is not None:
            try:
                await aftersales.attach_coupon(ctx, ticket_id, clinic=form.text("clinic"), discount_kind=kind,
                                               discount_value=value, code=form.text("code"), expires_on=expires)
            except PawPayError as exc:
                if not is_form_error(exc):
                    raise
                errors = field_errors(exc)
        if errors:
            return await self._form_action(request, ctx, ticket_id, form, errors, values)
        return redirect(f"{PAGE}/{ticket_id}", flash(N_("Coupon sent to the customer.")))

    @post("/{ticket_id:uuid}/pause/{step:str}", name="aftersales:pause", opt={"roles": PAUSE_ROLES},
          status_code=303)
    async def pause(self, request: Request[Any, Any, Any], ctx: TenantCtx, ticket_id: FromPath[uuid.UUID],
                    step: FromPath[str]) -> Template | Redirect:
        form = await Form.read(request)
        try:
            if step == "propose":
                try:
                    periods = int(form.text("periods"))
                except ValueError:
                    periods = 0
                await aftersales.propose_pause(ctx, ticket_id, periods=periods, reason=form.text("reason"))
                message = N_("Pause proposed; the customer was asked to agree.")
            elif step == "apply":
                await aftersales.apply_pause(ctx, ticket_id, agreement=form.text("agreement"))
                message = N_("Pause applied.")
            elif step == "decline":
                await aftersales.decline_pause(ctx, ticket_id, note=form.text("note"))
                message = N_("Recorded: the customer declined the pause.")
            else:
                return redirect(f"{PAGE}/{ticket_id}", flash(N_("Unknown action."), "error"))
        except PawPayError as exc:
            if not is_form_error(exc):
                raise
            if exc.http_status == 409:
                return redirect(f"{PAGE}/{ticket_id}", _refusal(exc))
            return await self._form_action(request, ctx, ticket_id, form, field_errors(exc),
                                           {k: form.text(k) for k in ("periods", "reason", "agreement", "note")})
        return redirect(f"{PAGE}/{ticket_id}", flash(message))

    @post("/{ticket_id:uuid}/photos", name="aftersales:photos", status_code=303)
    async def photos(self, request: Request[Any, Any, Any], ctx: TenantCtx, ticket_id: FromPath[uuid.UUID]
                     ) -> Template | Redirect:
        form, uploads = await _uploads(request)
        try:
            await aftersales.add_photos(ctx, ticket_id, uploads)
        except PawPayError as exc:
            if not is_form_error(exc):
                raise
            if exc.http_status == 409:
                return redirect(f"{PAGE}/{ticket_id}", _refusal(exc))
            return await self._form_action(request, ctx, ticket_id, form,
                                           field_errors(exc, rename={"file": "photos"}), {})
        return redirect(f"{PAGE}/{ticket_id}", flash(N_("Photos added.")))

    @post("/{ticket_id:uuid}/assign", name="aftersales:assign", status_code=303)
    async def assign(self, request: Request[Any, Any, Any], ctx: TenantCtx, ticket_id: FromPath[uuid.UUID]
                     ) -> Redirect:
        form = await Form.read(request)
        errors: FieldErrors = {}
        raw = form.text("assignee_id")
        assignee = parse_uuid(raw, "assignee_id", errors) if raw else None
        if errors:
            return redirect(f"{PAGE}/{ticket_id}", flash(N_("choose an active staff member"), "error"))
        try:
            await aftersales.assign(ctx, ticket_id, assignee)
        except PawPayError as exc:
            if not is_form_error(exc):
                raise
            return redirect(f"{PAGE}/{ticket_id}", _refusal(exc))
        return redirect(f"{PAGE}/{ticket_id}", flash(N_("Assigned.")))


ROUTES: list[object] = [TicketPages]
NAV: dict[str, list[NavItem]] = {
    ADMIN: [NavItem(label=N_("After-sales tickets"), path=PAGE, order=55, roles=STAFF_ROLES)],
}
