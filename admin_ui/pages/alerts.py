"""Operator alerts (``/ops/alerts``): open and resolved tabs, filters by kind and store, resolving
with a required reason. Every operator role may read and resolve."""

from __future__ import annotations

import uuid
from typing import Any, Final

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from pawpay.admin_ui.flash import flash
from pawpay.admin_ui.labels import N_
from pawpay.admin_ui.pages._forms import Form, parse_uuid
from pawpay.admin_ui.shell import OPS, FieldErrors, Pager, Shell, is_form_error, parse_window, redirect
from pawpay.platform.alerts import services as alerts
from pawpay.platform.alerts.errors import AlertErrorCode
from pawpay.platform.errors import PawPayError
from pawpay.platform.hooks.types import NavItem
from pawpay.platform.tenancy import services as tenancy
from pawpay.platform.web.deps import OpsCtx

PATH: Final = "/ops/alerts"
MAX_STORES_IN_FILTER: Final = 500

# Known kinds get a translated label; others are shown as they are.
KIND_LABELS: Final = {
    "calendar.coverage": N_("Business calendar coverage"),
}
MESSAGES: Final = {
    str(AlertErrorCode.ALERT_REASON_REQUIRED): N_("Give a reason."),
    str(AlertErrorCode.ALERT_ALREADY_RESOLVED): N_("This alert is resolved already."),
}

NAV: dict[str, list[NavItem]] = {"ops": [NavItem(N_("Alerts"), PATH, frozenset(), order=15)]}


class AlertPages(Controller):
    path = PATH
    opt = {"auth": "platform"}
    include_in_schema = False

    async def _page(self, shell: Shell, ctx: OpsCtx, *, errors: FieldErrors | None = None,
                    failed_id: uuid.UUID | None = None, reason: str = "", status_code: int = 200) -> Template:
        query = shell.request.query_params
        window_errors: FieldErrors = {}
        status = "resolved" if query.get("status") == "resolved" else "open"
        kind = (query.get("kind") or "").strip()[:64]
        store_id = parse_uuid(query.get("store"), "store", window_errors)
        limit, offset = parse_window(query, window_errors)
        items, total = await alerts.list_alerts(ctx, open_only=status == "open", kind=kind or None,
                                                tenant_id=store_id, limit=limit, offset=offset)
        stores, _ = await tenancy.list_tenants(ctx, limit=MAX_STORES_IN_FILTER)
        kept = {k: v for k, v in {"status": status, "kind": kind, "store": str(store_id) if store_id else ""}.items()
                if v}
        return shell.render("alerts/alerts.html", {
            "status": status,
            "kind": kind,
            "store": str(store_id) if store_id else "",
            "alerts": items,
            "open_count": await alerts.open_alert_count(ctx),
            "kinds": [(k, KIND_LABELS.get(k, k)) for k in await alerts.alert_kinds(ctx)],
            "kind_labels": KIND_LABELS,
            "stores": [(str(s.id), s.name) for s in stores],
            "store_names": {s.id: s.name for s in stores},
            "pager": Pager(total=total, limit=limit, offset=offset, path=PATH, params=kept),
            "tab_params": {k: v for k, v in kept.items() if k != "status"},
            "errors": {**window_errors, **(errors or {})},
            "failed_id": failed_id,
            "reason": reason,
        }, status_code=422 if window_errors and status_code == 200 else status_code)

    @get("/", name="alerts:list")
    async def list_alerts(self, request: Request[Any, Any, Any], ctx: OpsCtx) -> Template:
        shell = await Shell.load(request, OPS)
        return await self._page(shell, ctx)

    @post("/{alert_id:uuid}/resolve", name="alerts:resolve", status_code=303)
    async def resolve(self, request: Request[Any, Any, Any], ctx: OpsCtx, alert_id: FromPath[uuid.UUID]
                      ) -> Template | Redirect:
        shell = await Shell.load(request, OPS)
        form = await Form.read(request)
        try:
            view = await alerts.resolve_alert(ctx, alert_id, reason=form.text("reason"))
        except PawPayError as exc:
            if not is_form_error(exc):
                raise
            message = MESSAGES.get(str(exc.code), exc.detail)
            return await self._page(shell, ctx, errors={"reason": message}, failed_id=alert_id,
                                    reason=form.text("reason"), status_code=422)
        return redirect(PATH, flash(N_("Alert resolved: %(text)s"), text=view.message[:120]))


ROUTES: list[Any] = [AlertPages]
