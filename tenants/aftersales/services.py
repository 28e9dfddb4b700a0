"""After-sales tickets: the only entry point others call.

- :func:`open_ticket` (staff) / :func:`open_customer_ticket` (the customer, from the portal or the API):
  a ticket about a contract and, optionally, one of its shipments, with photos (stored through
  ``pawpay.platform.storage``: sniffed, re-encoded, served by signed links only).
- :func:`act`: the state machine (:mod:`pawpay.tenants.aftersales.rules`): start, wait for the
  customer, resolve (with the resolution), close, reopen; :func:`customer_reply` from the portal.
- :func:`reship`: one click → ``fulfilment.reship`` (idempotent per ticket; the store pays the
  postage, recorded on the ticket too).
- Pet health: :func:`attach_coupon` (a partner-clinic discount sent to the customer),
  :func:`propose_pause` → the customer agrees (:func:`answer_pause`, portal) or staff record the
  agreement → :func:`apply_pause` calls ``dunning.endings.pause_for_illness``.
- SLA: the deadline is set on the store's clock when the ticket opens (or reopens); meeting the
  kind's goal records ``met``/``breached``; the due work ``aftersales.sla`` runs
  :func:`escalate_if_due` when the deadline passes: breached, assigned to the manager, logged, the
  customer told.

Every action is a ``aftersales_ticket_event`` row (who, when, what) plus an audit entry; the
customer is told at each step through ``customers.send_message`` (zh-CN).
"""

from __future__ import annotations

import json
import logging
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from pawpay.platform.audit.services import record
from pawpay.platform.clock import utcnow
from pawpay.platform.db.jsonb import from_jsonb
from pawpay.platform.errors import NotFound, ValidationFailed
from pawpay.platform.jobs.services import tenant_now
from pawpay.platform.money import yuan
from pawpay.platform.storage import services as storage
from pawpay.platform.tenancy.context import TenantContext
from pawpay.platform.tenancy.scope import tenant_scope
from pawpay.platform.tenancy.services import get_own_tenant
from pawpay.tenants.aftersales import rules
from pawpay.tenants.aftersales.errors import InvalidTransition, NotPetHealth, NotReshippable, PauseState, TicketClosed
from pawpay.tenants.aftersales.tables import (
    AftersalesClinicCoupon,
    AftersalesTicket,
    AftersalesTicketEvent,
    AftersalesTicketPhoto,
)

log = logging.getLogger(__name__)

STAFF, CUSTOMER, SYSTEM = "staff", "customer", "system"
PHOTO_PURPOSE = "aftersales"
KIND_ZH = {"damaged": "商品破损", "near_expiry": "临期商品", "missing": "少发漏发", "wrong_item": "发错商品",
           "pet_health": "宠物健康", "complaint": "投诉"}
SMS_TEMPLATE = "AFTERSALES_{step}_SMS"
MP_TEMPLATE = "AFTERSALES_UPDATE_MP"


@dataclass(frozen=True, slots=True)
class TicketView:
    id: uuid.UUID
    ticket_no: str
    kind: str
    state: str
    contract_id: uuid.UUID
    customer_id: uuid.UUID
    shipment_id: uuid.UUID | None
    title: str
    description: str
    opened_by_kind: str
    opened_by: str
    assignee_id: uuid.UUID | None
    sla_goal: str
    sla_started_at: datetime
    sla_deadline: datetime
    sla_met_at: datetime | None
    sla_outcome: str
    escalated_at: datetime | None
    resolution: str
    resolved_at: datetime | None
    closed_at: datetime | None
    reship_shipment_id: uuid.UUID | None
    reship_postage_fen: int
    pause_proposal: dict[str, Any]
    created_at: datetime
    updated_at: datetime

    @property
    def active(self) -> bool:
        return self.state in rules.ACTIVE_STATES

    @property
    def reshippable(self) -> bool:
        return self.kind in rules.PRODUCT_KINDS and self.shipment_id is not None and self.active \
            and self.reship_shipment_id is None


@dataclass(frozen=True, slots=True)
class EventView:
    id: uuid.UUID
    ticket_id: uuid.UUID
    kind: str
    from_state: str
    to_state: str
    actor_kind: str
    actor: str
    note: str
    detail: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class PhotoView:
    id: uuid.UUID
    ticket_id: uuid.UUID
    file_key: str
    content_type: str
    size: int
    original_name: str
    uploaded_by_kind: str
    created_at: datetime

    def url(self, ttl_seconds: int = 300) -> str:
        """A short-lived signed link (render it only for those who may see the ticket)."""
        return storage.download_url(self.file_key, ttl_seconds=ttl_seconds, filename=self.original_name or None)


@dataclass(frozen=True, slots=True)
class CouponView:
    id: uuid.UUID
    ticket_id: uuid.UUID
    customer_id: uuid.UUID
    clinic: str
    discount_kind: str
    discount_value: int
    code: str
    expires_on: date
    send_status: str
    created_by: str
    created_at: datetime

    @property
    def discount_text(self) -> str:
        return discount_text(self.discount_kind, self.discount_value)


@dataclass(frozen=True, slots=True)
class PhotoUpload:
    data: bytes
    filename: str


