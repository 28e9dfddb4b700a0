"""Fulfilment: one outbound order per paid period at the store's cloud warehouse, reships, tracking,
the 24 h ship-by target and the exception queue.

Public API (issue 8, interface B; the only entry point other components call):

- :func:`release_period` — the ``pawpay_installment_paid`` listener's work: one insert, idempotent
  per installment (``order_id`` derives from it), no provider call. Runs inside the debit path.
- :func:`reship` — a replacement box for an after-sales ticket, idempotent per ticket; postage recorded.
- :func:`get_shipment`, :func:`list_shipments`, :func:`tracking`, :func:`retry_shipment`.

Jobs (DB rows, see docs/jobs.md): ``submit_at`` → :func:`submit_shipment` resolves a period's
contents (``plans.stages.period_contents``) and sends the order; ``poll_at`` →
:func:`poll_shipment` asks the warehouse for tracking (the fallback for missed webhooks) and
retries a pending shipping-info upload. Webhooks arrive through :func:`on_parcel_event`.

Outcomes of a submission: ``SUCCEEDED`` → ``accepted``; ``UNKNOWN``/``PENDING`` → query before
anything else; ``NOT_SUBMITTED`` (busy, rate-limited, unreachable) → retried with backoff
(:data:`rules.RETRY_BACKOFF`), then ``exception``; ``FAILED`` (rejected, out of stock, invalid) →
``exception`` with the warehouse's reason. Staff :func:`retry_shipment` re-sends with the same
``order_id`` after a query, so a parcel never ships twice.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pawpay.platform.audit.services import record
from pawpay.platform.clock import utcnow
from pawpay.platform.errors import Conflict, NotFound, PawPayError, ValidationFailed
from pawpay.platform.hooks import (
    Capability,
    InstallmentPaid,
    OrderLine,
    OutboundOrder,
    ParcelState,
    ProviderError,
    ProviderResult,
    ProviderStatus,
    RailLimits,
    Receiver,
    ShipmentInfo,
    ShipmentShipped,
    ShippingInfo,
    TrackingEvent,
    WebhookEvent,
)
from pawpay.platform.jobs.services import tenant_now
from pawpay.platform.tenancy.context import TenantContext
from pawpay.platform.tenancy.scope import after_commit, tenant_scope
from pawpay.platform.tenancy.services import get_own_tenant
from pawpay.tenants.fulfilment import rules
from pawpay.tenants.fulfilment.errors import FulfilmentErrorCode, code
from pawpay.tenants.fulfilment.tables import FulfilmentShipment, FulfilmentTrackingEvent

log = logging.getLogger(__name__)

KINDS = ("period", "reship")
NOTICE_SMS_TEMPLATE = "SMS_SHIPMENT_NOTICE"
NOTICE_MP_TEMPLATE = "shipment_notice"
SHIPPED_SMS_TEMPLATE = "SMS_SHIPMENT_SHIPPED"
SHIPPED_MP_TEMPLATE = "shipment_shipped"
DELIVERED_SMS_TEMPLATE = "SMS_SHIPMENT_DELIVERED"
DELIVERED_MP_TEMPLATE = "shipment_delivered"


# --- views ------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ShipmentLine:
    sku: str
    name: str
    quantity: int


@dataclass(frozen=True, slots=True)
class ShipmentView:
    id: uuid.UUID
    contract_id: uuid.UUID
    contract_no: str
    # None only for the seconds between a payment and the submission job (release_period stays one insert).
    customer_id: uuid.UUID | None
    pet_id: uuid.UUID | None
    installment_id: uuid.UUID | None
    sequence: int | None
    kind: str
    ticket_id: uuid.UUID | None
    reship_of: uuid.UUID | None
    reason: str
    stage: str
    lines: tuple[ShipmentLine, ...]
    status: str
    order_id: str
    carrier_code: str | None
    waybill_no: str | None
    ship_by: datetime
    shipped_at: datetime | None
    delivered_at: datetime | None
    late: bool
    attempts: int
    last_error_code: str
    last_error_message: str
    postage_fen: int
    created_at: datetime
    attempt_id: str = ""
    shipping_info_status: str = ""
    shipping_info_error: str = ""


@dataclass(frozen=True, slots=True)
class TrackingView:
    at: datetime
    state: str
    description: str
    location: str


def _lines(value: Any) -> tuple[ShipmentLine, ...]:
    data = json.loads(value) if isinstance(value, str) else (value or [])
    return tuple(ShipmentLine(str(x.get("sku", "")), str(x.get("name", "")), int(x.get("quantity", 1))) for x in data)


def _view(row: dict[str, Any], now: datetime) -> ShipmentView:
    return ShipmentView(
        id=row["id"], contract_id=row["contract_id"], contract_no=row["contract_no"],
        customer_id=row["customer_id"], pet_id=row["pet_id"], installment_id=row["installment_id"],
        sequence=row["sequence"], kind=row["kind"], ticket_id=row["ticket_id"], reship_of=row["reship_of"],
        reason=row["reason"], stage=row["stage"], lines=_lines(row["lines"]), status=row["status"],
        order_id=row["order_id"], carrier_code=row["carrier_code"], waybill_no=row["waybill_no"],
        ship_by=row["ship_by"], shipped_at=row["shipped_at"], delivered_at=row["delivered_at"],
        late=rules.is_late(row["ship_by"], row["shipped_at"], now), attempts=row["attempts"],
        last_error_code=row["last_error_code"], last_error_message=row["last_error_message"],
        postage_fen=row["postage_fen"], created_at=row["created_at"], attempt_id=row["attempt_id"],
        shipping_info_status=row["shipping_info_status"], shipping_info_error=row["shipping_info_error"],
    )


def period_order_id(installment_id: uuid.UUID) -> str:
    """The warehouse idempotency key of a period's box: one per installment, forever."""
    return f"shp-{installment_id.hex}"


