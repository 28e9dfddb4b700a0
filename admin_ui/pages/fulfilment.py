"""Shipments (``/admin/shipments``): every outbound order with filters (status, late, stage), the
exception queue (the warehouse's reason, a retry button that re-sends the same order) and the late
queue (not shipped within 24 h of payment); a shipment's page with its tracking timeline."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from pawpay.admin_ui.flash import flash
from pawpay.admin_ui.labels import N_
from pawpay.admin_ui.pages._forms import Form
from pawpay.admin_ui.pages.plans import STAGE_LABELS
from pawpay.admin_ui.shell import ADMIN, FieldErrors, Pager, Shell, parse_window, redirect
from pawpay.platform.errors import NotFound, PawPayError
from pawpay.platform.hooks.types import NavItem
from pawpay.platform.identity.roles import AFTER_SALES, FINANCE, FRONT_DESK, MANAGER
from pawpay.platform.web.deps import TenantCtx
from pawpay.tenants.fulfilment import services as fulfilment

PAGE = "/admin/shipments"
STAFF_ROLES = frozenset({MANAGER, FRONT_DESK, AFTER_SALES, FINANCE})
ACTION_ROLES = {MANAGER, FRONT_DESK, AFTER_SALES}

STATUS_LABELS = {
    "pending": N_("Waiting for the warehouse"),
    "exception": N_("Exception"),
    "accepted": N_("Accepted by the warehouse"),
    "picked": N_("Picked and packed"),
    "shipped": N_("Shipped"),
    "in_transit": N_("In transit"),
    "out_for_delivery": N_("Out for delivery"),
    "delivered": N_("Delivered"),
    "problem": N_("Delivery problem"),
    "returned": N_("Returned"),
    "cancelled": N_("Cancelled"),
}
KIND_LABELS = {"period": N_("Monthly box"), "reship": N_("Reship")}
LATE_OPTIONS = {"yes": N_("Late only"), "no": N_("On time only")}
SHIPPING_INFO_LABELS = {"": N_("Not yet"), "pending": N_("Being reported"), "uploaded": N_("Reported"),
                        "failed": N_("Refused by the payment rail"), "not_needed": N_("Not needed")}
SERVICE_MESSAGES = (
    N_("a reason is required"),
    N_("only a shipment in the exception queue can be retried"),
)


async def _list_page(shell: Shell, request: Request[Any, Any, Any], ctx: Any) -> Template:
    query = request.query_params
    list_errors: FieldErrors = {}
    limit, offset = parse_window(query, list_errors)
    status = query.get("status") or None
    if status and status not in STATUS_LABELS:
        list_errors["status"] = N_("choose one of the allowed states")
        status = None
    late_value = query.get("late") or ""
    if late_value and late_value not in LATE_OPTIONS:
        list_errors["late"] = N_("choose one of the allowed options")
        late_value = ""
    stage = query.get("stage") or None
    if stage and stage not in STAGE_LABELS:
        list_errors["stage"] = N_("choose one of the allowed options")
        stage = None
    late = {"yes": True, "no": False}.get(late_value)
    views, total = await fulfilment.list_shipments(ctx, status=status, late=late, stage=stage, limit=limit,
                                                   offset=offset)
    exceptions, exception_total = await fulfilment.list_shipments(ctx, status="exception", limit=20)
    late_views, late_total = await fulfilment.list_shipments(ctx, late=True, limit=20)
    late_open = [v for v in late_views if v.shipped_at is None]
    filters = {"status": status or "", "late": late_value, "stage": stage or ""}
    return shell.render("fulfilment/list.html", {
        "shipments": views, "exceptions": exceptions, "exception_total": exception_total,
        "late_open": late_open, "late_total": late_total, "filters": filters, "list_errors": list_errors,
        "statuses": list(STATUS_LABELS.items()), "status_labels": STATUS_LABELS, "kind_labels": KIND_LABELS,
        "stage_labels": STAGE_LABELS, "stages": list(STAGE_LABELS.items()), "late_options": list(LATE_OPTIONS.items()),
        "can_act": bool(ACTION_ROLES & shell.principal.roles),
        "pager": Pager(total=total, limit=limit, offset=offset, path=PAGE, params=filters),
    }, status_code=422 if list_errors else 200)


async def _detail_page(shell: Shell, ctx: Any, shipment_id: uuid.UUID) -> Template:
    view = await fulfilment.get_shipment(ctx, shipment_id)
    reships, _ = await fulfilment.list_shipments(ctx, contract_id=view.contract_id, limit=200)
    return shell.render("fulfilment/detail.html", {
        "s": view, "timeline": await fulfilment.tracking(ctx, shipment_id),
        "reships": [r for r in reships if r.reship_of == view.id],
        "original": await fulfilment.get_shipment(ctx, view.reship_of) if view.reship_of else None,
        "status_labels": STATUS_LABELS, "kind_labels": KIND_LABELS, "stage_labels": STAGE_LABELS,
        "shipping_info_labels": SHIPPING_INFO_LABELS, "can_act": bool(ACTION_ROLES & shell.principal.roles),
    })


class ShipmentPages(Controller):
    path = PAGE
    opt = {"auth": "tenant", "roles": set(STAFF_ROLES)}
    include_in_schema = False

    @get("/", name="fulfilment:list")
    async def index(self, request: Request[Any, Any, Any], ctx: TenantCtx) -> Template:
        return await _list_page(await Shell.load(request, ADMIN), request, ctx)

    @get("/{shipment_id:uuid}", name="fulfilment:detail")
    async def detail(self, request: Request[Any, Any, Any], ctx: TenantCtx, shipment_id: FromPath[uuid.UUID]
                     ) -> Template:
        return await _detail_page(await Shell.load(request, ADMIN), ctx, shipment_id)

    @post("/{shipment_id:uuid}/retry", name="fulfilment:retry", opt={"roles": ACTION_ROLES}, status_code=303)
    async def retry(self, request: Request[Any, Any, Any], ctx: TenantCtx,
                    shipment_id: FromPath[uuid.UUID]) -> Redirect:
        form = await Form.read(request)
        back = form.text("back") if form.text("back").startswith(PAGE) else f"{PAGE}/{shipment_id}"
        try:
            await fulfilment.retry_shipment(ctx, shipment_id, reason=form.text("reason") or "staff retry")
        except NotFound:
            raise  # another store's shipment is a 404, not a flash
        except PawPayError as exc:
            if "%" in exc.detail:
                return redirect(back, flash(N_("Not done: %(reason)s"), "error", reason=exc.detail))
            return redirect(back, flash(exc.detail, "error"))
        return redirect(back, flash(N_("Sent to the warehouse again (same order number: it cannot ship twice).")))


ROUTES: list[Any] = [ShipmentPages]
NAV: dict[str, list[NavItem]] = {
    ADMIN: [NavItem(N_("Shipments"), PAGE, STAFF_ROLES, order=53)],
}