def discount_text(kind: str, value: int) -> str:
    """zh-CN: ``8折`` style is ambiguous across clinics, so say it plainly: ``立减20%`` / ``立减50.00元``."""
    return f"立减{value}%" if kind == "percent" else f"立减{yuan(value)}元"


_TICKET_COLUMNS = tuple(getattr(AftersalesTicket, n) for n in TicketView.__dataclass_fields__)
_EVENT_COLUMNS = tuple(getattr(AftersalesTicketEvent, n) for n in EventView.__dataclass_fields__)
_PHOTO_COLUMNS = tuple(getattr(AftersalesTicketPhoto, n) for n in PhotoView.__dataclass_fields__)
_COUPON_COLUMNS = tuple(getattr(AftersalesClinicCoupon, n) for n in CouponView.__dataclass_fields__)


def _ticket_view(row: dict[str, Any]) -> TicketView:
    return TicketView(**{**row, "pause_proposal": from_jsonb(row["pause_proposal"]) or {}})


def _actor(ctx: TenantContext) -> str:
    return (ctx.actor_label or (str(ctx.actor_id) if ctx.actor_id else "system"))[:255]


def _text(value: str | None, field: str, *, required: bool, limit: int) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationFailed("this field is required", field=field)
    if len(text) > limit:
        raise ValidationFailed(f"at most {limit} characters", field=field, limit=limit)
    return text


# --- reading ----------------------------------------------------------------------------------------

async def get_ticket(ctx: TenantContext, ticket_id: uuid.UUID) -> TicketView:
    async with tenant_scope(ctx):
        row = await AftersalesTicket.select(*_TICKET_COLUMNS).where(
            (AftersalesTicket.tenant_id == ctx.tenant_id) & (AftersalesTicket.id == ticket_id)).first()
    if row is None:
        raise NotFound("ticket not found")  # the same answer for another store's ticket
    return _ticket_view(row)


async def list_tickets(ctx: TenantContext, *, state: str | None = None, states: Sequence[str] | None = None,
                       kind: str | None = None, assignee_id: uuid.UUID | None = None,
                       customer_id: uuid.UUID | None = None, contract_id: uuid.UUID | None = None,
                       escalated: bool | None = None, limit: int = 50, offset: int = 0) -> tuple[list[TicketView], int]:
    """The store's tickets, SLA deadline first, with the total."""
    where: Any = AftersalesTicket.tenant_id == ctx.tenant_id
    if state:
        if state not in rules.STATES:
            raise ValidationFailed("unknown ticket state", field="state")
        where &= AftersalesTicket.state == state
    if states:
        where &= AftersalesTicket.state.is_in(list(states))
    if kind:
        if kind not in rules.KINDS:
            raise ValidationFailed("unknown ticket kind", field="kind")
        where &= AftersalesTicket.kind == kind
    if assignee_id is not None:
        where &= AftersalesTicket.assignee_id == assignee_id
    if customer_id is not None:
        where &= AftersalesTicket.customer_id == customer_id
    if contract_id is not None:
        where &= AftersalesTicket.contract_id == contract_id
    if escalated is True:
        where &= AftersalesTicket.escalated_at.is_not_null()
    elif escalated is False:
        where &= AftersalesTicket.escalated_at.is_null()
    async with tenant_scope(ctx):
        total = await AftersalesTicket.count().where(where)
        rows = await AftersalesTicket.select(*_TICKET_COLUMNS).where(where).order_by(
            AftersalesTicket.sla_deadline).limit(limit).offset(offset)
    return [_ticket_view(r) for r in rows], int(total)


async def board(ctx: TenantContext, *, kind: str | None = None, assignee_id: uuid.UUID | None = None,
                limit: int = 100) -> dict[str, list[TicketView]]:
    """The board's columns: every state, each SLA-deadline first (done columns: the latest ``limit``)."""
    columns: dict[str, list[TicketView]] = {}
    for state in rules.STATES:
        rows, _total = await list_tickets(ctx, state=state, kind=kind, assignee_id=assignee_id, limit=limit)
        if state in rules.DONE_STATES:
            rows.sort(key=lambda t: t.updated_at, reverse=True)
        columns[state] = rows
    return columns


async def events(ctx: TenantContext, ticket_id: uuid.UUID) -> list[EventView]:
    async with tenant_scope(ctx):
        rows = await AftersalesTicketEvent.select(*_EVENT_COLUMNS).where(
            (AftersalesTicketEvent.tenant_id == ctx.tenant_id) & (AftersalesTicketEvent.ticket_id == ticket_id)
        ).order_by(AftersalesTicketEvent.created_at)
    return [EventView(**{**r, "detail": from_jsonb(r["detail"]) or {}}) for r in rows]


async def photos(ctx: TenantContext, ticket_id: uuid.UUID) -> list[PhotoView]:
    async with tenant_scope(ctx):
        rows = await AftersalesTicketPhoto.select(*_PHOTO_COLUMNS).where(
            (AftersalesTicketPhoto.tenant_id == ctx.tenant_id) & (AftersalesTicketPhoto.ticket_id == ticket_id)
        ).order_by(AftersalesTicketPhoto.created_at)
    return [PhotoView(**r) for r in rows]