def reship_order_id(ticket_id: uuid.UUID | None) -> str:
    return f"rsp-{(ticket_id or uuid.uuid4()).hex}"


async def _row(shipment_id: uuid.UUID, *, lock: bool = False) -> dict[str, Any]:
    query = FulfilmentShipment.select().where(FulfilmentShipment.id == shipment_id)
    if lock:
        query = query.lock_rows("NO KEY UPDATE")
    row = await query.first()
    if row is None:
        raise NotFound("shipment not found")
    return row


async def _by_order(order_id: str) -> dict[str, Any]:
    row = await FulfilmentShipment.select().where(FulfilmentShipment.order_id == order_id).first()
    if row is None:
        raise NotFound("shipment not found")
    return row


async def _update(shipment_id: uuid.UUID, values: dict[str, Any]) -> None:
    sets = ", ".join(f"{name} = {{}}" for name in values)
    await FulfilmentShipment.raw(f"UPDATE fulfilment_shipment SET {sets}, updated_at = {{}} WHERE id = {{}}",
                                 *values.values(), utcnow(), shipment_id)


# --- release and reship -------------------------------------------------------------------------------

async def release_period(ctx: TenantContext, paid: InstallmentPaid) -> ShipmentView:
    """Release one paid period for shipping (see :func:`release_periods`) and return its shipment."""
    installment_id = uuid.UUID(paid.installment_id)
    async with tenant_scope(ctx):
        await release_periods(ctx, [paid])
        row = await _by_order(period_order_id(installment_id))
    return _view(row, paid.paid_at)


async def release_periods(ctx: TenantContext, paid: Sequence[InstallmentPaid]) -> int:
    """Release paid periods for shipping: a row each (idempotent per installment), due for
    submission now; returns how many were new.

    Deliberately ONE insert for the lot and nothing else: this is the ``pawpay_installments_paid``
    listener's work, inside the debit path. The contents (the pet's stage), the receiver and the
    warehouse call are the submission job's work.
    """
    if not paid:
        return 0
    at = [p.paid_at for p in paid]
    installment_ids = [uuid.UUID(p.installment_id) for p in paid]
    async with tenant_scope(ctx):
        rows = await FulfilmentShipment.raw(
            "INSERT INTO fulfilment_shipment (id, tenant_id, kind, contract_id, contract_no, installment_id, sequence, "
            "attempt_id, status, order_id, paid_at, ship_by, submit_at, created_at, updated_at) "
            "SELECT gen_random_uuid(), {}, 'period', u.contract_id, u.contract_no, u.installment_id, u.sequence, "
            "u.attempt_id, 'pending', u.order_id, u.paid_at, u.ship_by, u.paid_at, u.paid_at, {} "
            "FROM unnest({}::uuid[], {}::text[], {}::uuid[], {}::int[], {}::text[], {}::text[], {}::timestamptz[], "
            "{}::timestamptz[]) "
            "AS u(contract_id, contract_no, installment_id, sequence, attempt_id, order_id, paid_at, ship_by) "
            "ON CONFLICT (tenant_id, order_id) DO NOTHING RETURNING id",
            ctx.tenant_id, utcnow(), [uuid.UUID(p.contract_id) for p in paid], [p.contract_no for p in paid],
            installment_ids, [p.sequence for p in paid], [p.attempt_id for p in paid],
            [period_order_id(i) for i in installment_ids], at, [t + rules.SHIP_BY for t in at])
    return len(rows)


def _check_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("a reason is required", code=code(FulfilmentErrorCode.FULFILMENT_REASON_REQUIRED),
                               field="reason")
    if len(reason) > 500:
        raise ValidationFailed("the reason is too long (500 characters at most)",
                               code=code(FulfilmentErrorCode.FULFILMENT_REASON_REQUIRED), field="reason")
    return reason


