"""Dunning: the store's humane ladder after a failed debit, staff tasks, work queues, pauses and endings.

Public API (issue 7, the interface with billing):

- :func:`debit_failed` / :func:`debit_recovered` — called by billing inside its transaction.
- :func:`create_task` — staff tasks (``remind_by_phone``, ``follow_up``, ``promise_to_pay``, ``escalation``).
- :func:`is_quiet_time` — 22:00-08:00 store time: nobody is contacted then.
- :func:`installment_paused` — billing never debits a paused installment.

The ladder is data per store (``dunning_ladder_step``, defaults seeded on first use, see
:mod:`pawpay.tenants.dunning.rules`). A case's ``next_run_at`` is due work (LeasedRowWork
``dunning.ladder`` → actor ``run_dunning_case``) compared with the store's (test) clock. Each step
of a case runs once (unique (case, step)); every contact is logged in ``dunning_contact`` and every
staff action in ``dunning_action`` plus the audit log. Billing's functions are imported lazily.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pawpay.platform.audit.services import record
from pawpay.platform.clock import utcnow
from pawpay.platform.db.jsonb import from_jsonb
from pawpay.platform.errors import BusinessRuleViolation, NotFound, ValidationFailed
from pawpay.platform.hooks import MiniProgramMessage, ProviderResult, SmsMessage
from pawpay.platform.jobs.services import tenant_now
from pawpay.platform.money import yuan
from pawpay.platform.tenancy.context import PlatformContext, TenantContext
from pawpay.platform.tenancy.scope import platform_scope, tenant_scope
from pawpay.platform.tenancy.services import get_own_tenant
from pawpay.tenants.dunning import rules
from pawpay.tenants.dunning.errors import DunningErrorCode, ForbiddenPhrase, code
from pawpay.tenants.dunning.tables import (
    DunningAction,
    DunningCase,
    DunningContact,
    DunningForbiddenPhrase,
    DunningLadderStep,
    DunningStepRun,
    DunningTask,
    DunningTemplate,
)

log = logging.getLogger(__name__)

TASK_KINDS = ("remind_by_phone", "follow_up", "promise_to_pay", "escalation", "call_back", "penalty_owed",
              "other")
TASK_STATUSES = ("open", "done", "cancelled")
CALL_OUTCOMES = ("reached", "no_answer", "promised", "refused", "wrong_number", "other")


# --- views ------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class TaskView:
    id: uuid.UUID
    kind: str
    installment_id: uuid.UUID | None
    contract_id: uuid.UUID | None
    case_id: uuid.UUID | None
    assignee_id: uuid.UUID | None
    assignee_role: str
    due_at: datetime
    promised_on: date | None
    status: str
    note: str
    created_at: datetime
    done_at: datetime | None
    done_by: str


@dataclass(frozen=True, slots=True)
class StepView:
    id: uuid.UUID
    day_offset: int
    action: str
    template_code: str
    assignee_role: str
    enabled: bool


@dataclass(frozen=True, slots=True)
class TemplateView:
    code: str
    body: str
    updated_at: datetime
    updated_by: str


@dataclass(frozen=True, slots=True)
class CaseView:
    id: uuid.UUID
    installment_id: uuid.UUID
    contract_id: uuid.UUID
    status: str
    opened_at: datetime
    last_attempt_id: str
    last_error_code: str
    failures: int
    extension_until: datetime | None
    paused_until: datetime | None
    next_run_at: datetime | None
    closed_at: datetime | None
    close_reason: str
    steps_done: list[int]  # day offsets of the steps run


@dataclass(frozen=True, slots=True)
class ContactView:
    id: uuid.UUID
    case_id: uuid.UUID | None
    installment_id: uuid.UUID | None
    contract_id: uuid.UUID | None
    channel: str
    template_code: str
    body: str
    outcome: str
    detail: str
    actor: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ActionView:
    id: uuid.UUID
    kind: str
    installment_id: uuid.UUID | None
    contract_id: uuid.UUID | None
    case_id: uuid.UUID | None
    actor: str
    detail: dict[str, Any]
    created_at: datetime


def _actor(ctx: TenantContext) -> str:
    return (ctx.actor_label or (str(ctx.actor_id) if ctx.actor_id else "system"))[:255]


def _aware(value: datetime, field: str) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise ValidationFailed("times must be timezone-aware", field=field)
    return value


async def _zone(ctx: TenantContext) -> str:
    return (await get_own_tenant(ctx)).time_zone


async def store_today(ctx: TenantContext) -> date:
    now = await tenant_now(ctx)
    return rules.local(now, await _zone(ctx)).date()


# --- the ladder and templates (data per store) -------------------------------------------------------

async def _ensure_defaults(ctx: TenantContext) -> None:
    """Seed the store's default ladder and templates on first use (idempotent, concurrent-safe)."""
    async with tenant_scope(ctx):
        has = await DunningLadderStep.exists().where(DunningLadderStep.tenant_id == ctx.tenant_id)
        if not has:
            stamp = utcnow()
            for spec in rules.DEFAULT_LADDER:
                await DunningLadderStep.raw(
                    "INSERT INTO dunning_ladder_step (id, tenant_id, day_offset, action, template_code, assignee_role, "
                    "enabled, created_at) VALUES ({}, {}, {}, {}, {}, {}, true, {}) "
                    "ON CONFLICT (tenant_id, day_offset, action) DO NOTHING",
                    uuid.uuid4(), ctx.tenant_id, spec.day_offset, spec.action, spec.template_code,
                    spec.assignee_role, stamp)
        has_templates = await DunningTemplate.exists().where(DunningTemplate.tenant_id == ctx.tenant_id)
        if not has_templates:
            stamp = utcnow()
            for template_code, body in rules.DEFAULT_TEMPLATES.items():
                await DunningTemplate.raw(
                    "INSERT INTO dunning_template (id, tenant_id, code, body, updated_at, updated_by) "
                    "VALUES ({}, {}, {}, {}, {}, 'default') ON CONFLICT (tenant_id, code) DO NOTHING",
                    uuid.uuid4(), ctx.tenant_id, template_code, body, stamp)


_STEP_COLUMNS = (DunningLadderStep.id, DunningLadderStep.day_offset, DunningLadderStep.action,
                 DunningLadderStep.template_code, DunningLadderStep.assignee_role, DunningLadderStep.enabled)