async def coupons(ctx: TenantContext, ticket_id: uuid.UUID) -> list[CouponView]:
    async with tenant_scope(ctx):
        rows = await AftersalesClinicCoupon.select(*_COUPON_COLUMNS).where(
            (AftersalesClinicCoupon.tenant_id == ctx.tenant_id) & (AftersalesClinicCoupon.ticket_id == ticket_id)
        ).order_by(AftersalesClinicCoupon.created_at)
    return [CouponView(**r) for r in rows]


# --- the log and the customer's messages -----------------------------------------------------------

async def _event(ctx: TenantContext, ticket: TicketView, kind: str, *, actor_kind: str, to_state: str = "",
                 note: str = "", detail: dict[str, Any] | None = None) -> uuid.UUID:
    """One logged action: a ticket event row plus an audit entry (joins the caller's transaction)."""
    detail = detail or {}
    event_id = uuid.uuid4()
    await AftersalesTicketEvent.insert(AftersalesTicketEvent(
        id=event_id, tenant_id=ctx.tenant_id, ticket_id=ticket.id, kind=kind, from_state=ticket.state,
        to_state=to_state or ticket.state, actor_kind=actor_kind, actor=_actor(ctx), actor_id=ctx.actor_id,
        note=note, detail=json.dumps(detail, default=str), created_at=utcnow()))
    await record(ctx, f"aftersales.{kind}", target_type="aftersales_ticket", target_id=str(ticket.id),
                 before={"state": ticket.state}, after={"state": to_state or ticket.state, "note": note, **detail})
    return event_id


async def _local(ctx: TenantContext, at: datetime) -> str:
    zone = (await get_own_tenant(ctx)).time_zone
    return at.astimezone(ZoneInfo(zone)).strftime("%m月%d日%H:%M")


async def _tell(ctx: TenantContext, ticket: TicketView, step: str, key: uuid.UUID, text: str,
                params: dict[str, str] | None = None) -> dict[str, str]:
    """Tell the customer (SMS + mini-program, logged in their message log). Keyed on the event row, so a
    retried step is the same message at the provider. Never raises."""
    from pawpay.tenants.customers import services as customers

    try:
        store = (await get_own_tenant(ctx)).name
        body = f"【{store}】您的售后工单{ticket.ticket_no}（{KIND_ZH[ticket.kind]}）{text}"
        return await customers.send_message(
            ctx, ticket.customer_id, key=f"aftersales-{key}", sms_template=SMS_TEMPLATE.format(step=step.upper()),
            mp_template=MP_TEMPLATE, body=body,
            params={"ticket_no": ticket.ticket_no, "kind": KIND_ZH[ticket.kind], "step": step, **(params or {})},
            page=f"pages/aftersales/detail?no={ticket.ticket_no}", contract_id=ticket.contract_id)
    except Exception:
        log.exception("after-sales message could not be sent", extra={"ticket_id": str(ticket.id)})
        return {"sms": "error"}


async def _locked(ctx: TenantContext, ticket_id: uuid.UUID) -> TicketView:
    rows = await AftersalesTicket.raw(
        "SELECT id FROM aftersales_ticket WHERE tenant_id = {} AND id = {} FOR UPDATE", ctx.tenant_id, ticket_id)
    if not rows:
        raise NotFound("ticket not found")
    return await get_ticket(ctx, ticket_id)


async def _update(ctx: TenantContext, ticket_id: uuid.UUID, values: dict[Any, Any]) -> None:
    values[AftersalesTicket.updated_at] = utcnow()
    await AftersalesTicket.update(values).where(
        (AftersalesTicket.tenant_id == ctx.tenant_id) & (AftersalesTicket.id == ticket_id))


def _sla_stop(ticket: TicketView, event: str, now: datetime) -> dict[Any, Any]:
    """The columns that record the SLA's goal met by ``event`` (nothing if already recorded)."""
    if ticket.sla_met_at is not None or not rules.stops_clock(ticket.kind, event):
        return {}
    outcome = ticket.sla_outcome or rules.sla_outcome(ticket.sla_deadline, now)
    return {AftersalesTicket.sla_met_at: now, AftersalesTicket.sla_outcome: outcome,
            AftersalesTicket.escalate_at: None, AftersalesTicket.lease_until: None}


# --- opening ----------------------------------------------------------------------------------------

async def _store_photos(uploads: Sequence[PhotoUpload]) -> list[storage.StoredFile]:
    """Check and store every photo first; one bad photo refuses them all (and leaves nothing behind)."""
    stored: list[storage.StoredFile] = []
    try:
        for upload in uploads:
            stored.append(await storage.store_upload(upload.data, filename=upload.filename, purpose=PHOTO_PURPOSE,
                                                     allowed=storage.IMAGE_TYPES))
    except Exception:
        for done in stored:
            try:
                await storage.delete_file(done.key)
            except Exception:
                log.warning("after-sales photo could not be removed", extra={"key": done.key})
        raise
    return stored


async def _insert_photos(ctx: TenantContext, ticket_id: uuid.UUID, stored: Sequence[storage.StoredFile],
                         by_kind: str) -> None:
    for item in stored:
        await AftersalesTicketPhoto.insert(AftersalesTicketPhoto(
            tenant_id=ctx.tenant_id, ticket_id=ticket_id, file_key=item.key, content_type=item.content_type,
            size=item.size, sha256=item.sha256, original_name=item.original_name[:255], uploaded_by_kind=by_kind,
            created_at=utcnow()))


