"""Settlement batches and statements, for stores (``/admin/settlement``) and operators
(``/ops/settlement``); the store's deposit (``/admin/deposit``) and operators' view of it with
release by operator decision (``/ops/settlement/stores/<id>/deposit``)."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from pawpay.admin_ui.flash import flash
from pawpay.admin_ui.labels import N_
from pawpay.admin_ui.pages._forms import Form, parse_date, parse_yuan
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
from pawpay.platform.deposits import services as deposits
from pawpay.platform.errors import NotFound, PawPayError
from pawpay.platform.hooks.types import NavItem
from pawpay.platform.identity.roles import FINANCE, MANAGER, OPERATOR_ROLES, OPS_ADMIN, OPS_FINANCE
from pawpay.platform.settlement import services as settlement
from pawpay.platform.settlement.controllers import download
from pawpay.platform.web.deps import OpsCtx, TenantCtx

STATUS_LABELS = {
    "running": N_("Running"),
    "completed": N_("Completed"),
    "incomplete": N_("Waiting for the provider"),
    "pending": N_("Pending"),
    "unknown": N_("Unknown outcome"),
    "succeeded": N_("Released"),
    "failed": N_("Refused"),
    "withheld": N_("Kept as deposit"),
}
EVENT_LABELS = {
    "target_changed": N_("Target changed"),
    "withheld": N_("Withheld"),
    "released": N_("Released"),
}
RULE_LABELS = {"contract_completed": N_("Contract completed"), "operator_decision": N_("Operator decision")}
SERVICE_MESSAGES = (
    N_("a reason is required"),
    N_("amount out of range"),
    N_("the deposit holds less than that"),
    N_("no withheld debit fits in that amount"),
    N_("the provider has not answered; release the deposit again later"),
    N_("the provider refused to release the deposit"),
)


# --- stores --------------------------------------------------------------------------------------


class SettlementPages(Controller):
    path = "/admin/settlement"
    opt = {"auth": "tenant", "roles": {MANAGER, FINANCE}}
    include_in_schema = False

    @get("/", name="settlement:list")
    async def batches(self, request: Request[Any, Any, Any], ctx: TenantCtx) -> Template:
        shell = await Shell.load(request, ADMIN)
        errors: FieldErrors = {}
        limit, offset = parse_window(request.query_params, errors)
        views, total = await settlement.list_batches(ctx, limit=limit, offset=offset)
        deposit = await deposits.get_deposit(ctx)
        return shell.render("settlement/list.html", {
            "batches": views, "labels": STATUS_LABELS, "deposit": deposit, "errors": errors,
            "pager": Pager(total=total, limit=limit, offset=offset, path="/admin/settlement"),
        }, status_code=422 if errors else 200)

    @get("/{batch_id:uuid}", name="settlement:statement")
    async def statement(self, request: Request[Any, Any, Any], ctx: TenantCtx, batch_id: FromPath[uuid.UUID]
                        ) -> Template:
        shell = await Shell.load(request, ADMIN)
        view = await settlement.get_statement(ctx, batch_id)
        return shell.render("settlement/statement.html", {
            "view": view, "labels": STATUS_LABELS, "base": f"/admin/settlement/{batch_id}", "back": "/admin/settlement",
        })

    @get("/{batch_id:uuid}/statement.csv", name="settlement:csv")
    async def csv(self, ctx: TenantCtx, batch_id: FromPath[uuid.UUID]) -> Response[bytes]:
        return download(await settlement.get_statement(ctx, batch_id), "csv")

    @get("/{batch_id:uuid}/statement.xlsx", name="settlement:xlsx")
    async def xlsx(self, ctx: TenantCtx, batch_id: FromPath[uuid.UUID]) -> Response[bytes]:
        return download(await settlement.get_statement(ctx, batch_id), "xlsx")


class DepositPages(Controller):
    path = "/admin/deposit"
    opt = {"auth": "tenant", "roles": {MANAGER, FINANCE}}
    include_in_schema = False

    @get("/", name="deposits:store")
    async def deposit(self, request: Request[Any, Any, Any], ctx: TenantCtx) -> Template:
        shell = await Shell.load(request, ADMIN)
        errors: FieldErrors = {}
        limit, offset = parse_window(request.query_params, errors)
        history, total = await deposits.history(ctx, limit=limit, offset=offset)
        return shell.render("deposits/store.html", {
            "deposit": await deposits.get_deposit(ctx), "history": history, "labels": EVENT_LABELS,
            "rules": RULE_LABELS, "errors": errors, "operator": False,
            "pager": Pager(total=total, limit=limit, offset=offset, path="/admin/deposit"),
        }, status_code=422 if errors else 200)


# --- operators -----------------------------------------------------------------------------------


class OpsSettlementPages(Controller):
    path = "/ops/settlement"
    opt = {"auth": "platform", "roles": set(OPERATOR_ROLES)}
    include_in_schema = False

    @get("/", name="settlement:ops")
    async def overview(self, request: Request[Any, Any, Any], ctx: OpsCtx) -> Template:
        shell = await Shell.load(request, OPS)
        errors: FieldErrors = {}
        limit, offset = parse_window(request.query_params, errors)
        day = parse_date(request.query_params.get("day"), "day", errors)
        views, total = await settlement.ops_batches(ctx, business_day=day, limit=limit, offset=offset)
        stores_deposits, _ = await deposits.ops_overview(ctx, limit=200)
        return shell.render("settlement/ops.html", {
            "totals": await settlement.ops_day_totals(ctx), "batches": views, "labels": STATUS_LABELS,
            "deposits": stores_deposits,
            "day": day, "errors": errors, "can_run": ctx.has_any_role(OPS_FINANCE, OPS_ADMIN),
            "pager": Pager(total=total, limit=limit, offset=offset, path="/ops/settlement",
                           params={"day": day.isoformat()} if day else {}),
        }, status_code=422 if errors else 200)

    @post("/run", name="settlement:ops_run", status_code=303, opt={"roles": {OPS_FINANCE, OPS_ADMIN}})
    async def run(self, request: Request[Any, Any, Any], ctx: OpsCtx) -> Redirect:
        form = await Form.read(request)
        errors: FieldErrors = {}
        day = parse_date(form.text("day"), "day", errors)
        if day is None:
            return redirect("/ops/settlement", flash(N_("Enter the business day to run."), "error"))
        outcomes = await settlement.run_all(ctx, day)
        failed = [o for o in outcomes if o.error or (o.batch and o.batch.status != "completed")]
        if failed:
            return redirect(f"/ops/settlement?day={day.isoformat()}",
                            flash(N_("Ran %(count)s store(s); %(failed)s need attention."), "warning",
                                  count=len(outcomes), failed=len(failed)))
        return redirect(f"/ops/settlement?day={day.isoformat()}",
                        flash(N_("Ran %(count)s store(s)."), count=len(outcomes)))

    @get("/stores/{tenant_id:uuid}/{batch_id:uuid}", name="settlement:ops_statement")
    async def statement(self, request: Request[Any, Any, Any], ctx: OpsCtx, tenant_id: FromPath[uuid.UUID],
                        batch_id: FromPath[uuid.UUID]) -> Template:
        shell = await Shell.load(request, OPS)
        view = await settlement.ops_statement(ctx, tenant_id, batch_id)
        return shell.render("settlement/statement.html", {
            "view": view, "labels": STATUS_LABELS, "base": f"/ops/settlement/stores/{tenant_id}/{batch_id}",
            "back": "/ops/settlement", "deposit_url": f"/ops/settlement/stores/{tenant_id}/deposit",
        })

    @get("/stores/{tenant_id:uuid}/{batch_id:uuid}/statement.csv", name="settlement:ops_csv")
    async def csv(self, ctx: OpsCtx, tenant_id: FromPath[uuid.UUID], batch_id: FromPath[uuid.UUID]
                  ) -> Response[bytes]:
        return download(await settlement.ops_statement(ctx, tenant_id, batch_id), "csv")

    @get("/stores/{tenant_id:uuid}/{batch_id:uuid}/statement.xlsx", name="settlement:ops_xlsx")
    async def xlsx(self, ctx: OpsCtx, tenant_id: FromPath[uuid.UUID], batch_id: FromPath[uuid.UUID]
                   ) -> Response[bytes]:
        return download(await settlement.ops_statement(ctx, tenant_id, batch_id), "xlsx")

    @get("/stores/{tenant_id:uuid}/deposit", name="deposits:ops")
    async def deposit(self, request: Request[Any, Any, Any], ctx: OpsCtx, tenant_id: FromPath[uuid.UUID]) -> Template:
        shell = await Shell.load(request, OPS)
        return await _ops_deposit(shell, ctx, tenant_id)

    @post("/stores/{tenant_id:uuid}/deposit/release", name="deposits:ops_release", status_code=303,
          opt={"roles": {OPS_FINANCE, OPS_ADMIN}})
    async def release(self, request: Request[Any, Any, Any], ctx: OpsCtx, tenant_id: FromPath[uuid.UUID]
                      ) -> Template | Redirect:
        shell = await Shell.load(request, OPS)
        form = await Form.read(request)
        errors: FieldErrors = {}
        amount = parse_yuan(form.text("amount"), "amount", errors)
        values = {"amount": form.text("amount"), "reason": form.text("reason")}
        if amount is not None:
            try:
                event = await deposits.operator_release(ctx, tenant_id, amount, reason=form.text("reason"))
            except NotFound:
                raise
            except PawPayError as exc:
                if not is_form_error(exc):
                    raise
                errors = field_errors(exc, rename={"amount_fen": "amount"})
            else:
                released = f"{event.amount_fen / 100:.2f}"
                return redirect(f"/ops/settlement/stores/{tenant_id}/deposit",
                                flash(N_("Released %(amount)s of the deposit."), amount=released))
        return await _ops_deposit(shell, ctx, tenant_id, values=values, errors=errors, status_code=422)


async def _ops_deposit(shell: Shell, ctx: Any, tenant_id: uuid.UUID, *, values: dict[str, str] | None = None,
                       errors: FieldErrors | None = None, status_code: int = 200) -> Template:
    deposit = await deposits.store_deposit(ctx, tenant_id)
    history, total = await deposits.store_history(ctx, tenant_id, limit=50, offset=0)
    return shell.render("deposits/store.html", {
        "deposit": deposit, "history": history, "labels": EVENT_LABELS, "rules": RULE_LABELS,
        "errors": errors or {}, "values": values or {}, "operator": True,
        "can_release": ctx.has_any_role(OPS_FINANCE, OPS_ADMIN),
        "action": f"/ops/settlement/stores/{tenant_id}/deposit/release",
        "pager": Pager(total=total, limit=50, offset=0, path=f"/ops/settlement/stores/{tenant_id}/deposit"),
    }, status_code=status_code)


ROUTES: list[Any] = [SettlementPages, DepositPages, OpsSettlementPages]
NAV: dict[str, list[NavItem]] = {
    ADMIN: [
        NavItem(label=N_("Settlement"), path="/admin/settlement", roles=frozenset({MANAGER, FINANCE}), order=40),
        NavItem(label=N_("Deposit"), path="/admin/deposit", roles=frozenset({MANAGER, FINANCE}), order=41),
    ],
    OPS: [NavItem(label=N_("Settlement"), path="/ops/settlement", order=40)],
}