async def reship(ctx: TenantContext, shipment_id: uuid.UUID, *, reason: str, ticket_id: uuid.UUID | None = None,
                 lines: Sequence[tuple[str, int]] | None = None, postage_fen: int = 0) -> ShipmentView:
    """Send a replacement for ``shipment_id`` (damaged, missing, wrong item...): a new outbound order,
    due for submission now. Idempotent per ``ticket_id`` (a second call returns the first reship).
    ``lines`` are ``(sku, quantity)`` out of the original box (default: the whole box). The store
    pays the postage: ``postage_fen`` is recorded on the reship and in the audit log."""
    reason = _check_reason(reason)
    if not isinstance(postage_fen, int) or isinstance(postage_fen, bool) or not 0 <= postage_fen <= 100_000_00:
        raise ValidationFailed("postage must be a whole number of fen between 0 and 100000 yuan",
                               code=code(FulfilmentErrorCode.FULFILMENT_BAD_POSTAGE), field="postage_fen")
    now = await tenant_now(ctx)
    async with tenant_scope(ctx):
        if ticket_id is not None:
            existing = await FulfilmentShipment.select().where(
                (FulfilmentShipment.ticket_id == ticket_id) & (FulfilmentShipment.kind == "reship")).first()
            if existing is not None:
                return _view(existing, now)
        original = await _row(shipment_id)
        if original["customer_id"] is None or not _lines(original["lines"]):
            raise Conflict("the original shipment's contents are not known yet; try again in a minute",
                           code=code(FulfilmentErrorCode.FULFILMENT_NOT_RESOLVED))
        by_sku = {line.sku: line for line in _lines(original["lines"])}
        if lines is None:
            chosen = list(by_sku.values())
        else:
            chosen = []
            for sku, quantity in lines:
                if sku not in by_sku or not isinstance(quantity, int) or isinstance(quantity, bool) \
                        or not 1 <= quantity <= 99:
                    raise ValidationFailed(f"line {sku!r}: a SKU of the original box and a quantity of 1 to 99",
                                           code=code(FulfilmentErrorCode.FULFILMENT_BAD_LINES), field="lines")
                chosen.append(ShipmentLine(sku, by_sku[sku].name, quantity))
            if not chosen:
                raise ValidationFailed("a reship needs at least one line",
                                       code=code(FulfilmentErrorCode.FULFILMENT_BAD_LINES), field="lines")
        order_id = reship_order_id(ticket_id)
        new_id = uuid.uuid4()
        rows = await FulfilmentShipment.raw(
            "INSERT INTO fulfilment_shipment (id, tenant_id, kind, contract_id, contract_no, customer_id, pet_id, "
            "ticket_id, reship_of, reason, stage, plan_id, plan_version, lines, contents_resolved, status, order_id, "
            "ship_by, submit_at, postage_fen, created_at, updated_at) "
            "VALUES ({}, {}, 'reship', {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}::jsonb, true, 'pending', {}, {}, {}, "
            "{}, {}, {}) ON CONFLICT DO NOTHING RETURNING *",
            new_id, ctx.tenant_id, original["contract_id"], original["contract_no"], original["customer_id"],
            original["pet_id"], ticket_id, shipment_id, reason, original["stage"], original["plan_id"],
            original["plan_version"],
            json.dumps([{"sku": x.sku, "name": x.name, "quantity": x.quantity} for x in chosen], ensure_ascii=False),
            order_id, now + rules.SHIP_BY, now, postage_fen, now, utcnow())
        if not rows:  # the same ticket's reship committed concurrently
            return _view(await _by_order(order_id), now)
        await record(ctx, "fulfilment.reship", target_type="shipment", target_id=str(new_id),
                     after={"reship_of": str(shipment_id), "ticket_id": str(ticket_id) if ticket_id else None,
                            "reason": reason, "postage_fen": postage_fen, "order_id": order_id,
                            "lines": [[x.sku, x.quantity] for x in chosen]})
        return _view(rows[0], now)


# --- reads ----------------------------------------------------------------------------------------------

async def get_shipment(ctx: TenantContext, shipment_id: uuid.UUID) -> ShipmentView:
    now = await tenant_now(ctx)
    async with tenant_scope(ctx):
        return _view(await _row(shipment_id), now)


async def list_shipments(ctx: TenantContext, *, status: str | None = None, late: bool | None = None,
                         stage: str | None = None, customer_id: uuid.UUID | None = None,
                         contract_id: uuid.UUID | None = None, limit: int = 50,
                         offset: int = 0) -> tuple[list[ShipmentView], int]:
    """Shipments, newest first, filtered; ``status="exception"`` is the exception queue and
    ``late=True`` the late queue (not shipped within 24 h of payment)."""
    if status is not None and status not in rules.STATUSES:
        raise ValidationFailed(f"unknown status {status!r}", code=code(FulfilmentErrorCode.FULFILMENT_BAD_FILTER),
                               field="status")
    if not 1 <= limit <= 200 or offset < 0:
        raise ValidationFailed("limit must be 1-200 and offset at least 0",
                               code=code(FulfilmentErrorCode.FULFILMENT_BAD_FILTER), field="limit")
    now = await tenant_now(ctx)
    where: list[str] = ["tenant_id = {}"]
    args: list[Any] = [ctx.tenant_id]
    for column, value in (("status", status), ("stage", stage), ("customer_id", customer_id),
                          ("contract_id", contract_id)):
        if value is not None:
            where.append(f"{column} = {{}}")
            args.append(value)
    if late is not None:
        # Both branches definite (no NULL): NOT of it is the on-time list.
        late_sql = "((shipped_at IS NULL AND ship_by < {}) OR (shipped_at IS NOT NULL AND shipped_at > ship_by))"
        where.append(late_sql if late else f"NOT {late_sql}")
        args.append(now)
    clause = " AND ".join(where)
    async with tenant_scope(ctx):
        total = await FulfilmentShipment.raw(f"SELECT COUNT(*) AS n FROM fulfilment_shipment WHERE {clause}", *args)
        rows = await FulfilmentShipment.raw(
            f"SELECT * FROM fulfilment_shipment WHERE {clause} ORDER BY created_at DESC, id LIMIT {{}} OFFSET {{}}",
            *args, limit, offset)
    return [_view(r, now) for r in rows], int(total[0]["n"])