async def _check_shipment(ctx: TenantContext, shipment_id: uuid.UUID | None, contract_id: uuid.UUID) -> None:
    if shipment_id is None:
        return
    from pawpay.tenants.fulfilment import services as fulfilment

    try:
        shipment = await fulfilment.get_shipment(ctx, shipment_id)
    except NotFound:
        raise ValidationFailed("choose a shipment of this contract", field="shipment_id") from None
    if shipment.contract_id != contract_id:
        raise ValidationFailed("choose a shipment of this contract", field="shipment_id")


async def _open(ctx: TenantContext, *, kind: str, contract_id: uuid.UUID, shipment_id: uuid.UUID | None, title: str,
                description: str, uploads: Sequence[PhotoUpload], by_kind: str,
                customer_id: uuid.UUID | None) -> TicketView:
    from pawpay.tenants.contracts import services as contracts

    if kind not in rules.KINDS:
        raise ValidationFailed("choose one of the ticket kinds", field="kind")
    title = _text(title, "title", required=False, limit=200)
    description = _text(description, "description", required=True, limit=2000)
    if len(uploads) > rules.MAX_PHOTOS:
        raise ValidationFailed(f"at most {rules.MAX_PHOTOS} photos", field="file", limit=rules.MAX_PHOTOS)
    contract = await contracts.get_contract(ctx, contract_id)
    if customer_id is not None and contract.customer_id != customer_id:
        raise NotFound("contract not found")  # a customer never learns that another's contract exists
    await _check_shipment(ctx, shipment_id, contract_id)
    stored = await _store_photos(uploads)
    now = await tenant_now(ctx)
    local = now.astimezone(ZoneInfo((await get_own_tenant(ctx)).time_zone))
    ticket_id = uuid.uuid4()
    deadline = rules.sla_deadline(kind, now)
    async with tenant_scope(ctx):
        await AftersalesTicket.insert(AftersalesTicket(
            id=ticket_id, tenant_id=ctx.tenant_id, ticket_no=f"AS{local:%y%m%d}{secrets.token_hex(3).upper()}",
            kind=kind, state=rules.OPEN, contract_id=contract_id, customer_id=contract.customer_id,
            shipment_id=shipment_id, title=title, description=description, opened_by_kind=by_kind,
            opened_by=_actor(ctx), sla_goal=rules.sla_goal(kind), sla_started_at=now, sla_deadline=deadline,
            escalate_at=deadline, pause_proposal=json.dumps({}), created_at=utcnow(), updated_at=utcnow()))
        await _insert_photos(ctx, ticket_id, stored, by_kind)
        ticket = await get_ticket(ctx, ticket_id)
        event_id = await _event(ctx, ticket, "opened", actor_kind=by_kind, note=description,
                                detail={"kind": kind, "shipment_id": shipment_id, "photos": len(stored),
                                        "sla_deadline": deadline})
    goal = "处理完毕" if ticket.sla_goal == rules.SLA_RESOLVE else "给出解决方案"
    await _tell(ctx, ticket, "opened", event_id, f"已受理，我们将在{await _local(ctx, deadline)}前{goal}。",
                {"deadline": deadline.isoformat()})
    return ticket


async def open_ticket(ctx: TenantContext, *, kind: str, contract_id: uuid.UUID, description: str,
                      shipment_id: uuid.UUID | None = None, title: str = "",
                      photos: Sequence[PhotoUpload] = ()) -> TicketView:
    """Staff open a ticket for a customer's contract (and, optionally, one of its shipments)."""
    return await _open(ctx, kind=kind, contract_id=contract_id, shipment_id=shipment_id, title=title,
                       description=description, uploads=photos, by_kind=STAFF, customer_id=None)


async def open_customer_ticket(ctx: TenantContext, customer_id: uuid.UUID, *, kind: str, contract_id: uuid.UUID,
                               description: str, shipment_id: uuid.UUID | None = None, title: str = "",
                               photos: Sequence[PhotoUpload] = ()) -> TicketView:
    """The customer opens a ticket about one of *their* contracts (another's: NotFound)."""
    return await _open(ctx, kind=kind, contract_id=contract_id, shipment_id=shipment_id, title=title,
                       description=description, uploads=photos, by_kind=CUSTOMER, customer_id=customer_id)


async def customer_ticket(ctx: TenantContext, customer_id: uuid.UUID, ticket_id: uuid.UUID) -> TicketView:
    ticket = await get_ticket(ctx, ticket_id)
    if ticket.customer_id != customer_id:
        raise NotFound("ticket not found")
    return ticket


async def add_photos(ctx: TenantContext, ticket_id: uuid.UUID, uploads: Sequence[PhotoUpload], *,
                     by_kind: str = STAFF) -> list[PhotoView]:
    ticket = await get_ticket(ctx, ticket_id)  # another store's ticket: NotFound before anything else
    if not uploads:
        raise ValidationFailed("choose a photo", field="file")
    if ticket.state == rules.CLOSED:
        raise TicketClosed("the ticket is closed; reopen it first")
    if len(await photos(ctx, ticket_id)) + len(uploads) > rules.MAX_PHOTOS:
        raise ValidationFailed(f"at most {rules.MAX_PHOTOS} photos", field="file", limit=rules.MAX_PHOTOS)
    stored = await _store_photos(uploads)
    async with tenant_scope(ctx):
        ticket = await _locked(ctx, ticket_id)
        await _insert_photos(ctx, ticket_id, stored, by_kind)
        await _event(ctx, ticket, "photos_added", actor_kind=by_kind, detail={"photos": len(stored)})
    return await photos(ctx, ticket_id)


