"""Follow-up visits (回访) at day 7 and day 30 after adoption (DOMAIN §5).

Public API (the contract-signed listener and the pages call these)::

    schedule_visits(ctx, contract_id) -> list[VisitView]          # idempotent per (contract, day)
    plan_missing(ctx) -> int                                      # catch-up: recent contracts without visits
    list_visits(ctx, *, window=None, assignee_id=None, status="open", limit=50, offset=0)
        -> tuple[list[VisitView], int]                             # window: today | overdue | upcoming
    get_visit(ctx, visit_id) -> VisitView
    complete_visit(ctx, visit_id, *, settled, feeding_questions, satisfaction, notes) -> VisitView
    could_not_reach(ctx, visit_id, *, reschedule_on, note="") -> VisitView
    assign_visit(ctx, visit_id, assignee_id) -> VisitView

Visits are due ``day`` calendar days after the pet's adoption date (else the signing day), in the
store's time zone, and never before the signing day. Each goes to an after-sales staff member
(else a manager), the one with the fewest open visits. Completing a visit, a "could not reach"
with its new day and a reassignment are audited; bad input changes nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from pawpay.platform.audit.services import record
from pawpay.platform.clock import utcnow
from pawpay.platform.errors import NotFound, ValidationFailed
from pawpay.platform.identity import services as identity
from pawpay.platform.tenancy.context import TenantContext
from pawpay.platform.tenancy.scope import tenant_scope
from pawpay.tenants.contracts import services as contracts
from pawpay.tenants.customers import services as customers
from pawpay.tenants.visits import rules
from pawpay.tenants.visits.errors import VisitClosed, VisitErrorCode, code
from pawpay.tenants.visits.tables import Visit


@dataclass(frozen=True, slots=True)
class VisitView:
    id: uuid.UUID
    contract_id: uuid.UUID
    contract_no: str
    customer_id: uuid.UUID
    customer_name_masked: str
    customer_phone_masked: str
    pet_id: uuid.UUID
    pet_name: str
    day: int
    adopted_on: date
    due_on: date
    assignee_id: uuid.UUID | None
    status: str
    unreachable_count: int
    last_unreachable_note: str
    settled: str
    feeding_questions: str
    satisfaction: int | None
    notes: str
    completed_at: datetime | None
    completed_by: str
    created_at: datetime
    updated_at: datetime

    def window(self, today: date) -> str:
        return rules.window(self.due_on, today)


_COLUMNS = tuple(getattr(Visit, name) for name in VisitView.__dataclass_fields__)


def _actor(ctx: TenantContext) -> str:
    return (ctx.actor_label or (str(ctx.actor_id) if ctx.actor_id else ""))[:255]


async def _pick_assignee(ctx: TenantContext) -> uuid.UUID | None:
    """After-sales first, else a manager: the one with the fewest open visits (the platform's rule)."""
    rows = await Visit.raw(
        "SELECT assignee_id, COUNT(*) AS n FROM visit WHERE tenant_id = {} AND status = 'open' "
        "AND assignee_id IS NOT NULL GROUP BY assignee_id", ctx.tenant_id)
    return await identity.pick_assignee(ctx, rules.PREFERRED_ROLE, {r["assignee_id"]: int(r["n"]) for r in rows})


async def schedule_visits(ctx: TenantContext, contract_id: uuid.UUID) -> list[VisitView]:
    """Plan the contract's day-7 and day-30 visits (again: nothing new). Only signed contracts get them.

    Raises:
        NotFound: no such contract in this store.
    """
    contract = await contracts.get_contract(ctx, contract_id)
    if contract.start_date is None:
        return []  # not signed (yet): a draft or a cancelled signing gets no visits
    pet = await customers.get_pet(ctx, contract.pet_id)
    customer = await customers.get_customer(ctx, contract.customer_id)
    adopted_on = pet.adoption_date or contract.start_date
    now = utcnow()
    async with tenant_scope(ctx):
        for day in rules.DAYS:
            exists = await Visit.exists().where((Visit.tenant_id == ctx.tenant_id)
                                                & (Visit.contract_id == contract_id) & (Visit.day == day))
            if exists:
                continue
            visit_id = uuid.uuid4()
            due = rules.due_on(adopted_on, day, contract.start_date)
            assignee = await _pick_assignee(ctx)
            rows = await Visit.raw(
                "INSERT INTO visit (id, tenant_id, contract_id, customer_id, pet_id, contract_no, pet_name, "
                "customer_name_masked, customer_phone_masked, day, adopted_on, due_on, assignee_id, status, "
                "unreachable_count, last_unreachable_note, settled, feeding_questions, satisfaction, notes, "
                "completed_at, completed_by, created_at, updated_at) VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, "
                "{}, {}, {}, 'open', 0, '', '', '', NULL, '', NULL, '', {}, {}) "
                "ON CONFLICT ON CONSTRAINT visit_uq_tenant_contract_day DO NOTHING RETURNING id",
                visit_id, ctx.tenant_id, contract_id, contract.customer_id, pet.id, contract.contract_no,
                pet.name[:100], customer.name_masked[:64], customer.phone_masked[:32], day, adopted_on, due,
                assignee, now, now)
            if rows:
                await record(ctx, "visits.planned", target_type="visit", target_id=str(visit_id),
                             after={"contract_id": str(contract_id), "day": day, "due_on": due.isoformat(),
                                    "assignee_id": str(assignee) if assignee else None})
        visits = await Visit.select(*_COLUMNS).where(
            (Visit.tenant_id == ctx.tenant_id) & (Visit.contract_id == contract_id)).order_by(Visit.day)
    return [VisitView(**r) for r in visits]


CATCH_UP_PAGE = 200


async def plan_missing(ctx: TenantContext) -> int:
    """Catch-up for a lost contract-signed event: plan the visits of the store's active contracts
    signed within the last ``rules.CATCH_UP_DAYS`` days that lack some; returns how many were added."""
    since = await customers.store_today(ctx) - timedelta(days=rules.CATCH_UP_DAYS)
    added, offset = 0, 0
    while True:
        batch, _ = await contracts.list_contracts(ctx, state="active", limit=CATCH_UP_PAGE, offset=offset)
        recent = [c for c in batch if c.start_date is not None and c.start_date >= since]
        if recent:
            async with tenant_scope(ctx):
                rows = await Visit.raw(
                    "SELECT contract_id, COUNT(*) AS n FROM visit WHERE tenant_id = {} AND contract_id = ANY({}) "
                    "GROUP BY contract_id", ctx.tenant_id, [c.id for c in recent])
            have = {r["contract_id"]: int(r["n"]) for r in rows}
            for c in recent:
                if have.get(c.id, 0) < len(rules.DAYS):
                    added += len(await schedule_visits(ctx, c.id)) - have.get(c.id, 0)
        # Newest first: once a page holds no recent contract, the older pages hold none either.
        if len(batch) < CATCH_UP_PAGE or not recent:
            return added
        offset += CATCH_UP_PAGE


async def _row(ctx: TenantContext, visit_id: uuid.UUID, *, lock: bool = False) -> VisitView:
    if lock:
        await Visit.raw("SELECT id FROM visit WHERE tenant_id = {} AND id = {} FOR UPDATE", ctx.tenant_id, visit_id)
    row = await Visit.select(*_COLUMNS).where((Visit.tenant_id == ctx.tenant_id) & (Visit.id == visit_id)).first()
    if row is None:
        raise NotFound("visit not found")  # the same answer for another store's visit
    return VisitView(**row)


async def get_visit(ctx: TenantContext, visit_id: uuid.UUID) -> VisitView:
    async with tenant_scope(ctx):
        return await _row(ctx, visit_id)


async def list_visits(ctx: TenantContext, *, window: str | None = None, assignee_id: uuid.UUID | None = None,
                      status: str | None = "open", contract_id: uuid.UUID | None = None, limit: int = 50,
                      offset: int = 0) -> tuple[list[VisitView], int]:
    """Visits by due day (the oldest first), with the total count. ``window`` (open visits, store
    today): ``overdue``, ``today`` or ``upcoming``; ``status``: open, done, cancelled or None (all)."""
    if window is not None and window not in rules.WINDOWS:
        raise ValidationFailed("the window is today, overdue or upcoming", field="window")
    if status is not None and status not in ("open", "done", "cancelled"):
        raise ValidationFailed("the status is open, done or cancelled", field="status")
    where: Any = Visit.tenant_id == ctx.tenant_id
    if status is not None:
        where &= Visit.status == status
    if assignee_id is not None:
        where &= Visit.assignee_id == assignee_id
    if contract_id is not None:
        where &= Visit.contract_id == contract_id
    if window is not None:
        today = await customers.store_today(ctx)
        where &= Visit.status == "open"
        where &= {"overdue": Visit.due_on < today, "today": Visit.due_on == today,
                  "upcoming": Visit.due_on > today}[window]
    limit = max(1, min(limit, 200))
    async with tenant_scope(ctx):
        total = await Visit.count().where(where)
        rows = await Visit.select(*_COLUMNS).where(where).order_by(Visit.due_on).order_by(Visit.day).limit(
            limit).offset(max(0, offset))
    return [VisitView(**r) for r in rows], int(total)


def _open(view: VisitView) -> None:
    if view.status != "open":
        raise VisitClosed("this visit is already closed", status=view.status)


async def complete_visit(ctx: TenantContext, visit_id: uuid.UUID, *, settled: str, feeding_questions: str,
                         satisfaction: Any, notes: str = "") -> VisitView:
    """Record the visit's form and close it (audited).

    Raises:
        ValidationFailed: ``VISIT_INVALID_FORM`` with the field (settled, satisfaction, texts).
        VisitClosed: already done or cancelled (409).
        NotFound: no such visit in this store.
    """
    outcome = rules.check_outcome(settled, feeding_questions, satisfaction, notes)
    async with tenant_scope(ctx):
        current = await _row(ctx, visit_id, lock=True)
        _open(current)
        now = utcnow()
        await Visit.update({Visit.status: "done", Visit.settled: outcome.settled,
                            Visit.feeding_questions: outcome.feeding_questions,
                            Visit.satisfaction: outcome.satisfaction, Visit.notes: outcome.notes,
                            Visit.completed_at: now, Visit.completed_by: _actor(ctx), Visit.updated_at: now}).where(
            (Visit.tenant_id == ctx.tenant_id) & (Visit.id == visit_id))
        await record(ctx, "visits.completed", target_type="visit", target_id=str(visit_id),
                     before={"status": current.status},
                     after={"status": "done", "settled": outcome.settled, "satisfaction": outcome.satisfaction,
                            "feeding_questions": outcome.feeding_questions, "notes": outcome.notes})
        return await _row(ctx, visit_id)


async def could_not_reach(ctx: TenantContext, visit_id: uuid.UUID, *, reschedule_on: date | None,
                          note: str = "") -> VisitView:
    """The customer did not answer: the visit stays open, due on ``reschedule_on`` (today to 30 days
    ahead); the attempt is counted and audited."""
    await get_visit(ctx, visit_id)  # another store's visit is missing whatever the input
    today = await customers.store_today(ctx)
    new_due = rules.check_reschedule(reschedule_on, today)
    text = (note or "").strip()
    if len(text) > rules.MAX_TEXT:
        raise ValidationFailed(f"at most {rules.MAX_TEXT} characters", field="note",
                               code=code(VisitErrorCode.VISIT_INVALID_FORM))
    async with tenant_scope(ctx):
        current = await _row(ctx, visit_id, lock=True)
        _open(current)
        await Visit.update({Visit.due_on: new_due, Visit.unreachable_count: current.unreachable_count + 1,
                            Visit.last_unreachable_note: text, Visit.updated_at: utcnow()}).where(
            (Visit.tenant_id == ctx.tenant_id) & (Visit.id == visit_id))
        await record(ctx, "visits.unreachable", target_type="visit", target_id=str(visit_id),
                     before={"due_on": current.due_on.isoformat(), "unreachable_count": current.unreachable_count},
                     after={"due_on": new_due.isoformat(), "unreachable_count": current.unreachable_count + 1,
                            "note": text})
        return await _row(ctx, visit_id)


async def assign_visit(ctx: TenantContext, visit_id: uuid.UUID, assignee_id: uuid.UUID) -> VisitView:
    """Give an open visit to another active staff member of the store (audited)."""
    await get_visit(ctx, visit_id)  # another store's visit is missing whatever the input
    try:
        person = await identity.get_staff(ctx, assignee_id)
    except NotFound:
        raise ValidationFailed("no such staff member in this store", field="assignee_id",
                               code=code(VisitErrorCode.VISIT_INVALID_ASSIGNEE)) from None
    if not person.is_active:
        raise ValidationFailed("this staff member is deactivated", field="assignee_id",
                               code=code(VisitErrorCode.VISIT_INVALID_ASSIGNEE))
    async with tenant_scope(ctx):
        current = await _row(ctx, visit_id, lock=True)
        _open(current)
        await Visit.update({Visit.assignee_id: assignee_id, Visit.updated_at: utcnow()}).where(
            (Visit.tenant_id == ctx.tenant_id) & (Visit.id == visit_id))
        await record(ctx, "visits.assigned", target_type="visit", target_id=str(visit_id),
                     before={"assignee_id": str(current.assignee_id) if current.assignee_id else None},
                     after={"assignee_id": str(assignee_id)})
        return await _row(ctx, visit_id)