async def tracking(ctx: TenantContext, shipment_id: uuid.UUID) -> list[TrackingView]:
    """The parcel's tracking timeline, oldest first."""
    async with tenant_scope(ctx):
        await _row(shipment_id)
        rows = await FulfilmentTrackingEvent.select().where(
            FulfilmentTrackingEvent.shipment_id == shipment_id).order_by(FulfilmentTrackingEvent.at)
    rows.sort(key=lambda r: (r["at"], rules.RANK.get(r["state"], -1)))
    return [TrackingView(r["at"], r["state"], r["description"], r["location"]) for r in rows]


# --- staff actions ---------------------------------------------------------------------------------------

async def retry_shipment(ctx: TenantContext, shipment_id: uuid.UUID, *, reason: str) -> ShipmentView:
    """Send a shipment from the exception queue again, with the same ``order_id``. The warehouse is
    asked first whether it has the order (so a lost answer never ships a second parcel)."""
    reason = _check_reason(reason)
    now = await tenant_now(ctx)
    async with tenant_scope(ctx):
        row = await _row(shipment_id, lock=True)
        if row["status"] != rules.EXCEPTION:
            raise Conflict("only a shipment in the exception queue can be retried",
                           code=code(FulfilmentErrorCode.FULFILMENT_NOT_IN_EXCEPTION), status=row["status"])
        await _update(shipment_id, {"status": rules.PENDING, "submit_at": now, "submit_lease_until": None,
                                    "needs_query": True, "auto_attempts": 0})
        await record(ctx, "fulfilment.retry", target_type="shipment", target_id=str(shipment_id),
                     before={"status": row["status"], "last_error_code": row["last_error_code"]},
                     after={"status": rules.PENDING, "reason": reason, "order_id": row["order_id"]})
        return _view(await _row(shipment_id), now)


# --- the submission job ----------------------------------------------------------------------------------

