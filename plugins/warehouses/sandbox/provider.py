"""The sandbox cloud warehouse (云仓): deterministic, scriptable, in memory.

An outbound order's parcel moves through Kuaidi100-like tracking states as a **function of the
store's clock** (``ctx.clock_now``), measured from the order's creation, so a test clock moves
it forward:

===========  =====================  ==============================================
after        state                  Kuaidi100 ``state``
===========  =====================  ==============================================
0 h          ``accepted``           (WMS: order received)
2 h          ``picked``             (WMS: picked and packed)
6 h          ``shipped``            1 揽收 (the waybill number appears now)
12 h         ``in_transit``         0 在途
36 h         ``out_for_delivery``   5 派件
40 h         ``delivered``          3 签收
===========  =====================  ==============================================

Scripted by the **last two digits of the receiver's phone**:

=====  ============================================================================================
ends   behaviour
=====  ============================================================================================
``91`` lost: ``problem`` (2 疑难, "运输途中丢失") at 24 h, and it stays there
``92`` refused: ``out_for_delivery`` at 36 h, ``problem`` (14 拒签) at 40 h, ``returned``
       (4 退签, back at the warehouse) at 96 h
``93`` ``create_outbound_order`` is ``NOT_SUBMITTED`` ``SYSTEM_BUSY`` the first time; a retry with
       the same ``order_id`` is accepted
``94`` ``create_outbound_order`` is ``UNKNOWN`` ``TIMEOUT`` but the warehouse did receive it: a
       query (or a repeated create) shows the order
``98`` ``create_outbound_order`` raises :class:`ProviderError` ``SANDBOX_FAULT`` (retryable)
=====  ============================================================================================

A line whose SKU starts with ``OOS`` fails the order ``OUT_OF_STOCK`` until the test restocks it
(:meth:`SandboxWarehouse.restock`); an order without lines or with a quantity below 1 fails
``INVALID_ORDER``. A refused order is not created (as at a real WMS): sending the same
``order_id`` again is judged afresh, so a retry after a restock is accepted.
``cancel_outbound_order`` succeeds while the order is ``accepted`` (the parcel then shows
``cancelled``) and fails ``TOO_LATE`` from ``picked`` on; an unknown order is ``NOT_SUBMITTED``
``NOT_FOUND``. The carrier is the order's ``carrier_preference`` or ``SF``; the waybill is
``<carrier>`` + 12 digits derived from the order.

**Hours and rate** (optional for a warehouse): ``order_hours`` (e.g. ``09:00-18:00``, Beijing time)
and ``requests_per_second`` come back from ``rail_limits``; fulfilment sends orders only inside
the hours, the call guard applies the rate.

``test_connection``: app key ``sandbox_bad_credentials`` fails ``AUTH_FAILED``,
``sandbox_unreachable`` is ``NOT_SUBMITTED`` ``UNREACHABLE``; anything else succeeds.

**Idempotency.** Orders are keyed by ``(tenant_id, order_id)`` (the WMS ``erpNo``): creating the
same order again returns its outcome and never ships a second parcel; reusing the id for other
contents raises ``ProviderError`` ``IDEMPOTENCY_MISMATCH``.

**Webhooks** (``parcel.moved``, one per state reached) are JSON signed with the store's
``webhook_secret``: ``X-Sandbox-Signature = hex(HMAC-SHA256(secret, timestamp + "." + body))``
and ``X-Sandbox-Timestamp`` (unix seconds, within 5 minutes of the store's clock).
:meth:`SandboxWarehouse.build_webhook` makes one for a parcel's latest state; the expected reply
is Kuaidi100's ``{"result":true,"returnCode":"200","message":"成功"}``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta
from typing import Any, ClassVar

import pydantic

from pawpay.platform.hooks import (
    Capabilities,
    Capability,
    OutboundOrder,
    ParcelState,
    ProviderConfig,
    ProviderContext,
    ProviderError,
    ProviderResult,
    ProviderStatus,
    RailLimits,
    RawWebhook,
    ShipmentInfo,
    TrackingEvent,
    WebhookAck,
    WebhookEvent,
    WebhookRejected,
)

WEBHOOK_TOLERANCE_SECONDS = 300
SIGNATURE_HEADER = "x-sandbox-signature"
TIMESTAMP_HEADER = "x-sandbox-timestamp"
DEFAULT_CARRIER = "SF"

_Step = tuple[timedelta, ParcelState, str]

NORMAL_JOURNEY: tuple[_Step, ...] = (
    (timedelta(0), ParcelState.ACCEPTED, "仓库已接单"),
    (timedelta(hours=2), ParcelState.PICKED, "仓库已拣货打包"),
    (timedelta(hours=6), ParcelState.SHIPPED, "快递员已揽收"),
    (timedelta(hours=12), ParcelState.IN_TRANSIT, "快件已到达转运中心"),
    (timedelta(hours=36), ParcelState.OUT_FOR_DELIVERY, "快递员正在派件"),
    (timedelta(hours=40), ParcelState.DELIVERED, "已签收"),
)
LOST_JOURNEY: tuple[_Step, ...] = (
    *NORMAL_JOURNEY[:4],
    (timedelta(hours=24), ParcelState.PROBLEM, "快件疑难：运输途中丢失"),
)
REFUSED_JOURNEY: tuple[_Step, ...] = (
    *NORMAL_JOURNEY[:5],
    (timedelta(hours=40), ParcelState.PROBLEM, "收件人拒签"),
    (timedelta(hours=96), ParcelState.RETURNED, "快件已退回发货仓"),
)
_JOURNEYS = {"91": LOST_JOURNEY, "92": REFUSED_JOURNEY}


# Every setting has a default so a store gets this sandbox without entering anything (the
# platform falls back to a settings-free sandbox). The default secret is public: a store that
# wants forged sandbox webhooks refused enters its own.
SANDBOX_SECRET = pydantic.SecretStr("pawpay-sandbox-public-secret")


class SandboxWarehouseConfig(ProviderConfig):
    """A store's sandbox warehouse settings."""

    app_key: str = pydantic.Field(
        default="sandbox", min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$",
        description="The sandbox WMS app key (any value; see the docs for scripted ones).",
    )
    app_secret: pydantic.SecretStr = pydantic.Field(
        default=SANDBOX_SECRET, min_length=16, description="The sandbox WMS app secret.",
    )
    webhook_secret: pydantic.SecretStr = pydantic.Field(
        default=SANDBOX_SECRET, min_length=16, description="Shared secret that signs the sandbox's tracking webhooks.",
    )
    warehouse_city: str = pydantic.Field(default="嘉兴", max_length=20, description="Shown in tracking events.")
    order_hours: str = pydantic.Field(
        default="", pattern=r"^$|^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$",
        description="When the warehouse takes orders, e.g. 09:00-18:00 (Beijing time); empty: any time.")
    requests_per_second: float | None = pydantic.Field(
        default=None, gt=0, le=1000, description="The warehouse API's rate limit for this store; empty: none.")