# --- the state machine ------------------------------------------------------------------------------

STEP_TEXT = {
    rules.IN_PROGRESS: "正在处理中，请耐心等待。",
    rules.WAITING_CUSTOMER: "需要您补充信息：{note}",
    rules.RESOLVED: "已解决：{note}",
    rules.CLOSED: "已关闭。{note}",
    rules.OPEN: "已重新打开，我们将在{deadline}前继续处理。",
}


async def act(ctx: TenantContext, ticket_id: uuid.UUID, action: str, *, note: str = "",
              actor_kind: str = STAFF) -> TicketView:
    """Move the ticket through the state machine (``rules.TRANSITIONS``); logged; the customer is told.

    Raises:
        ValidationFailed: unknown action, or a required note (resolution, reason) missing.
        InvalidTransition: the ticket's state does not allow the action (409).
    """
    if action not in rules.TRANSITIONS:
        raise ValidationFailed("unknown action", field="action")
    note = _text(note, "note", required=False, limit=2000)
    now = await tenant_now(ctx)
    async with tenant_scope(ctx):
        ticket = await _locked(ctx, ticket_id)
        target = rules.next_state(ticket.state, action)
        if target is None:
            raise InvalidTransition(f"a {ticket.state} ticket cannot {action}", state=ticket.state, action=action)
        if not note and (action in rules.NOTE_REQUIRED or (action == "close" and not ticket.resolution)):
            raise ValidationFailed("write the resolution or the reason", field="note")
        values: dict[Any, Any] = {AftersalesTicket.state: target, **_sla_stop(ticket, action, now)}
        if action == "resolve":
            values |= {AftersalesTicket.resolution: note, AftersalesTicket.resolved_at: now}
        elif action == "close":
            values[AftersalesTicket.closed_at] = now
            if not ticket.resolution:
                values[AftersalesTicket.resolution] = note
        elif action == "reopen":
            # A reopened ticket gets a fresh SLA window; the previous outcome stays in the log.
            deadline = rules.sla_deadline(ticket.kind, now)
            values |= {AftersalesTicket.resolved_at: None, AftersalesTicket.closed_at: None,
                       AftersalesTicket.sla_started_at: now, AftersalesTicket.sla_deadline: deadline,
                       AftersalesTicket.sla_met_at: None, AftersalesTicket.sla_outcome: "",
                       AftersalesTicket.escalated_at: None, AftersalesTicket.escalate_at: deadline,
                       AftersalesTicket.lease_until: None}
        await _update(ctx, ticket_id, values)
        detail: dict[str, Any] = {"action": action}
        if AftersalesTicket.sla_outcome in values:
            detail["sla_outcome"] = values[AftersalesTicket.sla_outcome]
        if action == "reopen":
            detail |= {"previous_sla_outcome": ticket.sla_outcome, "sla_deadline": values[
                AftersalesTicket.sla_deadline]}
        event_id = await _event(ctx, ticket, action, actor_kind=actor_kind, to_state=target, note=note,
                                detail=detail)
        updated = await get_ticket(ctx, ticket_id)
    if action != "customer_reply":
        text = STEP_TEXT[target].format(note=note, deadline=await _local(ctx, updated.sla_deadline))
        await _tell(ctx, updated, target, event_id, text)
    return updated


async def customer_reply(ctx: TenantContext, customer_id: uuid.UUID, ticket_id: uuid.UUID, *, note: str,
                         uploads: Sequence[PhotoUpload] = ()) -> TicketView:
    """The customer answers from the portal: logged; a ticket waiting for them goes back to the store."""
    ticket = await customer_ticket(ctx, customer_id, ticket_id)
    if not ticket.active:
        raise TicketClosed("this ticket is finished; open a new one")
    note = _text(note, "note", required=True, limit=2000)
    if uploads:
        await add_photos(ctx, ticket_id, uploads, by_kind=CUSTOMER)
    if ticket.state == rules.WAITING_CUSTOMER:
        return await act(ctx, ticket_id, "customer_reply", note=note, actor_kind=CUSTOMER)
    async with tenant_scope(ctx):
        ticket = await _locked(ctx, ticket_id)
        await _event(ctx, ticket, "customer_note", actor_kind=CUSTOMER, note=note)
    return await get_ticket(ctx, ticket_id)


async def assign(ctx: TenantContext, ticket_id: uuid.UUID, assignee_id: uuid.UUID | None) -> TicketView:
    from pawpay.platform.identity import services as identity

    if assignee_id is not None:
        staff = {s.id for s in await identity.list_staff(ctx) if s.is_active}
        if assignee_id not in staff:
            raise ValidationFailed("choose an active staff member", field="assignee_id")
    async with tenant_scope(ctx):
        ticket = await _locked(ctx, ticket_id)
        await _update(ctx, ticket_id, {AftersalesTicket.assignee_id: assignee_id})
        await _event(ctx, ticket, "assigned", actor_kind=STAFF, detail={"assignee_id": assignee_id})
    return await get_ticket(ctx, ticket_id)


