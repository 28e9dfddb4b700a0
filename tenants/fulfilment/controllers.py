"""``/api/v1/fulfilment``: shipments (filters: status, late, stage, customer, contract), a shipment's
tracking, retrying one from the exception queue, reshipping."""

from __future__ import annotations

import uuid

from litestar import Controller, get, post
from litestar.params import FromPath, FromQuery, JSONBody

from pawpay.platform.identity.roles import AFTER_SALES, FINANCE, FRONT_DESK, MANAGER
from pawpay.platform.web.deps import TenantCtx
from pawpay.platform.web.schemas import to_schema
from pawpay.tenants.fulfilment import services
from pawpay.tenants.fulfilment.schemas import ReshipBody, RetryBody, ShipmentOut, ShipmentPage, TrackingOut

ACTING = {MANAGER, FRONT_DESK, AFTER_SALES}


class FulfilmentController(Controller):
    path = "/api/v1/fulfilment"
    tags = ["fulfilment"]
    opt = {"auth": "tenant", "roles": {MANAGER, FRONT_DESK, AFTER_SALES, FINANCE}}

    @get("/shipments", operation_id="ListShipments")
    async def shipments(self, ctx: TenantCtx, status: FromQuery[str | None] = None,
                        late: FromQuery[bool | None] = None, stage: FromQuery[str | None] = None,
                        customer_id: FromQuery[uuid.UUID | None] = None,
                        contract_id: FromQuery[uuid.UUID | None] = None, limit: FromQuery[int] = 50,
                        offset: FromQuery[int] = 0) -> ShipmentPage:
        views, total = await services.list_shipments(ctx, status=status or None, late=late, stage=stage or None,
                                                     customer_id=customer_id, contract_id=contract_id,
                                                     limit=limit, offset=offset)
        return ShipmentPage(items=[to_schema(v, ShipmentOut) for v in views], total=total)

    @get("/shipments/{shipment_id:uuid}", operation_id="GetShipment")
    async def shipment(self, ctx: TenantCtx, shipment_id: FromPath[uuid.UUID]) -> ShipmentOut:
        return to_schema(await services.get_shipment(ctx, shipment_id), ShipmentOut)

    @get("/shipments/{shipment_id:uuid}/tracking", operation_id="GetShipmentTracking")
    async def tracking(self, ctx: TenantCtx, shipment_id: FromPath[uuid.UUID]) -> list[TrackingOut]:
        return [to_schema(t, TrackingOut) for t in await services.tracking(ctx, shipment_id)]

    @post("/shipments/{shipment_id:uuid}/retry", operation_id="RetryShipment", status_code=200,
          opt={"roles": ACTING})
    async def retry(self, ctx: TenantCtx, shipment_id: FromPath[uuid.UUID], data: JSONBody[RetryBody]) -> ShipmentOut:
        return to_schema(await services.retry_shipment(ctx, shipment_id, reason=data.reason), ShipmentOut)

    @post("/shipments/{shipment_id:uuid}/reship", operation_id="ReshipShipment", status_code=201,
          opt={"roles": ACTING})
    async def reship(self, ctx: TenantCtx, shipment_id: FromPath[uuid.UUID],
                     data: JSONBody[ReshipBody]) -> ShipmentOut:
        lines = [(x.sku, x.quantity) for x in data.lines] if data.lines is not None else None
        view = await services.reship(ctx, shipment_id, reason=data.reason, ticket_id=data.ticket_id, lines=lines,
                                     postage_fen=data.postage_fen)
        return to_schema(view, ShipmentOut)
