"""The ``warehouses`` category: outbound orders at a cloud warehouse (云仓) and parcel tracking."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from pawpay.platform.hooks.providers import (
    Capabilities,
    ProviderConfig,
    ProviderContext,
    ProviderResult,
    RawWebhook,
    WebhookAck,
    WebhookEvent,
)


@dataclass(frozen=True, slots=True)
class Receiver:
    name: str
    phone: str
    province: str
    city: str
    district: str
    address: str
    postal_code: str = ""


@dataclass(frozen=True, slots=True)
class OrderLine:
    sku: str
    quantity: int
    name: str = ""


@dataclass(frozen=True, slots=True)
class OutboundOrder:
    """A shipment to send (one month's food box).

    Attributes:
        order_id: platform-owned id, the idempotency key (the WMS ``erpNo``).
        warehouse_code: the store's warehouse at the provider.
        receiver: where it goes.
        lines: what goes in it.
        carrier_preference: a carrier code, or "" for the warehouse's choice.
        remark: printed on the packing slip.
    """

    order_id: str
    warehouse_code: str
    receiver: Receiver
    lines: Sequence[OrderLine]
    carrier_preference: str = ""
    remark: str = ""


class ParcelState(enum.StrEnum):
    """Where a parcel is (normalised from Kuaidi100's 0/1/2/3/4/5/8/14 and WMS states)."""

    ACCEPTED = "accepted"
    PICKED = "picked"
    SHIPPED = "shipped"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    PROBLEM = "problem"
    RETURNED = "returned"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class TrackingEvent:
    at: datetime
    state: ParcelState
    description: str
    location: str = ""


@dataclass(frozen=True, slots=True)
class ShipmentInfo:
    """An outbound order as the warehouse knows it."""

    order_id: str
    result: ProviderResult
    state: ParcelState | None = None
    carrier_code: str | None = None
    waybill_no: str | None = None
    events: Sequence[TrackingEvent] = ()
    raw: Mapping[str, Any] = field(default_factory=dict)


@runtime_checkable
class WarehouseProvider(Protocol):
    """A cloud warehouse (Jushuitan, WDT, a Qimen WMS, the sandbox)."""

    @property
    def config_schema(self) -> type[ProviderConfig]:
        """The store config schema. .. versionadded:: 1"""
        ...

    @property
    def capabilities(self) -> Capabilities:
        """Optional features implemented. .. versionadded:: 1"""
        ...

    async def test_connection(self, ctx: ProviderContext[Any]) -> ProviderResult:
        """Check the store's credentials without side effects. .. versionadded:: 1"""
        ...

    async def create_outbound_order(self, ctx: ProviderContext[Any], order: OutboundOrder) -> ProviderResult:
        """Ask the warehouse to ship ``order``; idempotent on ``order.order_id``.

        Called when an installment is paid (or a box is due). ``SUCCEEDED`` means accepted by the
        warehouse (``provider_reference`` = its order number).

        .. versionadded:: 1
        """
        ...

    async def cancel_outbound_order(self, ctx: ProviderContext[Any], order_id: str, reason: str) -> ProviderResult:
        """Cancel an order; ``FAILED`` with code ``"TOO_LATE"`` once picked or shipped.

        .. versionadded:: 1
        """
        ...

    async def query_outbound_order(self, ctx: ProviderContext[Any], order_id: str) -> ShipmentInfo:
        """The order's state, carrier, waybill and tracking events. .. versionadded:: 1"""
        ...

    async def verify_webhook(self, ctx: ProviderContext[Any], raw: RawWebhook) -> Sequence[WebhookEvent]:
        """Verify and parse a shipped/tracking webhook (raises ``WebhookRejected``). .. versionadded:: 1"""
        ...

    def webhook_ack(self, ok: bool) -> WebhookAck:
        """The reply the vendor expects for an accepted (``ok``) or rejected webhook (Kuaidi100:
        ``{"result":true,"returnCode":"200","message":"成功"}``).

        Called by the webhook endpoint after persisting the raw request (capability ``WEBHOOKS``).

        .. versionadded:: 1
        """
        ...


__all__ = [
    "OrderLine",
    "OutboundOrder",
    "ParcelState",
    "Receiver",
    "ShipmentInfo",
    "TrackingEvent",
    "WarehouseProvider",
]