async def list_ladder(ctx: TenantContext) -> list[StepView]:
    """The store's ladder by day offset (defaults seeded on first use)."""
    await _ensure_defaults(ctx)
    async with tenant_scope(ctx):
        rows = await DunningLadderStep.select(*_STEP_COLUMNS).where(
            DunningLadderStep.tenant_id == ctx.tenant_id).order_by(DunningLadderStep.day_offset).order_by(
            DunningLadderStep.action)
    return [StepView(**r) for r in rows]


async def save_ladder_step(ctx: TenantContext, *, day_offset: int, action: str, template_code: str = "",
                           assignee_role: str = "", enabled: bool = True) -> StepView:
    """Add or change the store's step for ``(day_offset, action)``."""
    if action not in rules.ACTIONS:
        raise ValidationFailed("unknown action", field="action", code=code(DunningErrorCode.DUNNING_INVALID_STEP))
    if not isinstance(day_offset, int) or not 0 <= day_offset <= 365:
        raise ValidationFailed("the day is 0 to 365", field="day_offset",
                               code=code(DunningErrorCode.DUNNING_INVALID_STEP))
    await _ensure_defaults(ctx)
    if action in rules.CONTACT_ACTIONS and template_code not in {t.code for t in await list_templates(ctx)}:
        raise ValidationFailed("choose one of the store's templates", field="template_code",
                               code=code(DunningErrorCode.DUNNING_INVALID_STEP))
    async with tenant_scope(ctx):
        await DunningLadderStep.raw(
            "INSERT INTO dunning_ladder_step (id, tenant_id, day_offset, action, template_code, assignee_role, "
            "enabled, created_at) VALUES ({}, {}, {}, {}, {}, {}, {}, {}) ON CONFLICT (tenant_id, day_offset, action) "
            "DO UPDATE SET template_code = EXCLUDED.template_code, assignee_role = EXCLUDED.assignee_role, "
            "enabled = EXCLUDED.enabled",
            uuid.uuid4(), ctx.tenant_id, day_offset, action, template_code[:64], assignee_role[:32], enabled, utcnow())
        row = await DunningLadderStep.select(*_STEP_COLUMNS).where(
            (DunningLadderStep.tenant_id == ctx.tenant_id) & (DunningLadderStep.day_offset == day_offset)
            & (DunningLadderStep.action == action)).first()
        assert row is not None
        await record(ctx, "dunning.ladder_step_saved", target_type="dunning_ladder_step", target_id=str(row["id"]),
                     after={"day_offset": day_offset, "action": action, "template_code": template_code,
                            "assignee_role": assignee_role, "enabled": enabled})
    return StepView(**row)


async def forbidden_phrases(ctx: TenantContext) -> list[str]:
    """The built-in phrases plus the store's (and operator-added) ones."""
    async with tenant_scope(ctx):
        rows = await DunningForbiddenPhrase.select(DunningForbiddenPhrase.phrase).where(
            DunningForbiddenPhrase.tenant_id == ctx.tenant_id)
    return sorted(set(rules.DEFAULT_FORBIDDEN_PHRASES) | {r["phrase"] for r in rows})


async def add_forbidden_phrase(ctx: TenantContext, phrase: str) -> list[str]:
    """Extend the store's forbidden-phrase list (an operator does it for a store the same way)."""
    phrase = (phrase or "").strip()
    if not phrase or len(phrase) > 64:
        raise ValidationFailed("a phrase of 1 to 64 characters", field="phrase")
    async with tenant_scope(ctx):
        await DunningForbiddenPhrase.raw(
            "INSERT INTO dunning_forbidden_phrase (id, tenant_id, phrase, added_by, created_at) "
            "VALUES ({}, {}, {}, {}, {}) ON CONFLICT (tenant_id, phrase) DO NOTHING",
            uuid.uuid4(), ctx.tenant_id, phrase, _actor(ctx), utcnow())
        await record(ctx, "dunning.forbidden_phrase_added", target_type="dunning_forbidden_phrase",
                     after={"phrase": phrase})
    return await forbidden_phrases(ctx)


async def add_forbidden_phrase_for_stores(pctx: PlatformContext, phrase: str,
                                          tenant_ids: list[uuid.UUID] | None = None) -> int:
    """An operator extends the list for the given stores (default: every store); returns how many stores
    got it. Stores created later get the built-in list; operators add it to them the same way."""
    from pawpay.platform.tenancy.services import list_tenants

    phrase = (phrase or "").strip()
    if not phrase or len(phrase) > 64:
        raise ValidationFailed("a phrase of 1 to 64 characters", field="phrase")
    if tenant_ids is None:
        tenant_ids, offset = [], 0
        while True:
            page, total = await list_tenants(pctx, limit=200, offset=offset)
            tenant_ids += [t.id for t in page]
            offset += len(page)
            if not page or offset >= total:
                break
    stamp = utcnow()
    async with platform_scope(f"dunning: forbidden phrase for {len(tenant_ids)} stores", pctx):
        for tenant_id in tenant_ids:
            await DunningForbiddenPhrase.raw(
                "INSERT INTO dunning_forbidden_phrase (id, tenant_id, phrase, added_by, created_at) "
                "VALUES ({}, {}, {}, {}, {}) ON CONFLICT (tenant_id, phrase) DO NOTHING",
                uuid.uuid4(), tenant_id, phrase, (pctx.actor_label or "operator")[:255], stamp)
        await record(pctx, "dunning.forbidden_phrase_added_for_stores", target_type="dunning_forbidden_phrase",
                     after={"phrase": phrase, "stores": len(tenant_ids)})
    return len(tenant_ids)


async def review_text(ctx: TenantContext, text: str) -> None:
    """Refuse a text with a forbidden phrase (``ForbiddenPhrase``, field ``body``, the phrases highlighted)."""
    found = rules.forbidden_in(text, await forbidden_phrases(ctx))
    if found:
        raise ForbiddenPhrase("the template contains forbidden phrases", field="body", phrases=found,
                              highlighted=rules.highlight(text, found))
    unknown = rules.unknown_placeholders(text)
    if unknown:
        raise ValidationFailed("unknown placeholders", field="body", placeholders=unknown,
                               code=code(DunningErrorCode.DUNNING_UNKNOWN_PLACEHOLDER))


async def list_templates(ctx: TenantContext) -> list[TemplateView]:
    await _ensure_defaults(ctx)
    async with tenant_scope(ctx):
        rows = await DunningTemplate.select(DunningTemplate.code, DunningTemplate.body, DunningTemplate.updated_at,
                                            DunningTemplate.updated_by).where(
            DunningTemplate.tenant_id == ctx.tenant_id).order_by(DunningTemplate.code)
    return [TemplateView(**r) for r in rows]


