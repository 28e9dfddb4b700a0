"""The audit log: ``/admin/audit`` (a store's own entries) and ``/ops/audit`` (every store's)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from litestar import Request, get
from litestar.response import Template

from pawpay.admin_ui.labels import N_
from pawpay.admin_ui.pages._forms import day_after, day_start, parse_date, parse_uuid
from pawpay.admin_ui.shell import ADMIN, OPS, FieldErrors, Pager, Shell, parse_window
from pawpay.admin_ui.templating import zone_of
from pawpay.platform.audit import services as audit
from pawpay.platform.identity import services as identity
from pawpay.platform.identity.roles import FINANCE, MANAGER
from pawpay.platform.tenancy import services as tenancy
from pawpay.platform.web.deps import OpsCtx, TenantCtx

FILTER_FIELDS = ("action", "actor", "target_type", "target_id", "since", "until")
MAX_TEXT = 200


@dataclass(frozen=True, slots=True)
class Change:
    """One key of an entry's before/after snapshots."""

    key: str
    before: Any
    after: Any
    changed: bool


def diff(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[Change]:
    """The union of both snapshots' keys, in order, each marked whether it changed."""
    before, after = before or {}, after or {}
    keys = list(before) + [k for k in after if k not in before]
    missing = object()
    changes = []
    for key in keys:
        old, new = before.get(key, missing), after.get(key, missing)
        changes.append(Change(key, None if old is missing else old, None if new is missing else new, old != new))
    return changes


def _filters(request: Request[Any, Any, Any], shell: Shell, fields: tuple[str, ...],
             errors: FieldErrors) -> tuple[dict[str, str], audit.AuditFilter, int, int]:
    query = request.query_params
    values = {name: (query.get(name) or "").strip()[:MAX_TEXT] for name in fields}
    zone = zone_of({"time_zone": shell.time_zone})
    since = parse_date(values.get("since"), "since", errors)
    until = parse_date(values.get("until"), "until", errors)
    if since and until and until < since:
        errors["until"] = N_("the end date is before the start date")
    flt = audit.AuditFilter(
        action=values.get("action") or None,
        actor_id=parse_uuid(values.get("actor"), "actor", errors),
        target_type=values.get("target_type") or None,
        target_id=values.get("target_id") or None,
        tenant_id=parse_uuid(values.get("store"), "store", errors),
        since=day_start(since, zone) if since else None,
        until=day_after(until, zone) if until else None,
    )
    limit, offset = parse_window({k: v for k, v in query.items() if k in ("limit", "offset")}, errors)
    return values, flt, limit, offset


async def _render(request: Request[Any, Any, Any], shell: Shell, ctx: Any, fields: tuple[str, ...],
                  template: str, extra: dict[str, Any]) -> Template:
    errors: FieldErrors = {}
    values, flt, limit, offset = _filters(request, shell, fields, errors)
    entries: list[audit.AuditView] = []
    total = 0
    if not errors:  # a bad filter shows the form with its error, not a guess at what was meant
        entries, total = await audit.list_entries(ctx, flt, limit=limit, offset=offset)
    pager = Pager(total=total, limit=limit, offset=offset, path=request.url.path, params=values)
    rows = [{"entry": e, "changes": diff(e.before, e.after)} for e in entries]
    return shell.render(template, {"filters": values, "errors": errors, "rows": rows, "pager": pager, **extra},
                        status_code=422 if errors else 200)


@get("/admin/audit", opt={"auth": "tenant", "roles": {MANAGER, FINANCE}}, name="shell:admin-audit",
          include_in_schema=False)
async def admin_audit(request: Request[Any, Any, Any], ctx: TenantCtx) -> Template:
    shell = await Shell.load(request, ADMIN)
    staff = await identity.list_staff(ctx)
    actors = [(str(a.id), a.display_name, a.email) for a in staff]
    return await _render(request, shell, ctx, FILTER_FIELDS, "shell/audit.html", {"actors": actors})


@get("/ops/audit", opt={"auth": "platform"}, name="shell:ops-audit", include_in_schema=False)
async def ops_audit(request: Request[Any, Any, Any], ctx: OpsCtx) -> Template:
    shell = await Shell.load(request, OPS)
    stores, _ = await tenancy.list_tenants(ctx, limit=200)
    template = await _render(request, shell, ctx, (*FILTER_FIELDS, "store"), "shell/audit.html",
                             {"stores": [(str(s.id), s.name) for s in stores]})
    entries = [row["entry"] for row in template.context["rows"]]
    ids: set[uuid.UUID] = {e.tenant_id for e in entries if e.tenant_id}
    names = {**{s.id: s.name for s in stores}}
    missing = ids - set(names)
    if missing:
        names.update(await tenancy.tenant_names(ctx, missing))
    template.context["store_names"] = {str(k): v for k, v in names.items()}
    return template