# --- reship -----------------------------------------------------------------------------------------

async def reship(ctx: TenantContext, ticket_id: uuid.UUID, *, postage_fen: int,
                 lines: Sequence[tuple[str, int]] | None = None) -> TicketView:
    """One click: the ticket's shipment goes out again through the warehouse (``fulfilment.reship``,
    idempotent per ticket: a second click returns the first reship). The store pays ``postage_fen``,
    recorded by fulfilment and on the ticket.

    Raises:
        NotReshippable: not a product issue, or no shipment on the ticket (422).
        TicketClosed: the ticket is resolved or closed (409).
        ValidationFailed: postage outside 0 to 1,000 yuan.
    """
    from pawpay.tenants.fulfilment import services as fulfilment

    ticket = await get_ticket(ctx, ticket_id)
    if ticket.kind not in rules.PRODUCT_KINDS or ticket.shipment_id is None:
        raise NotReshippable("only a product issue about a shipment can be reshipped")
    if ticket.reship_shipment_id is not None:
        return ticket  # the second click: already reshipped once
    if not ticket.active:
        raise TicketClosed("the ticket is finished; reopen it first")
    if isinstance(postage_fen, bool) or not isinstance(postage_fen, int) or not \
            0 <= postage_fen <= rules.MAX_POSTAGE_FEN:
        raise ValidationFailed("postage is 0 to 1,000 yuan", field="postage_fen")
    reason = f"售后工单{ticket.ticket_no}：{KIND_ZH[ticket.kind]}"
    shipment = await fulfilment.reship(ctx, ticket.shipment_id, reason=reason, ticket_id=ticket.id, lines=lines,
                                       postage_fen=postage_fen)
    async with tenant_scope(ctx):
        ticket = await _locked(ctx, ticket_id)
        if ticket.reship_shipment_id is not None:
            return ticket  # a concurrent click recorded it first
        target = rules.IN_PROGRESS if ticket.state == rules.OPEN else ticket.state
        await _update(ctx, ticket_id, {AftersalesTicket.reship_shipment_id: shipment.id,
                                       AftersalesTicket.reship_postage_fen: postage_fen,
                                       AftersalesTicket.state: target})
        event_id = await _event(ctx, ticket, "reshipped", actor_kind=STAFF, to_state=target,
                                detail={"shipment_id": shipment.id, "order_id": shipment.order_id,
                                        "postage_fen": postage_fen, "paid_by": "store",
                                        "lines": [[line.sku, line.quantity] for line in shipment.lines]})
        updated = await get_ticket(ctx, ticket_id)
    await _tell(ctx, updated, "reshipped", event_id, "已为您安排补发，运费由门店承担，发货后可在自助页面查看物流。",
                {"order_id": shipment.order_id})
    return updated


# --- pet health: clinic coupons and the pause proposal -------------------------------------------------

def _pet_health(ticket: TicketView) -> None:
    if ticket.kind != rules.PET_HEALTH:
        raise NotPetHealth("only a pet-health ticket can have this")
    if not ticket.active:
        raise TicketClosed("the ticket is finished; reopen it first")


async def attach_coupon(ctx: TenantContext, ticket_id: uuid.UUID, *, clinic: str, discount_kind: str,
                        discount_value: int, code: str, expires_on: date) -> CouponView:
    """A partner-clinic discount for a sick pet, recorded and sent to the customer (a solution: stops a
    pet-health ticket's SLA clock)."""
    clinic = _text(clinic, "clinic", required=True, limit=120)
    code = _text(code, "code", required=True, limit=64)
    if not rules.coupon_discount_valid(discount_kind, discount_value):
        raise ValidationFailed("a discount of 1 to 90 percent, or an amount", field="discount_value")
    now = await tenant_now(ctx)
    today = now.astimezone(ZoneInfo((await get_own_tenant(ctx)).time_zone)).date()
    if expires_on < today:
        raise ValidationFailed("the coupon has expired", field="expires_on")
    coupon_id = uuid.uuid4()
    async with tenant_scope(ctx):
        ticket = await _locked(ctx, ticket_id)
        _pet_health(ticket)
        exists = await AftersalesClinicCoupon.exists().where(
            (AftersalesClinicCoupon.tenant_id == ctx.tenant_id) & (AftersalesClinicCoupon.clinic == clinic)
            & (AftersalesClinicCoupon.code == code))
        if exists:
            raise ValidationFailed("this clinic's code was given already", field="code")
        await AftersalesClinicCoupon.insert(AftersalesClinicCoupon(
            id=coupon_id, tenant_id=ctx.tenant_id, ticket_id=ticket_id, customer_id=ticket.customer_id,
            clinic=clinic, discount_kind=discount_kind, discount_value=discount_value, code=code,
            expires_on=expires_on, send_status="", created_by=_actor(ctx), created_at=utcnow()))
        target = rules.IN_PROGRESS if ticket.state == rules.OPEN else ticket.state
        await _update(ctx, ticket_id, {AftersalesTicket.state: target, **_sla_stop(ticket, "coupon_sent", now)})
        event_id = await _event(ctx, ticket, "coupon_sent", actor_kind=STAFF, to_state=target, detail={
            "clinic": clinic, "discount": discount_text(discount_kind, discount_value), "code": code,
            "expires_on": expires_on})
        updated = await get_ticket(ctx, ticket_id)
    outcome = await _tell(ctx, updated, "coupon", event_id,
                          f"为您送上合作宠物医院「{clinic}」优惠券（{discount_text(discount_kind, discount_value)}），"
                          f"券码{code}，有效期至{expires_on:%Y年%m月%d日}。祝毛孩子早日康复。",
                          {"clinic": clinic, "code": code, "expires_on": expires_on.isoformat()})
    async with tenant_scope(ctx):
        await AftersalesClinicCoupon.update({AftersalesClinicCoupon.send_status: ",".join(
            f"{k}:{v}" for k, v in sorted(outcome.items()))[:32]}).where(
            (AftersalesClinicCoupon.tenant_id == ctx.tenant_id) & (AftersalesClinicCoupon.id == coupon_id))
        row = await AftersalesClinicCoupon.select(*_COUPON_COLUMNS).where(
            (AftersalesClinicCoupon.tenant_id == ctx.tenant_id) & (AftersalesClinicCoupon.id == coupon_id)).first()
    assert row is not None
    return CouponView(**row)