async def get_template(ctx: TenantContext, template_code: str) -> TemplateView:
    for view in await list_templates(ctx):
        if view.code == template_code:
            return view
    raise NotFound("template not found")


async def save_template(ctx: TenantContext, template_code: str, body: str) -> TemplateView:
    """Save the store's template after the forbidden-phrase review (refused with the phrases highlighted)."""
    template_code = (template_code or "").strip()
    body = (body or "").strip()
    if not template_code or len(template_code) > 64 or not template_code.replace("_", "").isalnum():
        raise ValidationFailed("a template code of letters, digits and _", field="code")
    if not body or len(body) > 500:
        raise ValidationFailed("a text of 1 to 500 characters", field="body")
    await review_text(ctx, body)
    await _ensure_defaults(ctx)
    async with tenant_scope(ctx):
        before = await DunningTemplate.select(DunningTemplate.body).where(
            (DunningTemplate.tenant_id == ctx.tenant_id) & (DunningTemplate.code == template_code)).first()
        await DunningTemplate.raw(
            "INSERT INTO dunning_template (id, tenant_id, code, body, updated_at, updated_by) VALUES "
            "({}, {}, {}, {}, {}, {}) ON CONFLICT (tenant_id, code) DO UPDATE SET body = EXCLUDED.body, "
            "updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by",
            uuid.uuid4(), ctx.tenant_id, template_code, body, utcnow(), _actor(ctx))
        await record(ctx, "dunning.template_saved", target_type="dunning_template", target_id=template_code,
                     before={"body": before["body"]} if before else None, after={"body": body})
    return await get_template(ctx, template_code)


# --- quiet hours, pauses ----------------------------------------------------------------------------

async def is_quiet_time(ctx: TenantContext, at: datetime) -> bool:
    """True when ``at`` falls in 22:00-08:00 in the store's time zone (no customer contact then)."""
    return rules.is_quiet(_aware(at, "at"), await _zone(ctx))


async def installment_paused(ctx: TenantContext, installment_id: uuid.UUID) -> bool:
    """True when the installment is paused (an illness pause or exchange: status ``paused``; or a
    staff pause of its dunning case that has not ended): billing must not debit it."""
    from pawpay.tenants.contracts import services as contracts

    view = await contracts.get_installment(ctx, installment_id)
    if view.status == "paused":
        return True
    now = await tenant_now(ctx)
    async with tenant_scope(ctx):
        row = await DunningCase.select(DunningCase.paused_until).where(
            (DunningCase.tenant_id == ctx.tenant_id) & (DunningCase.installment_id == installment_id)
            & (DunningCase.status == "open")).first()
    return bool(row and row["paused_until"] and row["paused_until"] > now)


# --- cases ------------------------------------------------------------------------------------------

async def _steps(ctx: TenantContext) -> list[StepView]:
    return [s for s in await list_ladder(ctx) if s.enabled]


async def _done_step_ids(ctx: TenantContext, case_id: uuid.UUID) -> set[uuid.UUID]:
    rows = await DunningStepRun.select(DunningStepRun.step_id).where(
        (DunningStepRun.tenant_id == ctx.tenant_id) & (DunningStepRun.case_id == case_id))
    return {r["step_id"] for r in rows}


def _not_before(case: dict[str, Any]) -> datetime | None:
    marks = [m for m in (case.get("extension_until"), case.get("paused_until")) if m is not None]
    return max(marks) if marks else None


async def _next_run(ctx: TenantContext, case: dict[str, Any], steps: list[StepView], zone: str) -> datetime | None:
    done = await _done_step_ids(ctx, case["id"])
    pending = [s for s in steps if s.id not in done]
    if not pending:
        return None
    first = min(pending, key=lambda s: s.day_offset)
    return rules.step_due_at(case["opened_at"], first.day_offset, zone, not_before=_not_before(case))


async def debit_failed(
    ctx: TenantContext,
    *,
    installment_id: uuid.UUID,
    contract_id: uuid.UUID,
    attempt_id: str,
    error_code: str,
    failed_at: datetime,
) -> None:
    """Open (or advance) the installment's dunning case after a FAILED debit attempt.

    Called by billing in its own transaction. Idempotent per ``attempt_id``. The day-0 steps
    (notify the customer; the store is notified by a contact entry and the "failed" queue) are due
    at once (deferred to 08:00 store time in quiet hours) and run by the ladder work.
    """
    _aware(failed_at, "failed_at")
    steps = await _steps(ctx)
    zone = await _zone(ctx)
    async with tenant_scope(ctx):
        await DunningCase.raw("SELECT pg_advisory_xact_lock(hashtext({}))", f"dunning-case:{installment_id}")
        row = await DunningCase.select().where(
            (DunningCase.tenant_id == ctx.tenant_id) & (DunningCase.installment_id == installment_id)).first()
        stamp = utcnow()
        if row is not None and row["last_attempt_id"] == attempt_id:
            return  # the same failure reported again
        if row is None:
            case_id = uuid.uuid4()
            case: dict[str, Any] = {"id": case_id, "opened_at": failed_at, "extension_until": None,
                                    "paused_until": None}
            await DunningCase.insert(DunningCase(
                id=case_id, tenant_id=ctx.tenant_id, installment_id=installment_id, contract_id=contract_id,
                status="open", opened_at=failed_at, last_attempt_id=attempt_id[:128], last_error_code=error_code[:64],
                failures=1, next_run_at=await _next_run(ctx, case, steps, zone), updated_at=stamp))
            action = "dunning.case_opened"
        else:
            case_id = row["id"]
            changes: dict[Any, Any] = {DunningCase.last_attempt_id: attempt_id[:128],
                                       DunningCase.last_error_code: error_code[:64],
                                       DunningCase.failures: row["failures"] + 1, DunningCase.updated_at: stamp}
            if row["status"] == "closed":
                # A new episode (e.g. after a pause): the steps not yet run count from this failure, so
                # nothing piles up at once; the steps already run are not repeated.
                changes.update({DunningCase.status: "open", DunningCase.closed_at: None, DunningCase.close_reason: "",
                                DunningCase.opened_at: failed_at, DunningCase.extension_until: None,
                                DunningCase.paused_until: None})
                row = {**row, "status": "open", "opened_at": failed_at, "extension_until": None,
                       "paused_until": None}
                changes[DunningCase.next_run_at] = await _next_run(ctx, row, steps, zone)
            await DunningCase.update(changes).where(
                (DunningCase.tenant_id == ctx.tenant_id) & (DunningCase.id == case_id))
            action = "dunning.case_failed_again"
        await _contact(ctx, case_id=case_id, installment_id=installment_id, contract_id=contract_id,
                       channel="store", template_code="DUNNING_STORE_NOTICE",
                       body=await _store_notice(ctx, installment_id, contract_id), outcome="recorded",
                       actor="system", detail=f"{attempt_id}: {error_code}"[:500])
        await record(ctx, action, target_type="installment", target_id=str(installment_id),
                     after={"case_id": str(case_id), "attempt_id": attempt_id, "error_code": error_code,
                            "failed_at": failed_at.isoformat()})


