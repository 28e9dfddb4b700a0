"""Billing pages (``/admin/billing``): the store's clock with the test-clock controls (a store in test
mode advances a day, to the next debit or a month; the real scheduler and workers then do the work),
debits due today, failed debits with a one-click retry, and the recent attempts with their outcomes."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from pawpay.admin_ui.flash import flash
from pawpay.admin_ui.labels import N_
from pawpay.admin_ui.pages._forms import Form
from pawpay.admin_ui.shell import ADMIN, Shell, redirect
from pawpay.platform.errors import PawPayError
from pawpay.platform.hooks.types import NavItem
from pawpay.platform.identity.roles import FINANCE, FRONT_DESK, MANAGER
from pawpay.platform.web.deps import TenantCtx
from pawpay.tenants.billing import services as billing

STATUS_LABELS = {
    "planned": N_("Planned"),
    "submitted": N_("Sent to the provider"),
    "succeeded": N_("Collected"),
    "failed": N_("Declined"),
    "unknown": N_("Being confirmed"),
    "cancelled": N_("Cancelled"),
    "due": N_("Due"),
    "paid": N_("Paid"),
    "paused": N_("Paused"),
}
TRIGGER_LABELS = {"schedule": N_("Scheduled"), "retry": N_("Automatic retry"), "staff": N_("Staff")}
STEPS = {"day": N_("Advance 1 day"), "next_debit": N_("Advance to the next debit"), "month": N_("Advance 1 month")}
SERVICE_MESSAGES = (
    N_("a reason is required"),
    N_("only a store in test mode can move its clock"),
    N_("no debit is planned"),
    N_("the payment rail allows debits only in its hours"),
    N_("a debit of this installment is in flight; its outcome is being confirmed"),
    N_("this installment is paid"),
    N_("this installment is paused"),
    N_("this installment is not open"),
    N_("this installment was collected"),
)


class BillingPages(Controller):
    path = "/admin/billing"
    opt = {"auth": "tenant", "roles": {MANAGER, FINANCE, FRONT_DESK}}
    include_in_schema = False

    @get("/", name="billing:overview")
    async def overview(self, request: Request[Any, Any, Any], ctx: TenantCtx) -> Template:
        shell = await Shell.load(request, ADMIN)
        return shell.render("billing/overview.html", {
            "clock": await billing.clock(ctx), "due": await billing.debits_due_today(ctx),
            "failed": await billing.failed_debits(ctx), "attempts": await billing.recent_attempts(ctx, limit=50),
            "labels": STATUS_LABELS, "triggers": TRIGGER_LABELS, "steps": STEPS,
            "can_advance": ctx.has_any_role(MANAGER), "can_retry": ctx.has_any_role(MANAGER, FINANCE),
        })

    @post("/clock", name="billing:advance", status_code=303, opt={"roles": {MANAGER}})
    async def advance(self, request: Request[Any, Any, Any], ctx: TenantCtx) -> Redirect:
        form = await Form.read(request)
        step = form.text("step")
        try:
            view = await billing.advance_clock(ctx, step)
        except PawPayError as exc:
            return redirect("/admin/billing", flash(exc.detail, "error"))
        return redirect("/admin/billing", flash(N_("The store's clock is now %(now)s."), "success",
                                                now=view.local_now.strftime("%Y-%m-%d %H:%M")))

    @post("/installments/{installment_id:uuid}/retry", name="billing:retry", status_code=303,
          opt={"roles": {MANAGER, FINANCE}})
    async def retry(self, request: Request[Any, Any, Any], ctx: TenantCtx,
                    installment_id: FromPath[uuid.UUID]) -> Redirect:
        form = await Form.read(request)
        try:
            attempt = await billing.retry_now(ctx, installment_id, reason=form.text("reason") or "staff retry")
        except PawPayError as exc:
            if exc.code == "NOT_FOUND":
                raise
            return redirect("/admin/billing", flash(exc.detail, "error"))
        message = {"succeeded": N_("The debit was collected."), "failed": N_("The debit was declined (%(code)s)."),
                   }.get(attempt.status, N_("The debit was sent; its outcome is being confirmed."))
        return redirect("/admin/billing", flash(message, "success" if attempt.status == "succeeded" else "warning",
                                                code=attempt.error_code))


ROUTES: list[Any] = [BillingPages]
NAV: dict[str, list[NavItem]] = {
    ADMIN: [NavItem(label=N_("Debits"), path="/admin/billing", roles=frozenset({MANAGER, FINANCE, FRONT_DESK}),
                    order=45)],
}
