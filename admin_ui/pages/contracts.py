"""Contract pages (``/admin/contracts``): the store's contracts by state, and a contract's terms,
installment schedule, signing evidence and PDF. Managers cancel an active contract within its
cooling-off period. Nobody signs here: activation belongs to the customer's signing flow."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from pawpay.admin_ui.flash import flash
from pawpay.admin_ui.labels import N_
from pawpay.admin_ui.pages._forms import Form
from pawpay.admin_ui.pages.fulfilment import KIND_LABELS as SHIPMENT_KIND_LABELS
from pawpay.admin_ui.pages.fulfilment import STATUS_LABELS as SHIPMENT_STATUS_LABELS
from pawpay.admin_ui.shell import ADMIN, FieldErrors, Pager, Shell, field_errors, is_form_error, parse_window, redirect
from pawpay.platform.errors import PawPayError
from pawpay.platform.hooks.types import NavItem
from pawpay.platform.identity.roles import AFTER_SALES, FINANCE, FRONT_DESK, MANAGER
from pawpay.platform.web.deps import TenantCtx
from pawpay.tenants.contracts import rules
from pawpay.tenants.contracts import services as contracts
from pawpay.tenants.customers import services as customers
from pawpay.tenants.fulfilment import services as fulfilment

PAGE = "/admin/contracts"
STAFF_ROLES = frozenset({MANAGER, FRONT_DESK, AFTER_SALES, FINANCE})

STATE_LABELS = {
    "draft": N_("Draft"),
    "pending_signature": N_("Awaiting signature"),
    "active": N_("In force"),
    "completed": N_("Completed"),
    "terminated": N_("Terminated"),
    "cancelled": N_("Cancelled"),
}
INSTALLMENT_LABELS = {
    "due": N_("Awaiting debit"),
    "paid": N_("Paid"),
    "failed": N_("Failed"),
    "paused": N_("Paused"),
    "waived": N_("Waived"),
    "cancelled": N_("Cancelled"),
}
CHANNEL_LABELS = {
    "h5": N_("Mobile web"),
    "mini_program": N_("Mini-program"),
    "store": N_("In store"),
    "admin": N_("Store staff"),
}
CONSENT_LABELS = {
    "contract_terms": N_("Contract terms"),
    "debit_authorisation": N_("Debit authorisation"),
    "face_data": N_("Face data"),
}
SERVICE_MESSAGES = (
    N_("a reason is required"),
    N_("the cooling-off period has ended"),
    N_("only an active contract can be cancelled in its cooling-off period"),
    N_("installments were paid: refund them before cancelling"),
)


async def _list_page(shell: Shell, request: Request[Any, Any, Any], ctx: Any) -> Template:
    query = request.query_params
    list_errors: FieldErrors = {}
    limit, offset = parse_window(query, list_errors)
    state = query.get("state") or None
    if state and state not in STATE_LABELS:
        list_errors["state"] = N_("choose one of the allowed states")
        state = None
    views, total = await contracts.list_contracts(ctx, state=state, limit=limit, offset=offset)
    names = {}
    for view in views:
        if view.customer_id not in names:
            names[view.customer_id] = (await customers.get_customer(ctx, view.customer_id)).name_masked
    filters = {"state": state or ""}
    return shell.render("contracts/list.html", {
        "contracts": views, "names": names, "filters": filters, "list_errors": list_errors,
        "states": list(STATE_LABELS.items()), "state_labels": STATE_LABELS,
        "pager": Pager(total=total, limit=limit, offset=offset, path=PAGE, params=filters),
    }, status_code=422 if list_errors else 200)


async def _detail_page(shell: Shell, ctx: Any, contract_id: uuid.UUID, *, errors: FieldErrors | None = None,
                       status_code: int = 200) -> Template:
    view = await contracts.get_contract(ctx, contract_id)
    customer = await customers.get_customer(ctx, view.customer_id)
    pet = await customers.get_pet(ctx, view.pet_id)
    today = await customers.store_today(ctx)
    can_cancel = (MANAGER in shell.principal.roles and view.state == "active" and view.start_date is not None
                  and rules.in_cooling_off(view.start_date, view.cooling_off_days, today))
    return shell.render("contracts/detail.html", {
        "contract": view, "customer": customer, "pet": pet,
        "schedule": await contracts.installments(ctx, contract_id),
        "evidence": await contracts.get_evidence(ctx, contract_id),
        "contents": contracts.contents_text(view.contents),
        "state_labels": STATE_LABELS, "installment_labels": INSTALLMENT_LABELS, "consent_labels": CONSENT_LABELS,
        "channel_labels": CHANNEL_LABELS,
        "penalty_pct": f"{view.penalty_rate_bp / 100:g}", "first_due_rule": rules.first_due_rule_zh(
            view.debit_day, view.cooling_off_days),
        "can_cancel": can_cancel, "errors": errors or {},
        "shipments": (await fulfilment.list_shipments(ctx, contract_id=contract_id, limit=200))[0],
        "shipment_labels": SHIPMENT_STATUS_LABELS, "shipment_kind_labels": SHIPMENT_KIND_LABELS,
    }, status_code=status_code)


class ContractPages(Controller):
    path = PAGE
    opt = {"auth": "tenant", "roles": set(STAFF_ROLES)}
    include_in_schema = False

    @get("/", name="contracts:list")
    async def index(self, request: Request[Any, Any, Any], ctx: TenantCtx) -> Template:
        shell = await Shell.load(request, ADMIN)
        return await _list_page(shell, request, ctx)

    @get("/{contract_id:uuid}", name="contracts:detail")
    async def detail(self, request: Request[Any, Any, Any], ctx: TenantCtx, contract_id: FromPath[uuid.UUID]
                     ) -> Template:
        shell = await Shell.load(request, ADMIN)
        return await _detail_page(shell, ctx, contract_id)

    @get("/{contract_id:uuid}/pdf", name="contracts:pdf", media_type="application/pdf")
    async def pdf(self, ctx: TenantCtx, contract_id: FromPath[uuid.UUID]) -> Response[bytes]:
        view = await contracts.get_contract(ctx, contract_id)
        data = await contracts.render_pdf(ctx, contract_id)
        return Response(data, media_type="application/pdf", headers={
            "Content-Disposition": f'attachment; filename="{view.contract_no}.pdf"', "cache-control": "no-store"})

    @post("/{contract_id:uuid}/cancel", name="contracts:cancel", opt={"roles": {MANAGER}}, status_code=303)
    async def cancel(self, request: Request[Any, Any, Any], ctx: TenantCtx, contract_id: FromPath[uuid.UUID]
                     ) -> Template | Redirect:
        shell = await Shell.load(request, ADMIN)
        form = await Form.read(request)
        try:
            view = await contracts.cancel_in_cooling_off(ctx, contract_id, reason=form.text("reason"))
        except PawPayError as exc:
            if not is_form_error(exc):
                raise
            return await _detail_page(shell, ctx, contract_id, errors=field_errors(exc), status_code=422)
        return redirect(f"{PAGE}/{contract_id}", flash(N_("Contract %(no)s cancelled."), no=view.contract_no))


ROUTES: list[Any] = [ContractPages]
NAV: dict[str, list[NavItem]] = {
    ADMIN: [NavItem(N_("Contracts"), PAGE, STAFF_ROLES, order=40)],
}