async def _store_notice(ctx: TenantContext, installment_id: uuid.UUID, contract_id: uuid.UUID) -> str:
    """The store's notice of a failed debit (its template, zh-CN by default)."""
    from pawpay.tenants.contracts import services as contracts

    inst = await contracts.get_installment(ctx, installment_id)
    contract = await contracts.get_contract(ctx, contract_id)
    tenant = await get_own_tenant(ctx)
    return rules.render(await _template_body(ctx, "DUNNING_STORE_NOTICE"), {
        "store": tenant.name, "contract_no": contract.contract_no, "sequence": str(inst.sequence),
        "amount": yuan(inst.amount_fen), "due_on": inst.due_on.isoformat(), "deadline": ""})


async def _close(ctx: TenantContext, installment_id: uuid.UUID, reason: str) -> bool:
    async with tenant_scope(ctx):
        row = await DunningCase.select(DunningCase.id, DunningCase.status).where(
            (DunningCase.tenant_id == ctx.tenant_id) & (DunningCase.installment_id == installment_id)).first()
        if row is None or row["status"] == "closed":
            return False
        stamp = utcnow()
        await DunningCase.update({DunningCase.status: "closed", DunningCase.next_run_at: None,
                                  DunningCase.lease_until: None, DunningCase.closed_at: stamp,
                                  DunningCase.close_reason: reason[:32], DunningCase.updated_at: stamp}).where(
            (DunningCase.tenant_id == ctx.tenant_id) & (DunningCase.id == row["id"]))
        await DunningTask.update({DunningTask.status: "cancelled", DunningTask.done_at: stamp,
                                  DunningTask.done_by: f"case {reason}"[:255]}).where(
            (DunningTask.tenant_id == ctx.tenant_id) & (DunningTask.case_id == row["id"])
            & (DunningTask.status == "open") & DunningTask.kind.is_in(["follow_up", "escalation"]))
        await record(ctx, "dunning.case_closed", target_type="installment", target_id=str(installment_id),
                     after={"case_id": str(row["id"]), "reason": reason})
    return True


async def debit_recovered(ctx: TenantContext, *, installment_id: uuid.UUID) -> None:
    """Close the installment's open dunning case (a later attempt succeeded): no further steps."""
    await _close(ctx, installment_id, "recovered")


async def close_case(ctx: TenantContext, installment_id: uuid.UUID, *, reason: str) -> bool:
    """Close a case for another reason (``paid``, ``waived``, ``cancelled``, ``terminated``)."""
    return await _close(ctx, installment_id, reason)


async def close_cases_paid(ctx: TenantContext, installment_ids: Sequence[uuid.UUID]) -> int:
    """Close the open cases of these paid installments (the ``pawpay_installments_paid`` listener's
    work, in the debit path): ONE statement when none has a case, as on a debit day; otherwise what
    :func:`close_case` does, for the few that have one. Returns how many were closed."""
    if not installment_ids:
        return 0
    async with tenant_scope(ctx):
        rows = await DunningCase.raw(
            "SELECT installment_id FROM dunning_case WHERE tenant_id = {} AND installment_id = ANY({}) "
            "AND status <> 'closed'", ctx.tenant_id, list(installment_ids))
        closed = 0
        for row in rows:
            closed += await _close(ctx, row["installment_id"], "paid")
    return closed


_CASE_FIELDS = [n for n in CaseView.__dataclass_fields__ if n != "steps_done"]


async def _case_views(ctx: TenantContext, rows: list[dict[str, Any]]) -> list[CaseView]:
    """Views of these case rows with the steps each has run (one query for all of them)."""
    runs = await DunningStepRun.select(DunningStepRun.case_id, DunningStepRun.day_offset).where(
        (DunningStepRun.tenant_id == ctx.tenant_id) & DunningStepRun.case_id.is_in([r["id"] for r in rows])
    ) if rows else []
    steps: dict[uuid.UUID, list[int]] = {}
    for run in runs:
        steps.setdefault(run["case_id"], []).append(run["day_offset"])
    return [CaseView(**{k: r[k] for k in _CASE_FIELDS}, steps_done=sorted(steps.get(r["id"], []))) for r in rows]


async def get_case(ctx: TenantContext, installment_id: uuid.UUID) -> CaseView | None:
    """The installment's case (open or closed), or None."""
    async with tenant_scope(ctx):
        row = await DunningCase.select().where(
            (DunningCase.tenant_id == ctx.tenant_id) & (DunningCase.installment_id == installment_id)).first()
        return (await _case_views(ctx, [row]))[0] if row else None


async def list_cases(ctx: TenantContext, *, status: str = "open", limit: int = 200) -> list[CaseView]:
    async with tenant_scope(ctx):
        rows = await DunningCase.select().where(
            (DunningCase.tenant_id == ctx.tenant_id) & (DunningCase.status == status)).order_by(
            DunningCase.opened_at).limit(limit)
        return await _case_views(ctx, rows)


# --- running the ladder (the actor's body) -----------------------------------------------------------