async def _resolve_contents(ctx: TenantContext, row: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Fill in a period's receiver ids, stage and lines (``plans.stages.period_contents``: the pet's
    stage on the ship day, a store override, the switch to the next stage's plan)."""
    from pawpay.tenants.contracts import services as contracts
    from pawpay.tenants.plans import stages

    contract = await contracts.get_contract(ctx, row["contract_id"])
    values: dict[str, Any] = {"customer_id": contract.customer_id, "pet_id": contract.pet_id,
                              "contents_resolved": True}
    tz = ZoneInfo((await get_own_tenant(ctx)).time_zone)
    ship_on = now.astimezone(tz).date()
    contents = await stages.period_contents(ctx, contract_id=contract.id, sequence=int(row["sequence"] or 1),
                                            ship_on=ship_on)
    values.update(stage=contents.stage, plan_id=contents.plan_id, plan_version=contents.plan_version,
                  lines=json.dumps(await _goods(ctx, contents.lines), ensure_ascii=False))
    if contents.override_reason:
        values["reason"] = contents.override_reason
    if contents.switched_from_stage:
        sequence = int(row["sequence"] or 1)

        async def _note() -> None:
            try:  # idempotent per (pet, stage): messages the customer once
                await stages.note_stage_switch(ctx, contract_id=contract.id, sequence=sequence, contents=contents)
            except Exception:
                log.exception("stage switch could not be noted", extra={"contract_id": str(contract.id)})

        after_commit(_note)
    return values


async def _goods(ctx: TenantContext, lines: Sequence[Any]) -> list[dict[str, Any]]:
    """The period's goods as warehouse lines: catalog SKUs only (a service such as a deworming at the
    store is not shipped), by the SKU's warehouse code when the store set one."""
    from pawpay.tenants.catalog import services as catalog

    goods = []
    for line in lines:
        if line.item_type != "sku":
            continue
        sku = await catalog.get_sku(ctx, line.item_id)
        goods.append({"sku": sku.warehouse_sku_code or sku.code, "name": line.name, "quantity": line.quantity})
    return goods


async def _receiver(ctx: TenantContext, customer_id: uuid.UUID) -> Receiver:
    from pawpay.tenants.customers import services as customers

    person = await customers.contact(ctx, customer_id)
    province, city, district, rest = rules.split_address(person.address)
    return Receiver(name=person.name, phone=person.phone, province=province, city=city, district=district,
                    address=rest or person.address)


def _warehouse_limits(provider: Any, pctx: Any) -> RailLimits | None:
    """The warehouse's order hours and rate, if it declares them (``rail_limits`` is optional for
    warehouses; the call guard applies its ``requests_per_second``)."""
    declared = getattr(provider, "rail_limits", None)
    if not callable(declared):
        return None
    try:
        limits = declared(pctx)
    except Exception:
        log.warning("warehouse rail_limits raised; sending at any hour")
        return None
    return limits if isinstance(limits, RailLimits) else None


async def submit_shipment(ctx: TenantContext, shipment_id: uuid.UUID) -> str:
    """The submission job: send (or resolve) one shipment's order at the warehouse. Returns the
    shipment's status afterwards. Idempotent: a duplicate message finds nothing to do."""
    from pawpay.platform.providers.services import guarded_provider_for

    now = await tenant_now(ctx)
    async with tenant_scope(ctx):
        row = await _row(shipment_id, lock=True)
        if row["status"] != rules.PENDING or row["submit_at"] is None:
            await _update(shipment_id, {"submit_lease_until": None})
            return str(row["status"])
        if not row["contents_resolved"]:
            try:
                resolved = await _resolve_contents(ctx, row, now)
            except PawPayError as exc:  # e.g. the plan's next stage is gone: staff decide, visibly
                error = {"last_error_code": "CONTENTS_UNAVAILABLE", "last_error_message": exc.detail[:500]}
                await _update(shipment_id, {**error, "status": rules.EXCEPTION, "submit_at": None,
                                            "submit_lease_until": None})
                await record(ctx, "fulfilment.exception", target_type="shipment", target_id=str(shipment_id),
                             after={"order_id": row["order_id"], **error})
                return rules.EXCEPTION
            await _update(shipment_id, resolved)
            row = await _row(shipment_id)
        lines = _lines(row["lines"])
        receiver = await _receiver(ctx, row["customer_id"])
        provider, pctx = await guarded_provider_for(ctx, "warehouses")
        warehouse_code = str(getattr(pctx.config, "warehouse_code", "") or "default")
        limits = _warehouse_limits(provider, pctx)
        opening = rules.next_open(now, limits.allowed_hours, limits.time_zone) if limits else now
        if opening > now:  # outside the warehouse's order hours: wait for the opening, call nobody
            await _update(shipment_id, {"submit_at": opening, "submit_lease_until": None})
            return rules.PENDING
    order = OutboundOrder(
        order_id=row["order_id"], warehouse_code=warehouse_code, receiver=receiver,
        lines=tuple(OrderLine(x.sku, x.quantity, x.name) for x in lines),
        remark=(f"{row['contract_no']} 第{row['sequence']}期" if row["kind"] == "period"
                else f"补发 {row['contract_no']}"),
    )
    info: ShipmentInfo | None = None
    result: ProviderResult | None = None
    if row["needs_query"]:
        try:
            info = await provider.query_outbound_order(pctx, row["order_id"])
        except ProviderError as exc:
            return await _record_outcome(ctx, shipment_id, ProviderResult(
                ProviderStatus.UNKNOWN, error_code=exc.code[:64], error_message=exc.message), None, now,
                counted=False)
        if info.result.status is ProviderStatus.SUCCEEDED:
            return await _record_outcome(ctx, shipment_id, info.result, info, now, counted=False)
        # NOT_FOUND: the warehouse never got it; anything else: send again, the order id keeps it one order.
    result = await provider.create_outbound_order(pctx, order)
    return await _record_outcome(ctx, shipment_id, result, None, now, counted=True)


async def _record_outcome(ctx: TenantContext, shipment_id: uuid.UUID, result: ProviderResult,
                          info: ShipmentInfo | None, now: datetime, *, counted: bool) -> str:
    async with tenant_scope(ctx):
        row = await _row(shipment_id, lock=True)
        if row["status"] != rules.PENDING:  # settled meanwhile (a webhook, a concurrent job)
            await _update(shipment_id, {"submit_lease_until": None})
            return str(row["status"])
        attempts = int(row["attempts"]) + (1 if counted else 0)
        auto = int(row["auto_attempts"]) + (1 if counted else 0)
        error = {"last_error_code": (result.error_code or "")[:64], "last_error_message": result.error_message or ""}
        base: dict[str, Any] = {"attempts": attempts, "auto_attempts": auto, "submit_lease_until": None}
        status = rules.PENDING
        if result.status is ProviderStatus.SUCCEEDED:
            status = "accepted"
            await _update(shipment_id, {**base, "status": status, "accepted_at": now, "submit_at": None,
                                        "needs_query": False, "warehouse_reference": result.provider_reference or "",
                                        "poll_at": now + rules.POLL_EVERY})
            await _add_events(ctx, shipment_id, [TrackingEvent(now, ParcelState.ACCEPTED, "仓库已接单")], "submit")
            if info is not None:
                await _apply_tracking(ctx, shipment_id, info.events, info.carrier_code, info.waybill_no, "poll")
            await record(ctx, "fulfilment.accepted", target_type="shipment", target_id=str(shipment_id),
                         after={"order_id": row["order_id"], "attempts": attempts})
            view = _view(await _row(shipment_id), now)
            after_commit(lambda: _notify(ctx, view, "notice"))
        elif result.status in (ProviderStatus.UNKNOWN, ProviderStatus.PENDING):
            # The warehouse may have the order: ask before anything else (never a second parcel).
            wait = rules.retry_wait(auto) if counted else rules.QUERY_AFTER_UNKNOWN
            if wait is None:
                status = rules.EXCEPTION
                await _update(shipment_id, {**base, **error, "status": status, "submit_at": None, "needs_query": True})
            else:
                await _update(shipment_id, {**base, **error, "needs_query": True,
                                            "submit_at": now + max(wait, rules.QUERY_AFTER_UNKNOWN)})
        elif result.status is ProviderStatus.NOT_SUBMITTED:
            wait = rules.retry_wait(auto)
            if wait is None:
                status = rules.EXCEPTION
                await _update(shipment_id, {**base, **error, "status": status, "submit_at": None, "needs_query": False})
            else:
                await _update(shipment_id, {**base, **error, "needs_query": False, "submit_at": now + wait})
        else:  # FAILED: refused (out of stock, unknown SKU, invalid): staff decide
            status = rules.EXCEPTION
            await _update(shipment_id, {**base, **error, "status": status, "submit_at": None, "needs_query": False})
        if status == rules.EXCEPTION:
            await record(ctx, "fulfilment.exception", target_type="shipment", target_id=str(shipment_id),
                         after={"order_id": row["order_id"], **error, "attempts": attempts})
        return status


# --- tracking --------------------------------------------------------------------------------------------

async def _add_events(ctx: TenantContext, shipment_id: uuid.UUID, events: Sequence[TrackingEvent],
                      source: str) -> int:
    added = 0
    for event in events:
        state = getattr(event.state, "value", str(event.state))
        if state not in rules.RANK:
            continue
        rows = await FulfilmentTrackingEvent.raw(
            "INSERT INTO fulfilment_tracking_event (id, tenant_id, shipment_id, at, state, description, location, "
            "source, created_at) VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}) "
            "ON CONFLICT (tenant_id, shipment_id, state, at) DO NOTHING RETURNING id",
            uuid.uuid4(), ctx.tenant_id, shipment_id, event.at, state, event.description[:500],
            (event.location or "")[:128], source, utcnow())
        added += len(rows)
    return added


def _tracking_changes(row: dict[str, Any], pairs: list[tuple[datetime, str]], latest: str,
                      carrier_code: str | None, waybill_no: str | None, now: datetime) -> dict[str, Any]:
    """The columns to change for the stored events (none: nothing new)."""
    values: dict[str, Any] = {}
    if row["status"] in (rules.PENDING, rules.EXCEPTION):  # the warehouse has it after all (unknown, then a webhook)
        values.update(submit_at=None, submit_lease_until=None, needs_query=False, accepted_at=now)
        if latest not in rules.FINAL:
            values["poll_at"] = now + rules.POLL_EVERY
    if latest != row["status"]:
        values["status"] = latest
    carrier = row["carrier_code"] or carrier_code
    waybill = row["waybill_no"] or waybill_no
    if carrier != row["carrier_code"]:
        values["carrier_code"] = carrier
    if waybill != row["waybill_no"]:
        values["waybill_no"] = waybill
    shipped_at = rules.first_at(pairs, rules.LEFT_WAREHOUSE)
    if row["shipped_at"] is None and shipped_at is not None and waybill:
        values["shipped_at"] = shipped_at
    delivered_at = rules.first_at(pairs, frozenset({"delivered"}))
    if row["delivered_at"] is None and delivered_at is not None:
        values["delivered_at"] = delivered_at
    last_at = max(at for at, _ in pairs)
    if row["last_event_at"] != last_at:
        values["last_event_at"] = last_at
    if latest in rules.FINAL and row["shipping_info_status"] != "pending":
        values["poll_at"] = None
    return values


async def _apply_tracking(ctx: TenantContext, shipment_id: uuid.UUID, events: Sequence[TrackingEvent],
                          carrier_code: str | None, waybill_no: str | None, source: str) -> bool:
    """Store new tracking events and move the shipment to its latest state (inside a tenant scope).
    Returns whether anything changed. Duplicates add nothing; an older event never moves it back."""
    row = await _row(shipment_id, lock=True)
    await _add_events(ctx, shipment_id, events, source)
    stored = await FulfilmentTrackingEvent.select(FulfilmentTrackingEvent.at, FulfilmentTrackingEvent.state).where(
        FulfilmentTrackingEvent.shipment_id == shipment_id)
    pairs = [(r["at"], r["state"]) for r in stored]
    latest = rules.latest_state(pairs)
    if latest is None:
        return False
    now = await tenant_now(ctx)
    values = _tracking_changes(row, pairs, latest, carrier_code, waybill_no, now)
    if not values:
        return False
    await _update(shipment_id, values)
    view = _view(await _row(shipment_id), now)
    if "accepted_at" in values:
        await record(ctx, "fulfilment.accepted", target_type="shipment", target_id=str(shipment_id),
                     after={"order_id": row["order_id"], "by": source})
        after_commit(lambda: _notify(ctx, view, "notice"))
    if "shipped_at" in values:
        await _announce_shipped(ctx, view)
    if "delivered_at" in values:
        after_commit(lambda: _notify(ctx, view, "delivered"))
    return True


async def _announce_shipped(ctx: TenantContext, view: ShipmentView) -> None:
    """Audit the shipping; after commit tell the customer and broadcast ``pawpay_shipment_shipped``."""
    assert view.shipped_at is not None
    await record(ctx, "fulfilment.shipped", target_type="shipment", target_id=str(view.id),
                 after={"carrier_code": view.carrier_code, "waybill_no": view.waybill_no, "late": view.late})
    event = ShipmentShipped(
        shipment_id=str(view.id), contract_id=str(view.contract_id), contract_no=view.contract_no,
        installment_id=str(view.installment_id) if view.installment_id else None,
        attempt_id=view.attempt_id or None, carrier_code=view.carrier_code or "", waybill_no=view.waybill_no or "",
        item_desc=rules.item_desc([{"sku": x.sku, "name": x.name, "quantity": x.quantity} for x in view.lines]),
        shipped_at=view.shipped_at,
    )

    async def _shipped() -> None:
        from pawpay.platform.events import services as events_

        await _notify(ctx, view, "shipped")
        await events_.broadcast("pawpay_shipment_shipped", tenant_id=str(ctx.tenant_id), shipment=event)

    after_commit(_shipped)


async def on_parcel_event(ctx: TenantContext, event: WebhookEvent) -> None:
    """A verified warehouse/carrier webhook (``parcel.moved``): record the event, move the shipment.
    Called inside the webhook processor's tenant scope; an unknown order is ignored (logged)."""
    raw = dict(event.raw or {})
    state = str(raw.get("state") or "")
    if state not in rules.RANK or not event.reference:
        log.warning("warehouse event without a known state or order", extra={"kind": event.kind})
        return
    async with tenant_scope(ctx):
        row = await FulfilmentShipment.select(FulfilmentShipment.id).where(
            FulfilmentShipment.order_id == event.reference).first()
        if row is None:
            log.warning("warehouse event for an unknown order", extra={"order_id": event.reference})
            return
        at = event.occurred_at or await tenant_now(ctx)
        tracked = TrackingEvent(at, ParcelState(state), str(raw.get("description") or ""),
                                str(raw.get("location") or ""))
        await _apply_tracking(ctx, row["id"], [tracked], raw.get("carrier_code"), event.provider_reference,
                              "webhook")


async def poll_shipment(ctx: TenantContext, shipment_id: uuid.UUID) -> str:
    """The polling job: ask the warehouse for the parcel (missed webhooks), retry a pending
    shipping-info upload, and book the next poll while the parcel travels."""
    from pawpay.platform.providers.services import guarded_provider_for

    now = await tenant_now(ctx)
    async with tenant_scope(ctx):
        row = await _row(shipment_id, lock=True)
        if row["poll_at"] is None:
            await _update(shipment_id, {"poll_lease_until": None})
            return str(row["status"])
        provider, pctx = await guarded_provider_for(ctx, "warehouses")
    travelling = row["status"] not in rules.FINAL and row["status"] not in (rules.PENDING, rules.EXCEPTION)
    if travelling:
        try:
            info = await provider.query_outbound_order(pctx, row["order_id"])
        except ProviderError as exc:
            log.info("tracking poll failed; next poll later", extra={"code": exc.code})
            info = None
        if info is not None and info.result.status is ProviderStatus.SUCCEEDED:
            async with tenant_scope(ctx):
                await _apply_tracking(ctx, shipment_id, info.events, info.carrier_code, info.waybill_no, "poll")
    if row["shipping_info_status"] == "pending":
        await upload_shipping_info(ctx, shipment_id)
    async with tenant_scope(ctx):
        row = await _row(shipment_id, lock=True)
        keep = row["status"] not in rules.FINAL or row["shipping_info_status"] == "pending"
        following = now + (rules.SHIPPING_INFO_RETRY if row["status"] in rules.FINAL else rules.POLL_EVERY)
        await _update(shipment_id, {"poll_lease_until": None, "poll_at": following if keep else None})
        return str(row["status"])


# --- shipping information for the payment rail -------------------------------------------------------------

async def upload_shipping_info(ctx: TenantContext, shipment_id: uuid.UUID) -> str:
    """Tell the store's payment rail that a period's box shipped, when the rail settles only after
    shipping (capability ``SHIPPING_INFO``, WeChat mini-program 发货信息管理). Idempotent; returns the
    upload status (``not_needed``, ``uploaded``, ``pending`` (retried by the poll), ``failed``)."""
    from pawpay.platform.providers.services import guarded_provider_for
    from pawpay.tenants.customers import services as customers

    async with tenant_scope(ctx):
        row = await _row(shipment_id)
        if row["shipping_info_status"] in ("uploaded", "not_needed", "failed"):
            return str(row["shipping_info_status"])
        if not row["attempt_id"] or not row["waybill_no"] or row["shipped_at"] is None:
            await _update(shipment_id, {"shipping_info_status": "not_needed"})
            return "not_needed"
        provider, pctx = await guarded_provider_for(ctx, "payments")
        if Capability.SHIPPING_INFO not in getattr(provider, "capabilities", frozenset()):
            await _update(shipment_id, {"shipping_info_status": "not_needed"})
            return "not_needed"
        person = await customers.contact(ctx, row["customer_id"]) if row["customer_id"] else None
    lines = json.loads(row["lines"]) if isinstance(row["lines"], str) else row["lines"]
    info = ShippingInfo(attempt_id=row["attempt_id"], carrier_code=row["carrier_code"] or "",
                        waybill_no=row["waybill_no"], item_desc=rules.item_desc(lines), shipped_at=row["shipped_at"],
                        receiver_phone_masked=rules.mask_phone(person.phone if person else ""),
                        payer_reference=person.wechat_openid if person else "")
    try:
        # The guard times the call out and turns a fault or a wrong value into UNKNOWN.
        result = await provider.upload_shipping_info(pctx, info)
    except Exception as exc:  # the rail may or may not have it: retried later (idempotent per charge)
        code_ = exc.code if isinstance(exc, ProviderError) else ("TIMEOUT" if isinstance(exc, TimeoutError)
                                                                 else "PROVIDER_FAULT")
        result = ProviderResult(ProviderStatus.UNKNOWN, error_code=code_, error_message=type(exc).__name__)
    status = {ProviderStatus.SUCCEEDED: "uploaded", ProviderStatus.FAILED: "failed"}.get(result.status, "pending")
    now = await tenant_now(ctx)
    async with tenant_scope(ctx):
        values: dict[str, Any] = {"shipping_info_status": status, "shipping_info_error": (result.error_code or "")[:64]}
        if status == "pending":
            current = await _row(shipment_id)
            if current["poll_at"] is None:
                values["poll_at"] = now + rules.SHIPPING_INFO_RETRY
        await _update(shipment_id, values)
        await record(ctx, f"fulfilment.shipping_info_{status}", target_type="shipment", target_id=str(shipment_id),
                     after={"attempt_id": row["attempt_id"], "error_code": result.error_code or ""})
    return status


# --- customer messages -------------------------------------------------------------------------------------

async def _notify(ctx: TenantContext, view: ShipmentView, what: str) -> None:
    """Tell the customer (idempotent per shipment and step through the message key)."""
    from pawpay.tenants.customers import services as customers

    if view.customer_id is None:
        return
    tenant = await get_own_tenant(ctx)
    tz = ZoneInfo(tenant.time_zone)
    box = "补发的包裹" if view.kind == "reship" else f"第{view.sequence}期口粮"
    params = {"store": tenant.name, "contract_no": view.contract_no, "box": box}
    if what == "notice":
        # "The message the day before shipment": at acceptance the warehouse will hand the box to the
        # carrier within the ship-by target (by tomorrow), so the customer hears it the day before.
        ship_by = view.ship_by.astimezone(tz)
        params["ship_by"] = f"{ship_by:%m月%d日}"
        body = f"【{tenant.name}】您的{box}已由仓库接单，预计{params['ship_by']}前发出，发货后会告诉您快递单号。"
        templates = (NOTICE_SMS_TEMPLATE, NOTICE_MP_TEMPLATE)
    elif what == "shipped":
        params.update(carrier=view.carrier_code or "", waybill=view.waybill_no or "")
        body = f"【{tenant.name}】您的{box}已发货：{params['carrier']} {params['waybill']}。"
        templates = (SHIPPED_SMS_TEMPLATE, SHIPPED_MP_TEMPLATE)
    else:
        body = f"【{tenant.name}】您的{box}已签收。如有破损、缺件，请在小程序里提交售后，我们会尽快处理。"
        templates = (DELIVERED_SMS_TEMPLATE, DELIVERED_MP_TEMPLATE)
    await customers.send_message(ctx, view.customer_id, key=f"ship-{what}-{view.id}", sms_template=templates[0],
                                 mp_template=templates[1], body=body, params=params,
                                 page=f"pages/shipments/detail?id={view.id}", contract_id=view.contract_id)


__all__ = [
    "ShipmentLine", "ShipmentView", "TrackingView", "get_shipment", "list_shipments", "on_parcel_event",
    "poll_shipment", "release_period", "reship", "retry_shipment", "submit_shipment", "tracking",
    "upload_shipping_info",
]
