"""``/admin/api-keys``: a store manager creates (the key is shown once), lists and revokes API keys."""

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


def _page(shell: Shell, keys: list[identity.ApiKeyView], *, form: dict[str, str] | None = None,
          errors: FieldErrors | None = None, new_key: str = "", status_code: int = 200) -> Template:
    return shell.render("shell/api_keys.html", {
        "keys": keys,
        "roles": TENANT_ROLES,
        "form": form or {"name": "", "role": ""},
        "errors": errors or {},
        "new_key": new_key,
    }, status_code=status_code)


class ApiKeyPages(Controller):
    path = "/admin/api-keys"
    opt = {"auth": "tenant", "roles": {MANAGER}}
    include_in_schema = False

    @get("/", name="shell:api-keys")
    async def list_keys(self, request: Request[Any, Any, Any], ctx: TenantCtx) -> Template:
        shell = await Shell.load(request, ADMIN)
        return _page(shell, await identity.list_api_keys(ctx))

    @post("/", name="shell:api-keys-create", status_code=200)
    async def create_key(self, request: Request[Any, Any, Any], ctx: TenantCtx) -> Template:
        shell = await Shell.load(request, ADMIN)
        keys = await identity.list_api_keys(ctx)
        form = await Form.read(request)
        values = {"name": form.text("name"), "role": form.text("role")}
        try:
            plaintext, _ = await identity.create_api_key(ctx, name=values["name"], role=values["role"])
        except PawPayError as exc:
            if not is_form_error(exc):
                raise
            errors = field_errors(exc, rename={"roles": "role"})
            return _page(shell, keys, form=values, errors=errors, status_code=422)
        # The one time the key is visible: rendered in this response (never a flash cookie, never logged).
        return _page(shell, await identity.list_api_keys(ctx), new_key=plaintext, status_code=201)

    @post("/{key_id:uuid}/revoke", name="shell:api-keys-revoke", status_code=303)
    async def revoke_key(self, ctx: TenantCtx, key_id: FromPath[uuid.UUID]) -> Redirect:
        view = await identity.revoke_api_key(ctx, key_id)
        return redirect("/admin/api-keys", flash(N_("API key %(name)s revoked."), name=view.name))