async def run_case(ctx: TenantContext, case_id: uuid.UUID) -> None:
    """Run every step of the case whose time has come (on the store's clock), once each; defer in
    quiet hours; book the next run. Idempotent: the due work may deliver a case twice."""
    from pawpay.tenants.contracts import services as contracts

    steps = await _steps(ctx)
    zone = await _zone(ctx)
    now = await tenant_now(ctx)
    async with tenant_scope(ctx):
        locked = await DunningCase.raw("SELECT id FROM dunning_case WHERE tenant_id = {} AND id = {} FOR UPDATE",
                                       ctx.tenant_id, case_id)
        if not locked:
            return
        case = await DunningCase.select().where(
            (DunningCase.tenant_id == ctx.tenant_id) & (DunningCase.id == case_id)).first()
        assert case is not None
        where = (DunningCase.tenant_id == ctx.tenant_id) & (DunningCase.id == case_id)
        if case["status"] != "open":
            await DunningCase.update({DunningCase.next_run_at: None, DunningCase.lease_until: None}).where(where)
            return
        installment = await contracts.get_installment(ctx, case["installment_id"])
        if installment.status in ("paid", "waived", "cancelled"):
            await _close(ctx, case["installment_id"], installment.status)
            return
        done = await _done_step_ids(ctx, case_id)
        not_before = _not_before(case)
        for step in sorted((s for s in steps if s.id not in done), key=lambda s: s.day_offset):
            at = rules.step_due_at(case["opened_at"], step.day_offset, zone, not_before=not_before)
            if at > now:
                break
            if rules.is_quiet(now, zone):
                break  # deferred: the next run is the next 08:00
            if installment.status == "paused":
                break
            inserted = await DunningStepRun.raw(
                "INSERT INTO dunning_step_run (id, tenant_id, case_id, step_id, day_offset, action, outcome, ran_at) "
                "VALUES ({}, {}, {}, {}, {}, {}, '', {}) ON CONFLICT (tenant_id, case_id, step_id) DO NOTHING "
                "RETURNING id", uuid.uuid4(), ctx.tenant_id, case_id, step.id, step.day_offset, step.action, now)
            if not inserted:
                continue
            outcome = await _run_step(ctx, case, step, installment, now, zone, scheduled=at)
            await DunningStepRun.update({DunningStepRun.outcome: outcome[:32]}).where(
                DunningStepRun.id == inserted[0]["id"])
            if step.action == "extension_offer":
                case = await DunningCase.select().where(where).first()
                assert case is not None
                not_before = _not_before(case)
        next_at = await _next_run(ctx, case, steps, zone)
        if next_at is not None and next_at <= now:
            next_at = rules.out_of_quiet_hours(now, zone) if rules.is_quiet(now, zone) else None
            if installment.status == "paused" and next_at is None:
                next_at = now + timedelta(days=1)
        await DunningCase.update({DunningCase.next_run_at: next_at, DunningCase.lease_until: None,
                                  DunningCase.updated_at: utcnow()}).where(where)


async def _template_body(ctx: TenantContext, template_code: str) -> str:
    row = await DunningTemplate.select(DunningTemplate.body).where(
        (DunningTemplate.tenant_id == ctx.tenant_id) & (DunningTemplate.code == template_code)).first()
    return row["body"] if row else rules.DEFAULT_TEMPLATES.get(template_code, "")


async def _run_step(ctx: TenantContext, case: dict[str, Any], step: StepView, installment: Any, now: datetime,
                    zone: str, *, scheduled: datetime) -> str:
    from pawpay.tenants.contracts import services as contracts

    contract = await contracts.get_contract(ctx, case["contract_id"])
    tenant = await get_own_tenant(ctx)
    # From the step's scheduled time, not "now": a re-run after a crash sends the same parameters under
    # the same message id (idempotent at the provider).
    deadline = rules.local(scheduled + timedelta(days=rules.EXTENSION_DAYS), zone).date()
    params = {"store": tenant.name, "contract_no": contract.contract_no, "sequence": str(installment.sequence),
              "amount": yuan(installment.amount_fen), "due_on": installment.due_on.isoformat(),
              "deadline": deadline.isoformat()}
    body = rules.render(await _template_body(ctx, step.template_code), params) if step.template_code else ""
    ids = {"case_id": case["id"], "installment_id": case["installment_id"], "contract_id": case["contract_id"]}
    if step.action == "extension_offer":
        until = now + timedelta(days=rules.EXTENSION_DAYS)
        await DunningCase.update({DunningCase.extension_until: until}).where(
            (DunningCase.tenant_id == ctx.tenant_id) & (DunningCase.id == case["id"]))
        await _log_action(ctx, "extension_offered", **ids, detail={"until": until.isoformat(),
                                                                    "deadline": deadline.isoformat()},
                          actor="system")
    if step.action in ("sms", "extension_offer"):
        return await _send(ctx, "sms", step, contract, params, body, ids)
    if step.action == "mini_program":
        return await _send(ctx, "mini_program", step, contract, params, body, ids)
    if step.action == "task":
        assignee = await _pick_assignee(ctx, step.assignee_role or "front_desk")
        await _insert_task(ctx, kind="follow_up", installment_id=case["installment_id"],
                           contract_id=case["contract_id"], case_id=case["id"], due_at=now, note=body,
                           assignee_id=assignee, assignee_role=step.assignee_role)
        return "task_created"
    if step.action == "escalate":
        assignee = await _pick_assignee(ctx, step.assignee_role or "manager")
        await _insert_task(ctx, kind="escalation", installment_id=case["installment_id"],
                           contract_id=case["contract_id"], case_id=case["id"], due_at=now, note=body,
                           assignee_id=assignee, assignee_role=step.assignee_role or "manager")
        await _contact(ctx, **ids, channel="store", template_code=step.template_code, body=body,
                       outcome="escalated", actor="system")
        return "escalated"
    return "skipped"


async def _send(ctx: TenantContext, channel: str, step: StepView, contract: Any, params: dict[str, str], body: str,
                ids: dict[str, Any]) -> str:
    """Send one ladder message (message id = case + step: idempotent at the provider); log the contact.
    A message that cannot be delivered becomes a staff task "remind by phone"."""
    from pawpay.platform.providers.services import guarded_provider_for
    from pawpay.tenants.customers import services as customers

    message_id = f"dunning:{ids['case_id']}:{step.id}"
    person = await customers.contact(ctx, contract.customer_id)
    result: ProviderResult | None = None
    outcome = "error"
    try:
        provider, pctx = await guarded_provider_for(ctx, "notifications")
        if channel == "sms":
            result = await provider.send_sms(pctx, SmsMessage(message_id=message_id, phone=person.phone,
                                                              template_code=step.template_code, params=params))
        elif person.wechat_openid:
            result = await provider.send_mini_program_message(pctx, MiniProgramMessage(
                message_id=message_id, openid=person.wechat_openid, template_id=step.template_code, data=params,
                page=f"pages/contracts/detail?no={contract.contract_no}"))
        else:
            outcome = "no_openid"
    except Exception as exc:
        log.warning("dunning message not sent", extra={"case_id": str(ids["case_id"]), "error": type(exc).__name__})
    if result is not None:
        outcome = result.status.value
    await _contact(ctx, **ids, channel=channel, template_code=step.template_code, body=body, outcome=outcome,
                   actor="system", detail=(result.error_code or "") if result else "")
    if outcome != "no_openid":
        try:
            await customers.record_message(ctx, contract.customer_id, channel, step.template_code, body, result,
                                           contract_id=contract.id, message_key=message_id)
        except Exception:
            log.exception("dunning message could not be stored")
    if channel == "sms" and outcome not in ("succeeded", "pending"):
        await _insert_task(ctx, kind="remind_by_phone", installment_id=ids["installment_id"],
                           contract_id=ids["contract_id"], case_id=ids["case_id"], due_at=await tenant_now(ctx),
                           note=f"SMS {step.template_code}: {outcome}", assignee_id=None, assignee_role="front_desk")
    return outcome


