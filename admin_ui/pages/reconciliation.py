"""Reconciliation runs and differences (``/ops/reconciliation``): runs by day and store, the open
differences with a resolve form (a reason is required; audited), and running a day again."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from pawpay.admin_ui.flash import flash
from pawpay.admin_ui.labels import N_
from pawpay.admin_ui.pages._forms import Form, parse_date
from pawpay.admin_ui.shell import OPS, FieldErrors, Pager, Shell, field_errors, is_form_error, parse_window, redirect
from pawpay.platform.errors import PawPayError
from pawpay.platform.hooks.types import NavItem
from pawpay.platform.identity.roles import OPERATOR_ROLES, OPS_ADMIN, OPS_FINANCE
from pawpay.platform.reconciliation import services as reconciliation
from pawpay.platform.web.deps import OpsCtx

STATUS_LABELS = {
    "clean": N_("Clean"),
    "differences": N_("Differences"),
    "failed": N_("Statement unavailable"),
    "open": N_("Open"),
    "resolved": N_("Resolved"),
}
KIND_LABELS = {
    "missing_in_ledger": N_("Missing in the ledger"),
    "extra_in_ledger": N_("Not on the statement"),
    "amount_mismatch": N_("Amount mismatch"),
}
TYPE_LABELS = {"charge": N_("Debit"), "refund": N_("Refund"), "release": N_("Release"), "split": N_("Split")}
SERVICE_MESSAGES = (
    N_("a reason is required"),
    N_("the reason is too long"),
    N_("this difference was resolved before"),
)


class OpsReconciliationPages(Controller):
    path = "/ops/reconciliation"
    opt = {"auth": "platform", "roles": set(OPERATOR_ROLES)}
    include_in_schema = False

    @get("/", name="reconciliation:ops")
    async def overview(self, request: Request[Any, Any, Any], ctx: OpsCtx) -> Template:
        shell = await Shell.load(request, OPS)
        return await _page(shell, request, ctx)

    @post("/run", name="reconciliation:ops_run", status_code=303, opt={"roles": {OPS_FINANCE, OPS_ADMIN}})
    async def run(self, request: Request[Any, Any, Any], ctx: OpsCtx) -> Redirect:
        form = await Form.read(request)
        errors: FieldErrors = {}
        day = parse_date(form.text("day"), "day", errors)
        if day is None:
            return redirect("/ops/reconciliation", flash(N_("Enter the day to reconcile."), "error"))
        outcomes = await reconciliation.run_all(ctx, day)
        troubled = [o for o in outcomes if o.error or (o.run and o.run.status != "clean")]
        message = (N_("Reconciled %(count)s store(s); %(failed)s with differences or errors.") if troubled
                   else N_("Reconciled %(count)s store(s): all clean."))
        return redirect(f"/ops/reconciliation?day={day.isoformat()}",
                        flash(message, "warning" if troubled else "success", count=len(outcomes), failed=len(troubled)))

    @post("/differences/{difference_id:uuid}/resolve", name="reconciliation:ops_resolve", status_code=303,
          opt={"roles": {OPS_FINANCE, OPS_ADMIN}})
    async def resolve(self, request: Request[Any, Any, Any], ctx: OpsCtx,
                      difference_id: FromPath[uuid.UUID]) -> Template | Redirect:
        shell = await Shell.load(request, OPS)
        form = await Form.read(request)
        try:
            await reconciliation.resolve_difference(ctx, difference_id, reason=form.text("reason"))
        except PawPayError as exc:
            if not is_form_error(exc):
                raise
            errors = field_errors(exc)
            errors.setdefault("reason", errors.pop("_form", N_("a reason is required")))
            return await _page(shell, request, ctx, errors=errors, failed=difference_id, status_code=422)
        return redirect("/ops/reconciliation", flash(N_("The difference is resolved.")))


async def _page(shell: Shell, request: Request[Any, Any, Any], ctx: Any, *, errors: FieldErrors | None = None,
                failed: uuid.UUID | None = None, status_code: int = 200) -> Template:
    errors = dict(errors or {})
    limit, offset = parse_window(request.query_params, errors)
    day = parse_date(request.query_params.get("day"), "day", errors)
    runs, total = await reconciliation.ops_runs(ctx, day=day, limit=limit, offset=offset)
    differences, open_total = await reconciliation.ops_differences(ctx, open_only=True, limit=200)
    return shell.render("reconciliation/ops.html", {
        "runs": runs, "differences": differences, "open_total": open_total, "labels": STATUS_LABELS,
        "kinds": KIND_LABELS, "types": TYPE_LABELS, "day": day, "errors": errors, "failed": failed,
        "can_act": ctx.has_any_role(OPS_FINANCE, OPS_ADMIN),
        "pager": Pager(total=total, limit=limit, offset=offset, path="/ops/reconciliation",
                       params={"day": day.isoformat()} if day else {}),
    }, status_code=422 if errors and status_code == 200 else status_code)


ROUTES: list[Any] = [OpsReconciliationPages]
NAV: dict[str, list[NavItem]] = {OPS: [NavItem(label=N_("Reconciliation"), path="/ops/reconciliation", order=42)]}