_Ctx = ProviderContext[SandboxWarehouseConfig]


def _result(status: ProviderStatus, code: str | None = None, message: str | None = None,
            reference: str | None = None, **raw: Any) -> ProviderResult:
    return ProviderResult(status, provider_reference=reference, error_code=code, error_message=message,
                          raw={"sandbox": True, **raw})


def _fingerprint(order: OutboundOrder) -> str:
    lines = [(line.sku, line.quantity) for line in order.lines]
    return hashlib.sha256(json.dumps([order.warehouse_code, lines, order.receiver.phone,
                                      order.receiver.address], ensure_ascii=False).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class _Order:
    order: OutboundOrder
    fingerprint: str
    result: ProviderResult
    created_at: datetime | None  # None: refused, nothing ships
    carrier_code: str
    waybill_no: str
    journey: tuple[_Step, ...]
    cancelled_at: datetime | None = None


class SandboxWarehouse:
    """The ``warehouses/sandbox`` provider (see the module docstring for its scripted inputs)."""

    config_schema: ClassVar[type[ProviderConfig]] = SandboxWarehouseConfig
    capabilities: ClassVar[Capabilities] = frozenset({Capability.TRACKING, Capability.WEBHOOKS})

    def __init__(self) -> None:
        self._orders: dict[tuple[str, str], _Order] = {}
        self._busy_once: set[tuple[str, str]] = set()
        self._restocked: set[tuple[str, str]] = set()

    def orders(self, tenant_id: str) -> list[str]:
        """Test helper: the order ids this store's warehouse took (accepted, parcels exist), oldest first."""
        return [order.order.order_id for (tenant, _), order in self._orders.items()
                if tenant == str(tenant_id) and order.created_at is not None]

    def restock(self, tenant_id: str, sku: str) -> None:
        """Test helper: the ``OOS`` SKU ``sku`` is in stock for this store from now on."""
        self._restocked.add((str(tenant_id), sku.upper()))

    def rail_limits(self, ctx: _Ctx) -> RailLimits:
        """When this warehouse takes orders and how fast (optional for warehouses: fulfilment sends
        orders inside ``allowed_hours``, the call guard applies ``requests_per_second``)."""
        hours = None
        if ctx.config.order_hours:
            start, end = ctx.config.order_hours.split("-")
            hours = (time.fromisoformat(start), time.fromisoformat(end))
        return RailLimits(allowed_hours=hours, time_zone="Asia/Shanghai",
                          requests_per_second=ctx.config.requests_per_second)

    async def test_connection(self, ctx: _Ctx) -> ProviderResult:
        if ctx.config.app_key == "sandbox_bad_credentials":
            return _result(ProviderStatus.FAILED, "AUTH_FAILED", "the sandbox refused these credentials")
        if ctx.config.app_key == "sandbox_unreachable":
            return _result(ProviderStatus.NOT_SUBMITTED, "UNREACHABLE", "the sandbox did not answer")
        return _result(ProviderStatus.SUCCEEDED, reference=ctx.config.app_key)

    # --- orders ------------------------------------------------------------------------------------

    async def create_outbound_order(self, ctx: _Ctx, order: OutboundOrder) -> ProviderResult:
        key = (ctx.tenant_id, order.order_id)
        fingerprint = _fingerprint(order)
        existing = self._orders.get(key)
        if existing is not None and existing.created_at is None and existing.result.status is ProviderStatus.FAILED:
            existing = None  # refused orders were never created: judge the resend afresh
        if existing is not None:
            if existing.fingerprint != fingerprint:
                raise ProviderError(f"order {order.order_id} was created before with other contents",
                                    code="IDEMPOTENCY_MISMATCH")
            if existing.result.status is ProviderStatus.UNKNOWN:  # the warehouse did receive it
                existing = self._orders[key] = replace(existing, result=_result(
                    ProviderStatus.SUCCEEDED, reference=f"sbx_wms_{order.order_id}"))
            return existing.result
        script = order.receiver.phone[-2:]
        if script == "98":
            raise ProviderError("the sandbox simulates an unexpected fault (phone ending 98)",
                                code="SANDBOX_FAULT", retryable=True)
        if script == "93" and key not in self._busy_once:
            self._busy_once.add(key)
            return _result(ProviderStatus.NOT_SUBMITTED, "SYSTEM_BUSY", "the warehouse is busy; retry the same order")
        carrier = order.carrier_preference or DEFAULT_CARRIER
        digits = int(hashlib.sha256(f"{ctx.tenant_id}:{order.order_id}".encode()).hexdigest(), 16) % 10**12
        created_at: datetime | None = ctx.now()
        if not order.lines or any(line.quantity < 1 for line in order.lines):
            result = _result(ProviderStatus.FAILED, "INVALID_ORDER", "an order needs lines of at least 1 item")
            created_at = None
        elif any(line.sku.upper().startswith("OOS") and (ctx.tenant_id, line.sku.upper()) not in self._restocked
                 for line in order.lines):
            result = _result(ProviderStatus.FAILED, "OUT_OF_STOCK", "a SKU is out of stock at the warehouse")
            created_at = None
        elif script == "94":
            result = _result(ProviderStatus.UNKNOWN, "TIMEOUT", "the warehouse timed out after receiving")
        else:
            result = _result(ProviderStatus.SUCCEEDED, reference=f"sbx_wms_{order.order_id}")
        self._orders[key] = _Order(order, fingerprint, result, created_at, carrier, f"{carrier}{digits:012d}",
                                   _JOURNEYS.get(script, NORMAL_JOURNEY))
        return result

    def _events(self, ctx: _Ctx, order: _Order) -> list[TrackingEvent]:
        if order.created_at is None:
            return []
        now = ctx.now()
        city = ctx.config.warehouse_city
        events = []
        for offset, state, description in order.journey:
            at = order.created_at + offset
            if at > now or (order.cancelled_at is not None and at > order.cancelled_at):
                break
            events.append(TrackingEvent(at, state, description, city if offset < timedelta(hours=12) else ""))
        if order.cancelled_at is not None:
            events.append(TrackingEvent(order.cancelled_at, ParcelState.CANCELLED, "订单已取消", city))
        return events

    async def cancel_outbound_order(self, ctx: _Ctx, order_id: str, reason: str) -> ProviderResult:
        key = (ctx.tenant_id, order_id)
        order = self._orders.get(key)
        if order is None or order.created_at is None:
            return _result(ProviderStatus.NOT_SUBMITTED, "NOT_FOUND", "the warehouse has no such order")
        reference = f"sbx_wms_{order_id}"
        if order.cancelled_at is not None:
            return _result(ProviderStatus.SUCCEEDED, reference=reference)
        events = self._events(ctx, order)
        if events and events[-1].state is not ParcelState.ACCEPTED:
            return _result(ProviderStatus.FAILED, "TOO_LATE", f"the order is already {events[-1].state.value}",
                           reference=reference)
        self._orders[key] = replace(order, cancelled_at=ctx.now())
        return _result(ProviderStatus.SUCCEEDED, reference=reference, reason=reason)

    async def query_outbound_order(self, ctx: _Ctx, order_id: str) -> ShipmentInfo:
        key = (ctx.tenant_id, order_id)
        order = self._orders.get(key)
        if order is None:
            return ShipmentInfo(order_id, _result(ProviderStatus.NOT_SUBMITTED, "NOT_FOUND",
                                                  "the warehouse has no such order"))
        if order.created_at is None:
            return ShipmentInfo(order_id, order.result)
        if order.result.status is ProviderStatus.UNKNOWN:  # the query reveals the order arrived
            order = self._orders[key] = replace(order, result=_result(
                ProviderStatus.SUCCEEDED, reference=f"sbx_wms_{order_id}"))
        events = self._events(ctx, order)
        state = events[-1].state if events else ParcelState.ACCEPTED
        shipped = any(e.state is ParcelState.SHIPPED for e in events)
        return ShipmentInfo(
            order_id, _result(ProviderStatus.SUCCEEDED, reference=f"sbx_wms_{order_id}"), state,
            carrier_code=order.carrier_code if shipped else None,
            waybill_no=order.waybill_no if shipped else None,
            events=tuple(events), raw={"sandbox": True},
        )

    # --- webhooks ---------------------------------------------------------------------------------

    def build_webhook(self, ctx: _Ctx, order_id: str) -> RawWebhook:
        """A signed ``parcel.moved`` webhook for the parcel's latest tracking event."""
        order = self._orders.get((ctx.tenant_id, order_id))
        if order is None or order.created_at is None:
            raise ProviderError(f"no sandbox order {order_id}", code="NOT_FOUND")
        latest = self._events(ctx, order)[-1]
        now = ctx.now()
        body = json.dumps({
            "id": f"evt_{order_id}_{latest.state.value}",
            "type": "parcel.moved",
            "order_id": order_id,
            "carrier_code": order.carrier_code,
            "waybill_no": order.waybill_no,
            "state": latest.state.value,
            "description": latest.description,
            "at": latest.at.isoformat(),
        }, separators=(",", ":"), ensure_ascii=False).encode()
        timestamp = str(int(now.timestamp()))
        headers = {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: sign_webhook(ctx.config, timestamp, body),
                   "content-type": "application/json"}
        return RawWebhook("POST", f"/webhooks/warehouses/sandbox/{ctx.tenant_id}", "", headers, body,
                          "127.0.0.1", now)

    async def verify_webhook(self, ctx: _Ctx, raw: RawWebhook) -> Sequence[WebhookEvent]:
        headers = {k.lower(): v for k, v in raw.headers.items()}
        timestamp, signature = headers.get(TIMESTAMP_HEADER), headers.get(SIGNATURE_HEADER)
        if not timestamp or not signature:
            raise WebhookRejected("missing sandbox signature headers", code="SIGNATURE_MISSING")
        if not hmac.compare_digest(sign_webhook(ctx.config, timestamp, raw.body), signature):
            raise WebhookRejected("the sandbox signature does not match", code="SIGNATURE_INVALID")
        try:
            sent_at = datetime.fromtimestamp(int(timestamp), tz=UTC)
        except (ValueError, OverflowError):
            raise WebhookRejected("malformed sandbox timestamp", code="MALFORMED") from None
        if abs((ctx.now() - sent_at).total_seconds()) > WEBHOOK_TOLERANCE_SECONDS:
            raise WebhookRejected("the sandbox webhook is outside the 5-minute window", code="STALE")
        try:
            data = json.loads(raw.body)
            state = ParcelState(data["state"])
            return [WebhookEvent(
                event_id=str(data["id"]), kind=str(data["type"]),
                occurred_at=datetime.fromisoformat(data["at"]),
                reference=str(data["order_id"]), provider_reference=data.get("waybill_no"),
                raw={"state": state.value, "carrier_code": data.get("carrier_code"),
                     "description": data.get("description")},
            )]
        except (ValueError, KeyError, TypeError) as exc:
            raise WebhookRejected(f"malformed sandbox webhook body: {exc!r}", code="MALFORMED") from None

    def webhook_ack(self, ok: bool) -> WebhookAck:
        """Kuaidi100's reply shape."""
        if ok:
            body = '{"result":true,"returnCode":"200","message":"成功"}'.encode()
            return WebhookAck(200, body, {"content-type": "application/json"})
        body = '{"result":false,"returnCode":"500","message":"失败"}'.encode()
        return WebhookAck(400, body, {"content-type": "application/json"})


def sign_webhook(config: ProviderConfig, timestamp: str, body: bytes) -> str:
    """``hex(HMAC-SHA256(webhook_secret, timestamp + "." + body))``."""
    assert isinstance(config, SandboxWarehouseConfig)
    secret = config.webhook_secret.get_secret_value().encode()
    return hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