async def _contact(ctx: TenantContext, *, case_id: uuid.UUID | None, installment_id: uuid.UUID | None,
                   contract_id: uuid.UUID | None, channel: str, template_code: str, body: str, outcome: str,
                   actor: str, detail: str = "") -> None:
    await DunningContact.insert(DunningContact(
        tenant_id=ctx.tenant_id, case_id=case_id, installment_id=installment_id, contract_id=contract_id,
        channel=channel, template_code=template_code[:64], body=body, outcome=outcome[:32], detail=detail,
        actor=actor[:255], created_at=await tenant_now(ctx)))  # the store's time: test clocks, quiet hours


async def _log_action(ctx: TenantContext, kind: str, *, installment_id: uuid.UUID | None,
                      contract_id: uuid.UUID | None, case_id: uuid.UUID | None = None,
                      detail: dict[str, Any] | None = None, actor: str | None = None) -> None:
    """Every staff (and ladder) action: a ``dunning_action`` row plus an audit entry."""
    detail = detail or {}
    await DunningAction.insert(DunningAction(
        tenant_id=ctx.tenant_id, kind=kind, installment_id=installment_id, contract_id=contract_id, case_id=case_id,
        actor=actor or _actor(ctx), actor_id=ctx.actor_id, detail=json.dumps(detail, default=str),
        created_at=await tenant_now(ctx)))
    await record(ctx, f"dunning.{kind}", target_type="installment" if installment_id else "contract",
                 target_id=str(installment_id or contract_id or ""), after=detail)


# --- tasks ------------------------------------------------------------------------------------------

_TASK_COLUMNS = tuple(getattr(DunningTask, n) for n in TaskView.__dataclass_fields__)


async def _pick_assignee(ctx: TenantContext, role: str) -> uuid.UUID | None:
    """The active staff member with ``role`` (else a manager) who has the fewest open tasks."""
    from pawpay.platform.identity import services as identity

    rows = await DunningTask.raw(
        "SELECT assignee_id, count(*) AS n FROM dunning_task WHERE tenant_id = {} AND status = 'open' "
        "AND assignee_id IS NOT NULL GROUP BY assignee_id", ctx.tenant_id)
    return await identity.pick_assignee(ctx, role, {r["assignee_id"]: int(r["n"]) for r in rows})


async def _insert_task(ctx: TenantContext, *, kind: str, installment_id: uuid.UUID | None,
                       contract_id: uuid.UUID | None, case_id: uuid.UUID | None, due_at: datetime, note: str,
                       assignee_id: uuid.UUID | None, assignee_role: str = "",
                       promised_on: date | None = None) -> TaskView:
    task_id = uuid.uuid4()
    await DunningTask.insert(DunningTask(
        id=task_id, tenant_id=ctx.tenant_id, kind=kind, installment_id=installment_id, contract_id=contract_id,
        case_id=case_id, assignee_id=assignee_id, assignee_role=assignee_role[:32], due_at=due_at,
        promised_on=promised_on, status="open", note=note[:2000], created_at=await tenant_now(ctx)))
    await record(ctx, "dunning.task_created", target_type="dunning_task", target_id=str(task_id),
                 after={"kind": kind, "installment_id": str(installment_id) if installment_id else None,
                        "assignee_id": str(assignee_id) if assignee_id else None, "due_at": due_at.isoformat()})
    row = await DunningTask.select(*_TASK_COLUMNS).where(
        (DunningTask.tenant_id == ctx.tenant_id) & (DunningTask.id == task_id)).first()
    assert row is not None
    return TaskView(**row)


async def create_task(
    ctx: TenantContext,
    *,
    kind: str,
    installment_id: uuid.UUID | None,
    contract_id: uuid.UUID | None,
    due_at: datetime,
    note: str = "",
    assignee_id: uuid.UUID | None = None,
) -> TaskView:
    """Create an open staff task shown in /admin/queues (kinds include ``remind_by_phone``).

    Without an assignee, ``remind_by_phone`` goes to the front desk with the fewest open tasks."""
    if kind not in TASK_KINDS:
        raise ValidationFailed("unknown task kind", field="kind")
    _aware(due_at, "due_at")
    async with tenant_scope(ctx):
        case_id = None
        if installment_id is not None:
            from pawpay.tenants.contracts import services as contracts

            inst = await contracts.get_installment(ctx, installment_id)  # NotFound for another store's
            contract_id = contract_id or inst.contract_id
            row = await DunningCase.select(DunningCase.id).where(
                (DunningCase.tenant_id == ctx.tenant_id) & (DunningCase.installment_id == installment_id)).first()
            case_id = row["id"] if row else None
        if assignee_id is None and kind == "remind_by_phone":
            assignee_id = await _pick_assignee(ctx, "front_desk")
        elif assignee_id is not None:
            from pawpay.platform.identity import services as identity

            await identity.get_staff(ctx, assignee_id)
        return await _insert_task(ctx, kind=kind, installment_id=installment_id, contract_id=contract_id,
                                  case_id=case_id, due_at=due_at, note=note, assignee_id=assignee_id)


async def get_task(ctx: TenantContext, task_id: uuid.UUID) -> TaskView:
    async with tenant_scope(ctx):
        row = await DunningTask.select(*_TASK_COLUMNS).where(
            (DunningTask.tenant_id == ctx.tenant_id) & (DunningTask.id == task_id)).first()
    if row is None:
        raise NotFound("task not found")
    return TaskView(**row)