async def propose_pause(ctx: TenantContext, ticket_id: uuid.UUID, *, periods: int, reason: str) -> TicketView:
    """Propose pausing 1-2 periods while the pet is ill. Only a proposal: the pause needs the customer's
    agreement (DOMAIN §4), recorded by :func:`answer_pause` (the customer) or :func:`apply_pause` (staff)."""
    reason = _text(reason, "reason", required=True, limit=500)
    if isinstance(periods, bool) or not isinstance(periods, int) or not 1 <= periods <= rules.MAX_PAUSE_PERIODS:
        raise ValidationFailed("a pause is 1 or 2 periods", field="periods")
    now = await tenant_now(ctx)
    async with tenant_scope(ctx):
        ticket = await _locked(ctx, ticket_id)
        _pet_health(ticket)
        if ticket.pause_proposal.get("status") in ("proposed", "agreed", "applied"):
            raise PauseState("a pause was proposed already")
        proposal = {"status": "proposed", "periods": periods, "reason": reason, "proposed_at": now.isoformat(),
                    "proposed_by": _actor(ctx)}
        target = rules.IN_PROGRESS if ticket.state == rules.OPEN else ticket.state
        await _update(ctx, ticket_id, {AftersalesTicket.pause_proposal: json.dumps(proposal),
                                       AftersalesTicket.state: target, **_sla_stop(ticket, "pause_proposed", now)})
        event_id = await _event(ctx, ticket, "pause_proposed", actor_kind=STAFF, to_state=target, note=reason,
                                detail={"periods": periods})
        updated = await get_ticket(ctx, ticket_id)
    await _tell(ctx, updated, "pause", event_id,
                f"：宠物生病期间可为您暂停扣款{periods}期。如您同意，请在自助页面确认或回复门店。",
                {"periods": str(periods)})
    return updated


async def answer_pause(ctx: TenantContext, customer_id: uuid.UUID, ticket_id: uuid.UUID, *, agree: bool) -> TicketView:
    """The customer's answer to the proposal (portal): recorded as the agreement staff apply."""
    ticket = await customer_ticket(ctx, customer_id, ticket_id)
    now = await tenant_now(ctx)
    async with tenant_scope(ctx):
        ticket = await _locked(ctx, ticket_id)
        proposal = dict(ticket.pause_proposal)
        if proposal.get("status") != "proposed":
            raise PauseState("there is no pause proposal to answer")
        proposal |= {"status": "agreed" if agree else "declined", "answered_at": now.isoformat(),
                     "answered_by": CUSTOMER}
        if agree:
            proposal["agreement"] = (f"客户于{await _local(ctx, now)}在自助页面同意因宠物生病暂停扣款"
                                     f"{proposal['periods']}期（工单{ticket.ticket_no}）")
        await _update(ctx, ticket_id, {AftersalesTicket.pause_proposal: json.dumps(proposal)})
        await _event(ctx, ticket, "pause_agreed" if agree else "pause_declined", actor_kind=CUSTOMER,
                     detail={"periods": proposal["periods"]})
    return await get_ticket(ctx, ticket_id)


async def apply_pause(ctx: TenantContext, ticket_id: uuid.UUID, *, agreement: str = "") -> TicketView:
    """Staff apply the agreed pause through ``dunning.endings.pause_for_illness``. ``agreement``: what the
    customer agreed to (by phone, in store); when the customer agreed in the portal, that record is used."""
    from pawpay.tenants.dunning import endings

    agreement = _text(agreement, "agreement", required=False, limit=2000)
    async with tenant_scope(ctx):
        ticket = await _locked(ctx, ticket_id)
        _pet_health(ticket)
        proposal = dict(ticket.pause_proposal)
        if proposal.get("status") not in ("proposed", "agreed"):
            raise PauseState("there is no open pause proposal")
        agreement = agreement or str(proposal.get("agreement") or "")
        if not agreement:
            raise ValidationFailed("record the agreement with the customer", field="agreement")
        pause = await endings.pause_for_illness(ctx, ticket.contract_id, periods=int(proposal["periods"]),
                                                reason=str(proposal["reason"]), agreement=agreement)
        proposal |= {"status": "applied", "agreement": agreement, "pause_id": str(pause.id),
                     "applied_by": _actor(ctx)}
        await _update(ctx, ticket_id, {AftersalesTicket.pause_proposal: json.dumps(proposal)})
        event_id = await _event(ctx, ticket, "pause_applied", actor_kind=STAFF, note=agreement,
                                detail={"periods": proposal["periods"], "pause_id": pause.id})
        updated = await get_ticket(ctx, ticket_id)
    await _tell(ctx, updated, "pause_applied", event_id, f"：已按约定为您暂停扣款{proposal['periods']}期。",
                {"periods": str(proposal["periods"])})
    return updated


