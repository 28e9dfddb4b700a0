"""Advances, per contract and per store (``/admin/advances``, ``/ops/advances``); operators mark a
default with a reason (the guarantee policy pinned with the advance decides who bears it)."""

from __future__ import annotations

import uuid
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
from pawpay.platform.advances import services as advances
from pawpay.platform.errors import PawPayError
from pawpay.platform.hooks.types import NavItem
from pawpay.platform.identity.roles import FINANCE, MANAGER, OPERATOR_ROLES, OPS_ADMIN, OPS_FINANCE
from pawpay.platform.web.deps import OpsCtx, TenantCtx

STATE_LABELS = {
    "requested": N_("Requested"),
    "funded": N_("Paid to the store"),
    "repaying": N_("Repaying"),
    "repaid": N_("Repaid"),
    "declined": N_("Declined"),
    "defaulted": N_("Defaulted"),
}
POLICY_LABELS = {
    "store_bears": N_("The store bears it"),
    "platform_guarantee": N_("Platform guarantee"),
    "partner_bears": N_("The partner bears it"),
}
SERVICE_MESSAGES = (
    N_("only a funded advance with something left to repay can default"),
    N_("a repayment split awaits the provider's answer; retry after the next batch"),
    N_("the reason is too long"),
)


def _state(raw: str | None) -> str | None:
    return raw if raw in STATE_LABELS else None


class AdvancePages(Controller):
    path = "/admin/advances"
    opt = {"auth": "tenant", "roles": {MANAGER, FINANCE}}
    include_in_schema = False

    @get("/", name="advances:list")
    async def advances(self, request: Request[Any, Any, Any], ctx: TenantCtx) -> Template:
        shell = await Shell.load(request, ADMIN)
        errors: FieldErrors = {}
        limit, offset = parse_window(request.query_params, errors)
        state = _state(request.query_params.get("state"))
        views, total = await advances.list_advances(ctx, state=state, limit=limit, offset=offset)
        return shell.render("advances/list.html", {
            "advances": views, "totals": [await advances.store_totals(ctx)], "states": STATE_LABELS,
            "policies": POLICY_LABELS, "state": state or "", "errors": errors, "operator": False,
            "action": "/admin/advances",
            "pager": Pager(total=total, limit=limit, offset=offset, path="/admin/advances",
                           params={"state": state} if state else {}),
        }, status_code=422 if errors else 200)


class OpsAdvancePages(Controller):
    path = "/ops/advances"
    opt = {"auth": "platform", "roles": set(OPERATOR_ROLES)}
    include_in_schema = False

    @get("/", name="advances:ops")
    async def advances(self, request: Request[Any, Any, Any], ctx: OpsCtx) -> Template:
        shell = await Shell.load(request, OPS)
        return await _ops_page(shell, request, ctx)

    @post("/{tenant_id:uuid}/{contract_ref:str}/default", name="advances:ops_default", status_code=303,
          opt={"roles": {OPS_FINANCE, OPS_ADMIN}})
    async def mark_default(self, request: Request[Any, Any, Any], ctx: OpsCtx, tenant_id: FromPath[uuid.UUID],
                           contract_ref: FromPath[str]) -> Template | Redirect:
        shell = await Shell.load(request, OPS)
        form = await Form.read(request)
        try:
            await advances.ops_mark_default(ctx, tenant_id, contract_ref, reason=form.text("reason"))
        except PawPayError as exc:
            if not is_form_error(exc):
                raise
            errors = field_errors(exc)
            errors.setdefault("reason", errors.pop("_form", N_("Enter a reason.")))
            return await _ops_page(shell, request, ctx, errors=errors, failed=(tenant_id, contract_ref),
                                   status_code=422)
        return redirect("/ops/advances", flash(N_("The advance of %(contract)s is marked defaulted."),
                                               contract=contract_ref))


async def _ops_page(shell: Shell, request: Request[Any, Any, Any], ctx: Any, *, errors: FieldErrors | None = None,
                    failed: tuple[uuid.UUID, str] | None = None, status_code: int = 200) -> Template:
    errors = dict(errors or {})
    limit, offset = parse_window(request.query_params, errors)
    state = _state(request.query_params.get("state"))
    views, total = await advances.ops_advances(ctx, state=state, limit=limit, offset=offset)
    return shell.render("advances/list.html", {
        "advances": views, "totals": await advances.ops_totals(ctx), "states": STATE_LABELS,
        "policies": POLICY_LABELS, "state": state or "", "errors": errors, "operator": True, "failed": failed,
        "can_default": ctx.has_any_role(OPS_FINANCE, OPS_ADMIN), "action": "/ops/advances",
        "pager": Pager(total=total, limit=limit, offset=offset, path="/ops/advances",
                       params={"state": state} if state else {}),
    }, status_code=422 if errors and status_code == 200 else status_code)


ROUTES: list[Any] = [AdvancePages, OpsAdvancePages]
NAV: dict[str, list[NavItem]] = {
    ADMIN: [NavItem(label=N_("Advances"), path="/admin/advances", roles=frozenset({MANAGER, FINANCE}), order=42)],
    OPS: [NavItem(label=N_("Advances"), path="/ops/advances", order=41)],
}