async def list_tasks(ctx: TenantContext, *, status: str | None = "open", kind: str | None = None,
                     assignee_id: uuid.UUID | None = None, installment_id: uuid.UUID | None = None,
                     limit: int = 200) -> list[TaskView]:
    where: Any = DunningTask.tenant_id == ctx.tenant_id
    if status:
        where &= DunningTask.status == status
    if kind:
        where &= DunningTask.kind == kind
    if assignee_id:
        where &= DunningTask.assignee_id == assignee_id
    if installment_id:
        where &= DunningTask.installment_id == installment_id
    async with tenant_scope(ctx):
        rows = await DunningTask.select(*_TASK_COLUMNS).where(where).order_by(DunningTask.due_at).limit(limit)
    return [TaskView(**r) for r in rows]


async def complete_task(ctx: TenantContext, task_id: uuid.UUID, *, note: str = "") -> TaskView:
    async with tenant_scope(ctx):
        task = await get_task(ctx, task_id)
        if task.status != "open":
            raise BusinessRuleViolation("the task is closed already", code=code(DunningErrorCode.DUNNING_TASK_CLOSED))
        await DunningTask.update({DunningTask.status: "done", DunningTask.done_at: await tenant_now(ctx),
                                  DunningTask.done_by: _actor(ctx),
                                  DunningTask.note: (task.note + ("\n" + note if note else ""))[:2000]}).where(
            (DunningTask.tenant_id == ctx.tenant_id) & (DunningTask.id == task_id))
        await _log_action(ctx, "task_done", installment_id=task.installment_id, contract_id=task.contract_id,
                          case_id=task.case_id, detail={"task_id": str(task_id), "kind": task.kind, "note": note})
        return await get_task(ctx, task_id)


# --- staff actions (the queues' one-click actions) ---------------------------------------------------

async def _installment_ids(ctx: TenantContext, installment_id: uuid.UUID) -> dict[str, Any]:
    from pawpay.tenants.contracts import services as contracts

    inst = await contracts.get_installment(ctx, installment_id)  # NotFound for another store's
    row = await DunningCase.select(DunningCase.id).where(
        (DunningCase.tenant_id == ctx.tenant_id) & (DunningCase.installment_id == installment_id)).first()
    return {"installment_id": installment_id, "contract_id": inst.contract_id, "case_id": row["id"] if row else None}


async def record_call(ctx: TenantContext, installment_id: uuid.UUID, *, note: str, outcome: str,
                      promised_on: date | None = None) -> ContactView:
    """A phone call with the customer: notes and outcome logged; a promise-to-pay date becomes a
    follow-up task due that day (10:00 store time)."""
    from pawpay.tenants.contracts import services as contracts

    await contracts.get_installment(ctx, installment_id)  # another store's: NotFound before any validation
    note = (note or "").strip()
    if outcome not in CALL_OUTCOMES:
        raise ValidationFailed("unknown call outcome", field="outcome")
    if not note:
        raise ValidationFailed("notes are required", field="note")
    today = await store_today(ctx)
    if promised_on is not None and promised_on < today:
        raise ValidationFailed("the promised date is in the past", field="promised_on")
    zone = await _zone(ctx)
    async with tenant_scope(ctx):
        ids = await _installment_ids(ctx, installment_id)
        await _contact(ctx, **ids, channel="phone", template_code="", body=note[:2000], outcome=outcome,
                       actor=_actor(ctx), detail=promised_on.isoformat() if promised_on else "")
        await _log_action(ctx, "call_recorded", **ids, detail={"outcome": outcome, "note": note[:2000],
                                                               "promised_on": promised_on})
        if promised_on is not None:
            due = datetime.combine(promised_on, time(10, 0), tzinfo=ZoneInfo(zone))
            await _insert_task(ctx, kind="promise_to_pay", **ids, due_at=due, note=note[:2000],
                               assignee_id=ctx.actor_id, promised_on=promised_on)
            await _log_action(ctx, "promise_to_pay", **ids, detail={"promised_on": promised_on})
        rows = await DunningContact.select().where(
            (DunningContact.tenant_id == ctx.tenant_id) & (DunningContact.installment_id == installment_id)
        ).order_by(DunningContact.created_at, ascending=False).limit(1)
    return ContactView(**{k: rows[0][k] for k in ContactView.__dataclass_fields__})


async def grant_extension(ctx: TenantContext, installment_id: uuid.UUID, *, days: int = rules.EXTENSION_DAYS,
                          reason: str = "") -> CaseView:
    """Let the customer pay within ``days`` more days without penalty: no ladder step runs before then."""
    from pawpay.tenants.contracts import services as contracts

    await contracts.get_installment(ctx, installment_id)  # another store's: NotFound before any validation
    if not isinstance(days, int) or not 1 <= days <= 30:
        raise ValidationFailed("1 to 30 days", field="days")
    now = await tenant_now(ctx)
    steps = await _steps(ctx)
    zone = await _zone(ctx)
    async with tenant_scope(ctx):
        ids = await _installment_ids(ctx, installment_id)
        if ids["case_id"] is None:
            raise BusinessRuleViolation("this installment has no dunning case")
        until = now + timedelta(days=days)
        where = (DunningCase.tenant_id == ctx.tenant_id) & (DunningCase.id == ids["case_id"])
        await DunningCase.update({DunningCase.extension_until: until}).where(where)
        case = await DunningCase.select().where(where).first()
        assert case is not None
        if case["status"] == "open":
            await DunningCase.update({DunningCase.next_run_at: await _next_run(ctx, case, steps, zone)}).where(where)
        await _log_action(ctx, "extension_granted", **ids, detail={"days": days, "until": until, "reason": reason})
    view = await get_case(ctx, installment_id)
    assert view is not None
    return view


async def pause_collection(ctx: TenantContext, installment_id: uuid.UUID, *, days: int, reason: str) -> CaseView:
    """Pause debits and the ladder for this installment for ``days`` days (a staff decision)."""
    from pawpay.tenants.contracts import services as contracts

    await contracts.get_installment(ctx, installment_id)  # another store's: NotFound before any validation
    if not isinstance(days, int) or not 1 <= days <= 60:
        raise ValidationFailed("1 to 60 days", field="days")
    if not (reason or "").strip():
        raise ValidationFailed("a reason is required", field="reason")
    now = await tenant_now(ctx)
    steps = await _steps(ctx)
    zone = await _zone(ctx)
    async with tenant_scope(ctx):
        ids = await _installment_ids(ctx, installment_id)
        if ids["case_id"] is None:
            raise BusinessRuleViolation("this installment has no dunning case")
        until = now + timedelta(days=days)
        where = (DunningCase.tenant_id == ctx.tenant_id) & (DunningCase.id == ids["case_id"])
        await DunningCase.update({DunningCase.paused_until: until}).where(where)
        case = await DunningCase.select().where(where).first()
        assert case is not None
        if case["status"] == "open":
            await DunningCase.update({DunningCase.next_run_at: await _next_run(ctx, case, steps, zone)}).where(where)
        await _log_action(ctx, "collection_paused", **ids, detail={"days": days, "until": until, "reason": reason})
    view = await get_case(ctx, installment_id)
    assert view is not None
    return view


