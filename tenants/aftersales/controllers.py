"""``/api/v1/aftersales``: the store's tickets (list, detail, open, act, reship, coupon, pause proposal)."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, get, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from pawpay.platform.identity.roles import AFTER_SALES, FRONT_DESK, MANAGER
from pawpay.platform.web.deps import TenantCtx
from pawpay.platform.web.schemas import to_schema
from pawpay.tenants.aftersales import services
from pawpay.tenants.aftersales.schemas import (
    ActionBody,
    CouponBody,
    EventOut,
    OpenTicketBody,
    PauseProposalBody,
    ReshipBody,
    TicketDetailOut,
    TicketOut,
)

STAFF_ROLES = {MANAGER, FRONT_DESK, AFTER_SALES}


class AftersalesController(Controller):
    path = "/api/v1/aftersales"
    tags = ["aftersales"]
    opt = {"auth": "tenant", "roles": STAFF_ROLES}

    @get("/tickets", operation_id="ListAftersalesTickets")
    async def tickets(self, ctx: TenantCtx, ticket_state: Annotated[str | None, QueryParameter(name="state")] = None,
                      kind: FromQuery[str | None] = None, limit: FromQuery[int] = 50,
                      offset: FromQuery[int] = 0) -> list[TicketOut]:
        # "state" is litestar's reserved name: the query parameter is read under another.
        views, _total = await services.list_tickets(ctx, state=ticket_state, kind=kind,
                                                    limit=max(1, min(limit, 200)), offset=max(0, offset))
        return [to_schema(v, TicketOut) for v in views]

    @get("/tickets/{ticket_id:uuid}", operation_id="GetAftersalesTicket")
    async def detail(self, ctx: TenantCtx, ticket_id: FromPath[uuid.UUID]) -> TicketDetailOut:
        view = await services.get_ticket(ctx, ticket_id)
        return TicketDetailOut(ticket=to_schema(view, TicketOut),
                               events=[to_schema(e, EventOut) for e in await services.events(ctx, ticket_id)],
                               photo_urls=[p.url() for p in await services.photos(ctx, ticket_id)])

    @post("/tickets", operation_id="OpenAftersalesTicket", status_code=201)
    async def open(self, ctx: TenantCtx, data: JSONBody[OpenTicketBody]) -> TicketOut:
        view = await services.open_ticket(ctx, kind=data.kind, contract_id=data.contract_id,
                                          description=data.description, shipment_id=data.shipment_id,
                                          title=data.title)
        return to_schema(view, TicketOut)

    @post("/tickets/{ticket_id:uuid}/actions", operation_id="ActOnAftersalesTicket", status_code=200)
    async def act(self, ctx: TenantCtx, ticket_id: FromPath[uuid.UUID], data: JSONBody[ActionBody]) -> TicketOut:
        if data.action == "customer_reply":
            from pawpay.platform.errors import ValidationFailed

            raise ValidationFailed("unknown action", field="action")
        return to_schema(await services.act(ctx, ticket_id, data.action, note=data.note), TicketOut)

    @post("/tickets/{ticket_id:uuid}/reship", operation_id="ReshipAftersalesTicket", status_code=200)
    async def reship(self, ctx: TenantCtx, ticket_id: FromPath[uuid.UUID], data: JSONBody[ReshipBody]) -> TicketOut:
        lines = [(line.sku, line.quantity) for line in data.lines] if data.lines is not None else None
        return to_schema(await services.reship(ctx, ticket_id, postage_fen=data.postage_fen, lines=lines), TicketOut)

    @post("/tickets/{ticket_id:uuid}/coupons", operation_id="AttachAftersalesCoupon", status_code=201)
    async def coupon(self, ctx: TenantCtx, ticket_id: FromPath[uuid.UUID], data: JSONBody[CouponBody]) -> TicketOut:
        await services.attach_coupon(ctx, ticket_id, clinic=data.clinic, discount_kind=data.discount_kind,
                                     discount_value=data.discount_value, code=data.code, expires_on=data.expires_on)
        return to_schema(await services.get_ticket(ctx, ticket_id), TicketOut)

    @post("/tickets/{ticket_id:uuid}/pause-proposal", operation_id="ProposeAftersalesPause", status_code=200)
    async def propose_pause(self, ctx: TenantCtx, ticket_id: FromPath[uuid.UUID],
                            data: JSONBody[PauseProposalBody]) -> TicketOut:
        return to_schema(await services.propose_pause(ctx, ticket_id, periods=data.periods, reason=data.reason),
                         TicketOut)
