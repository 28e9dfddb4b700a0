"""``/admin/staff``: a store manager lists, adds, re-roles, deactivates and reactivates staff."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from pawpay.admin_ui.flash import flash
from pawpay.admin_ui.labels import N_
from pawpay.admin_ui.pages._forms import Form
from pawpay.admin_ui.shell import ADMIN, FieldErrors, Shell, field_errors, is_form_error, redirect
from pawpay.platform.errors import PawPayError
from pawpay.platform.identity import services as identity
from pawpay.platform.identity.roles import MANAGER, TENANT_ROLES
from pawpay.platform.web.deps import TenantCtx

UPDATE_ACTIONS = ("roles", "deactivate", "reactivate")


def _page(shell: Shell, staff: list[identity.AccountView], *, form: dict[str, Any] | None = None,
          errors: FieldErrors | None = None, row_errors: dict[str, str] | None = None,
          status_code: int = 200) -> Template:
    return shell.render("shell/staff.html", {
        "staff": staff,
        "roles": TENANT_ROLES,
        "form": form or {"email": "", "display_name": "", "roles": []},
        "errors": errors or {},
        "row_errors": row_errors or {},
    }, status_code=status_code)


class StaffPages(Controller):
    path = "/admin/staff"
    opt = {"auth": "tenant", "roles": {MANAGER}}
    include_in_schema = False

    @get("/", name="shell:staff")
    async def list_staff(self, request: Request[Any, Any, Any], ctx: TenantCtx) -> Template:
        shell = await Shell.load(request, ADMIN)
        return _page(shell, await identity.list_staff(ctx))

    @post("/", name="shell:staff-create", status_code=303)
    async def create_staff(self, request: Request[Any, Any, Any], ctx: TenantCtx) -> Template | Redirect:
        shell = await Shell.load(request, ADMIN)
        staff = await identity.list_staff(ctx)  # loaded before the write: see Shell
        form = await Form.read(request)
        values: dict[str, Any] = {"email": form.text("email"), "display_name": form.text("display_name"),
                  "roles": form.all("roles")}
        try:
            view = await identity.create_staff(ctx, email=values["email"], password=form.raw("password"),
                                               roles=values["roles"], display_name=values["display_name"])
        except PawPayError as exc:
            if not is_form_error(exc):
                raise
            return _page(shell, staff, form=values, errors=field_errors(exc), status_code=422)
        return redirect("/admin/staff", flash(N_("Added %(email)s."), email=view.email))

    @post("/{account_id:uuid}", name="shell:staff-update", status_code=303)
    async def update_staff(self, request: Request[Any, Any, Any], ctx: TenantCtx,
                           account_id: FromPath[uuid.UUID]) -> Template | Redirect:
        shell = await Shell.load(request, ADMIN)
        staff = await identity.list_staff(ctx)
        form = await Form.read(request)
        action = form.text("action")
        try:
            if action == "roles":
                view = await identity.update_staff(ctx, account_id, roles=form.all("roles"))
                message = N_("Roles of %(email)s changed.")
            elif action == "deactivate":
                view = await identity.update_staff(ctx, account_id, is_active=False)
                message = N_("%(email)s can no longer sign in.")
            elif action == "reactivate":
                view = await identity.update_staff(ctx, account_id, is_active=True)
                message = N_("%(email)s can sign in again.")
            else:
                # Look the account up anyway, so that another store's id is a 404 whatever the action.
                await identity.get_staff(ctx, account_id)
                return _page(shell, staff, row_errors={str(account_id): N_("choose what to change")},
                             status_code=422)
        except PawPayError as exc:
            if not is_form_error(exc):
                raise  # NotFound (also another store's account) renders the 404 page
            message_text = next(iter(field_errors(exc).values()), exc.detail)
            return _page(shell, staff, row_errors={str(account_id): message_text}, status_code=422)
        return redirect("/admin/staff", flash(message, email=view.email))