async def _billing_action(ctx: TenantContext, installment_id: uuid.UUID, kind: str, detail: dict[str, Any],
                          call: Any) -> Any:
    async with tenant_scope(ctx):
        ids = await _installment_ids(ctx, installment_id)
    try:
        result = await call()
    except NotImplementedError as exc:
        raise BusinessRuleViolation("billing is not available yet") from exc
    async with tenant_scope(ctx):
        await _log_action(ctx, kind, **ids, detail=detail)
    return result


async def retry_now(ctx: TenantContext, installment_id: uuid.UUID, *, reason: str = "staff retry") -> Any:
    """One-click retry (billing.retry_now), logged as a staff action."""
    from pawpay.tenants.billing import services as billing

    return await _billing_action(ctx, installment_id, "retry_now", {"reason": reason},
                                 lambda: billing.retry_now(ctx, installment_id, reason=reason))


async def send_reminder_now(ctx: TenantContext, installment_id: uuid.UUID, *, reason: str = "staff reminder") -> None:
    """One-click reminder (billing.send_reminder_now), logged as a staff action."""
    from pawpay.tenants.billing import services as billing

    await _billing_action(ctx, installment_id, "reminder_sent", {"reason": reason},
                          lambda: billing.send_reminder_now(ctx, installment_id, reason=reason))


async def move_debit_date(ctx: TenantContext, installment_id: uuid.UUID, new_due_on: date, *, reason: str) -> None:
    """Move the debit date (billing.move_debit_date, within rail/plan rules), logged as a staff action."""
    from pawpay.tenants.billing import services as billing

    await _billing_action(ctx, installment_id, "debit_date_moved", {"new_due_on": new_due_on, "reason": reason},
                          lambda: billing.move_debit_date(ctx, installment_id, new_due_on, reason=reason))


async def list_contacts(ctx: TenantContext, *, installment_id: uuid.UUID | None = None,
                        contract_id: uuid.UUID | None = None, limit: int = 200) -> list[ContactView]:
    where: Any = DunningContact.tenant_id == ctx.tenant_id
    if installment_id:
        where &= DunningContact.installment_id == installment_id
    if contract_id:
        where &= DunningContact.contract_id == contract_id
    async with tenant_scope(ctx):
        rows = await DunningContact.select().where(where).order_by(DunningContact.created_at).limit(limit)
    return [ContactView(**{k: r[k] for k in ContactView.__dataclass_fields__}) for r in rows]


async def list_actions(ctx: TenantContext, *, installment_id: uuid.UUID | None = None,
                       contract_id: uuid.UUID | None = None, limit: int = 200) -> list[ActionView]:
    where: Any = DunningAction.tenant_id == ctx.tenant_id
    if installment_id:
        where &= DunningAction.installment_id == installment_id
    if contract_id:
        where &= DunningAction.contract_id == contract_id
    async with tenant_scope(ctx):
        rows = await DunningAction.select().where(where).order_by(DunningAction.created_at).limit(limit)
    return [ActionView(**{k: (from_jsonb(r[k]) if k == "detail" else r[k]) for k in ActionView.__dataclass_fields__})
            for r in rows]


# --- queues -----------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class QueueRow:
    """An installment with an open dunning case, for the work queues."""

    installment_id: uuid.UUID
    contract_id: uuid.UUID
    contract_no: str
    sequence: int
    due_on: date
    amount_fen: int
    status: str
    days_overdue: int
    overdue: bool
    last_step: int | None  # the day offset of the last step run
    case: CaseView


async def case_queue(ctx: TenantContext, *, overdue_only: bool = False) -> list[QueueRow]:
    """Open cases with their installment, oldest first; ``overdue_only``: unpaid more than 3 days."""
    from pawpay.tenants.contracts import services as contracts

    today = await store_today(ctx)
    cases = await list_cases(ctx, status="open", limit=500)
    # Two queries for the lot, not two per case.
    insts = await contracts.get_installments(ctx, [c.installment_id for c in cases])
    by_contract = await contracts.get_contracts(ctx, [c.contract_id for c in cases])
    out = []
    for case in cases:
        inst, contract = insts[case.installment_id], by_contract[case.contract_id]
        overdue = rules.is_overdue(inst.due_on, today)
        if overdue_only and not overdue:
            continue
        out.append(QueueRow(inst.id, contract.id, contract.contract_no, inst.sequence, inst.due_on, inst.amount_fen,
                            inst.status, (today - inst.due_on).days, overdue,
                            max(case.steps_done) if case.steps_done else None, case))
    return out


async def overdue_by_step(ctx: TenantContext, queue: Sequence[QueueRow] | None = None,
                          ) -> list[tuple[int | None, list[QueueRow]]]:
    """Overdue installments grouped by the ladder step they reached (highest first); ``queue``: the
    :func:`case_queue` already read (a page showing both)."""
    groups: dict[int | None, list[QueueRow]] = {}
    rows = [r for r in queue if r.overdue] if queue is not None else await case_queue(ctx, overdue_only=True)
    for row in rows:
        groups.setdefault(row.last_step, []).append(row)
    return sorted(groups.items(), key=lambda kv: -1 if kv[0] is None else kv[0], reverse=True)


__all__ = [
    "ActionView", "CaseView", "ContactView", "QueueRow", "StepView", "TaskView", "TemplateView",
    "add_forbidden_phrase", "add_forbidden_phrase_for_stores", "case_queue", "close_case", "complete_task",
    "create_task", "debit_failed", "debit_recovered", "forbidden_phrases", "get_case", "get_task", "get_template",
    "grant_extension", "installment_paused", "is_quiet_time", "list_actions", "list_cases", "list_contacts",
    "list_ladder", "list_tasks", "list_templates", "move_debit_date", "overdue_by_step", "pause_collection",
    "record_call", "retry_now", "review_text", "run_case", "save_ladder_step", "save_template", "send_reminder_now",
    "store_today",
]