async def decline_pause(ctx: TenantContext, ticket_id: uuid.UUID, *, note: str) -> TicketView:
    """Staff record that the customer declined the pause."""
    note = _text(note, "note", required=True, limit=2000)
    async with tenant_scope(ctx):
        ticket = await _locked(ctx, ticket_id)
        proposal = dict(ticket.pause_proposal)
        if proposal.get("status") not in ("proposed", "agreed"):
            raise PauseState("there is no open pause proposal")
        proposal |= {"status": "declined", "answered_by": STAFF}
        await _update(ctx, ticket_id, {AftersalesTicket.pause_proposal: json.dumps(proposal)})
        await _event(ctx, ticket, "pause_declined", actor_kind=STAFF, note=note)
    return await get_ticket(ctx, ticket_id)


# --- SLA escalation (the due work's body) -------------------------------------------------------------

async def _manager(ctx: TenantContext) -> uuid.UUID | None:
    from pawpay.platform.identity import services as identity

    managers = sorted((s for s in await identity.list_staff(ctx) if s.is_active and "manager" in s.roles),
                      key=lambda s: s.created_at)
    return managers[0].id if managers else None


async def escalate_if_due(ctx: TenantContext, ticket_id: uuid.UUID) -> TicketView | None:
    """The SLA ran out (store clock): record it breached, escalate to the manager (assigned: the ticket is
    on their "mine" board with the escalated badge, and a task in their work queue), log it and tell the
    customer. Idempotent."""
    from pawpay.tenants.dunning import services as dunning

    now = await tenant_now(ctx)
    async with tenant_scope(ctx):
        rows = await AftersalesTicket.raw(
            "SELECT id FROM aftersales_ticket WHERE tenant_id = {} AND id = {} FOR UPDATE", ctx.tenant_id, ticket_id)
        if not rows:
            return None
        ticket = await get_ticket(ctx, ticket_id)
        if not ticket.active or ticket.sla_met_at is not None or ticket.escalated_at is not None:
            await _update(ctx, ticket_id, {AftersalesTicket.escalate_at: None, AftersalesTicket.lease_until: None})
            return ticket
        if now < ticket.sla_deadline:  # claimed early (the deadline moved): wait for it
            await _update(ctx, ticket_id, {AftersalesTicket.escalate_at: ticket.sla_deadline,
                                           AftersalesTicket.lease_until: None})
            return ticket
        manager_id = await _manager(ctx)
        await _update(ctx, ticket_id, {
            AftersalesTicket.escalated_at: now, AftersalesTicket.sla_outcome: rules.BREACHED,
            AftersalesTicket.assignee_id: manager_id or ticket.assignee_id, AftersalesTicket.escalate_at: None,
            AftersalesTicket.lease_until: None})
        # The manager is told in the app: the ticket is theirs (their "mine" board) and a task waits in
        # their work queue (/admin/queues), staff's one to-do list.
        missed = "解决" if ticket.sla_goal == rules.SLA_RESOLVE else "给出方案"
        task = await dunning.create_task(
            ctx, kind="other", installment_id=None, contract_id=ticket.contract_id, due_at=now,
            assignee_id=manager_id, note=f"售后工单{ticket.ticket_no}（{KIND_ZH[ticket.kind]}）超时未{missed}，"
            f"已升级给店长：/admin/tickets/{ticket.id}")
        event_id = await _event(ctx, ticket, "escalated", actor_kind=SYSTEM, detail={
            "sla_outcome": rules.BREACHED, "sla_deadline": ticket.sla_deadline, "manager_id": manager_id,
            "previous_assignee_id": ticket.assignee_id, "task_id": task.id})
        updated = await get_ticket(ctx, ticket_id)
    await _tell(ctx, updated, "escalated", event_id, "已升级由店长亲自跟进，给您带来不便，深表歉意。")
    return updated


async def sla_summary(ctx: TenantContext) -> dict[str, int]:
    """Counts for the board's header: open, escalated, met, breached."""
    async with tenant_scope(ctx):
        rows = await AftersalesTicket.raw(
            "SELECT count(*) FILTER (WHERE state IN ('open', 'in_progress', 'waiting_customer')) AS open, "
            "count(*) FILTER (WHERE escalated_at IS NOT NULL AND state IN ('open', 'in_progress', "
            "'waiting_customer')) AS escalated, count(*) FILTER (WHERE sla_outcome = 'met') AS met, "
            "count(*) FILTER (WHERE sla_outcome = 'breached') AS breached FROM aftersales_ticket "
            "WHERE tenant_id = {}", ctx.tenant_id)
    return {k: int(v) for k, v in rows[0].items()}
