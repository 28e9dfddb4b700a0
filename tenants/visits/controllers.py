"""``/api/v1/visits``: the store's follow-up visits, their form, "could not reach" and reassignment."""

from __future__ import annotations

import uuid

from litestar import Controller, get, post
from litestar.params import FromPath, FromQuery, JSONBody

from pawpay.platform.identity.roles import AFTER_SALES, FRONT_DESK, MANAGER
from pawpay.platform.web.deps import TenantCtx
from pawpay.tenants.customers import services as customers
from pawpay.tenants.visits import services
from pawpay.tenants.visits.schemas import AssignBody, CompleteBody, UnreachableBody, VisitListOut, VisitOut
from pawpay.tenants.visits.services import VisitView

VISIT_ROLES = frozenset({MANAGER, AFTER_SALES, FRONT_DESK})


def visit_out(view: VisitView, today: object) -> VisitOut:
    data = {name: getattr(view, name) for name in VisitView.__dataclass_fields__ if name != "updated_at"}
    return VisitOut(**data, window=view.window(today) if view.status == "open" else "")  # type: ignore[arg-type]


class VisitController(Controller):
    path = "/api/v1/visits"
    tags = ["visits"]
    opt = {"auth": "tenant", "roles": set(VISIT_ROLES)}

    @get("/", operation_id="ListVisits")
    async def list_visits(self, ctx: TenantCtx, window: FromQuery[str | None] = None, mine: FromQuery[bool] = False,
                          status: FromQuery[str | None] = "open", contract_id: FromQuery[uuid.UUID | None] = None,
                          limit: FromQuery[int] = 50, offset: FromQuery[int] = 0) -> VisitListOut:
        views, total = await services.list_visits(
            ctx, window=window, assignee_id=ctx.actor_id if mine else None, status=status or None,
            contract_id=contract_id, limit=limit, offset=offset)
        today = await customers.store_today(ctx)
        return VisitListOut(items=[visit_out(v, today) for v in views], total=total)

    @get("/{visit_id:uuid}", operation_id="GetVisit")
    async def get_visit(self, ctx: TenantCtx, visit_id: FromPath[uuid.UUID]) -> VisitOut:
        return visit_out(await services.get_visit(ctx, visit_id), await customers.store_today(ctx))

    @post("/{visit_id:uuid}/complete", operation_id="CompleteVisit", status_code=200)
    async def complete(self, ctx: TenantCtx, visit_id: FromPath[uuid.UUID], data: JSONBody[CompleteBody]
                       ) -> VisitOut:
        view = await services.complete_visit(ctx, visit_id, settled=data.settled, satisfaction=data.satisfaction,
                                             feeding_questions=data.feeding_questions, notes=data.notes)
        return visit_out(view, await customers.store_today(ctx))

    @post("/{visit_id:uuid}/unreachable", operation_id="VisitCouldNotReach", status_code=200)
    async def unreachable(self, ctx: TenantCtx, visit_id: FromPath[uuid.UUID], data: JSONBody[UnreachableBody]
                          ) -> VisitOut:
        view = await services.could_not_reach(ctx, visit_id, reschedule_on=data.reschedule_on, note=data.note)
        return visit_out(view, await customers.store_today(ctx))

    @post("/{visit_id:uuid}/assign", operation_id="AssignVisit", status_code=200, opt={"roles": {MANAGER}})
    async def assign(self, ctx: TenantCtx, visit_id: FromPath[uuid.UUID], data: JSONBody[AssignBody]) -> VisitOut:
        view = await services.assign_visit(ctx, visit_id, data.assignee_id)
        return visit_out(view, await customers.store_today(ctx))
