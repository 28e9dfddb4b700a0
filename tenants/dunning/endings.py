"""Pauses and endings of a contract (issue 7 item 5): illness pauses, pet death/loss, the "week
cat/dog" exchange, cooling-off cancellation and early termination with a retention offer first.

**Illness pause.** 1-2 periods by agreement (recorded): the next ``periods`` open installments are
marked ``paused`` and the schedule is extended by ``periods`` months (contracts.pause_installments).
Three days before the first paused installment's new due date the pause resumes them (due work
``dunning.resume_pause``), so the pre-debit reminder fits.

**Pet death or loss** (pro rata, see :mod:`pawpay.tenants.dunning.rules`): paid periods stay paid;
open installments due on or before the event date stay owed (the period was delivered); those due
after it are cancelled without penalty and the unearned amount is taken off the books; when nothing
is left open the contract ends and the debit mandate is terminated at the provider.

**"Week cat/dog" exchange.** The open due installments are paused (no debit) and the exchange is
recorded; the store resumes the contract with :func:`resume_exchange` once the new pet is handed over.

**Early termination.** ``start_termination`` records the retention offer (change plan, move the debit
date); ``decline_retention`` records it declined and quotes the penalty (the plan's rate, 10% by
default, of the remaining total, rounded half up to the fen); ``start_termination_signing`` starts
the termination agreement's e-sign flow at the store's identity provider; ``complete_termination``
checks the flow is signed, terminates the contract (contracts.terminate: open installments cancelled,
debits stop), charges the penalty (:mod:`pawpay.tenants.dunning.penalty`: due work, idempotency key
``pen-<ending>``, booked in the ledger; a failed charge stays owed with a staff task), then terminates
the mandate at the payment provider (``terminate_agreement``) and records the reason. A retained
customer (``accept_retention``) ends the flow without termination.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pawpay.platform.clock import utcnow
from pawpay.platform.errors import NotFound, ValidationFailed
from pawpay.platform.hooks import ProviderStatus
from pawpay.platform.jobs.services import tenant_now
from pawpay.platform.money import yuan
from pawpay.platform.tenancy.context import TenantContext
from pawpay.platform.tenancy.scope import tenant_scope
from pawpay.platform.tenancy.services import get_own_tenant
from pawpay.tenants.dunning import rules
from pawpay.tenants.dunning.errors import EndingState, NotSigned, RetentionFirst
from pawpay.tenants.dunning.services import _actor, _log_action, close_case
from pawpay.tenants.dunning.tables import DunningEnding, DunningPause

log = logging.getLogger(__name__)

RESUME_LEAD_DAYS = 3
RETENTION_OFFERS = ("change_plan", "move_debit_date")
ENDING_KINDS = ("termination", "pet_death", "pet_loss", "exchange", "cooling_off")


@dataclass(frozen=True, slots=True)
class PauseView:
    id: uuid.UUID
    contract_id: uuid.UUID
    kind: str
    periods: int
    installment_ids: list[str]
    reason: str
    agreement: str
    status: str
    resume_at: datetime | None
    created_by: str
    created_at: datetime
    ended_at: datetime | None


@dataclass(frozen=True, slots=True)
class EndingView:
    id: uuid.UUID
    contract_id: uuid.UUID
    kind: str
    status: str
    reason: str
    retention: dict[str, Any]
    remaining_fen: int
    penalty_fen: int
    settlement_fen: int
    sign_flow_id: str
    sign_url: str
    agreement_result: str
    detail: dict[str, Any]
    created_by: str
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None


def _j(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _pause_view(row: dict[str, Any]) -> PauseView:
    data = {k: row[k] for k in PauseView.__dataclass_fields__}
    data["installment_ids"] = _j(data["installment_ids"]) or []
    return PauseView(**data)


def _ending_view(row: dict[str, Any]) -> EndingView:
    data = {k: row[k] for k in EndingView.__dataclass_fields__}
    data["retention"] = _j(data["retention"]) or {}
    data["detail"] = _j(data["detail"]) or {}
    return EndingView(**data)


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("a reason is required", field="reason")
    return reason[:2000]


# --- pauses -----------------------------------------------------------------------------------------

async def _replan_debits(ctx: TenantContext, contract_id: uuid.UUID) -> None:
    """Billing plans the reminders for the moved due dates (its planned attempts re-time themselves to
    the installment's current due date; a reminder for an old date is skipped)."""
    from pawpay.tenants.contracts import services as contracts

    try:
        from pawpay.tenants.billing import services as billing

        await billing.plan_installments(ctx, await contracts.installments(ctx, contract_id))
    except (ImportError, NotImplementedError, AttributeError):
        log.warning("billing could not re-plan the moved installments", extra={"contract_id": str(contract_id)})


async def pause_for_illness(ctx: TenantContext, contract_id: uuid.UUID, *, periods: int, reason: str,
                            agreement: str) -> PauseView:
    """Pause 1-2 periods for the pet's illness by agreement (``agreement``: what was agreed, recorded)."""
    from pawpay.tenants.contracts import services as contracts

    reason = _reason(reason)
    agreement = (agreement or "").strip()
    if not agreement:
        raise ValidationFailed("record the agreement with the customer", field="agreement")
    tenant = await get_own_tenant(ctx)
    async with tenant_scope(ctx):
        paused = await contracts.pause_installments(ctx, contract_id, periods=periods, reason=reason)
        first_due = min(i.due_on for i in paused)
        resume_on = first_due - timedelta(days=RESUME_LEAD_DAYS)
        resume_at = datetime.combine(resume_on, time(0, 0), tzinfo=ZoneInfo(tenant.time_zone))
        pause_id = uuid.uuid4()
        await DunningPause.insert(DunningPause(
            id=pause_id, tenant_id=ctx.tenant_id, contract_id=contract_id, kind="illness", periods=periods,
            installment_ids=json.dumps([str(i.id) for i in paused]), reason=reason, agreement=agreement[:2000],
            status="active", resume_at=resume_at, created_by=_actor(ctx), created_at=utcnow()))
        await _log_action(ctx, "illness_pause", installment_id=None, contract_id=contract_id,
                          detail={"periods": periods, "sequences": [i.sequence for i in paused], "reason": reason,
                                  "agreement": agreement, "resume_at": resume_at})
        for inst in paused:
            await close_case(ctx, inst.id, reason="paused")
        await _replan_debits(ctx, contract_id)
        return await get_pause(ctx, pause_id)


async def get_pause(ctx: TenantContext, pause_id: uuid.UUID) -> PauseView:
    async with tenant_scope(ctx):
        row = await DunningPause.select().where(
            (DunningPause.tenant_id == ctx.tenant_id) & (DunningPause.id == pause_id)).first()
    if row is None:
        raise NotFound("pause not found")
    return _pause_view(row)


async def list_pauses(ctx: TenantContext, contract_id: uuid.UUID) -> list[PauseView]:
    async with tenant_scope(ctx):
        rows = await DunningPause.select().where(
            (DunningPause.tenant_id == ctx.tenant_id) & (DunningPause.contract_id == contract_id)).order_by(
            DunningPause.created_at)
    return [_pause_view(r) for r in rows]


async def resume_pause(ctx: TenantContext, pause_id: uuid.UUID) -> PauseView | None:
    """End a pause: its paused installments are due again (the due work's body; idempotent)."""
    from pawpay.tenants.contracts import services as contracts

    async with tenant_scope(ctx):
        rows = await DunningPause.raw("SELECT id FROM dunning_pause WHERE tenant_id = {} AND id = {} FOR UPDATE",
                                      ctx.tenant_id, pause_id)
        if not rows:
            return None
        pause = await get_pause(ctx, pause_id)
        where = (DunningPause.tenant_id == ctx.tenant_id) & (DunningPause.id == pause_id)
        if pause.status != "active":
            await DunningPause.update({DunningPause.resume_at: None, DunningPause.lease_until: None}).where(where)
            return pause
        for raw_id in pause.installment_ids:
            inst = await contracts.get_installment(ctx, uuid.UUID(raw_id))
            if inst.status == "paused":
                await contracts.set_installment_status(ctx, inst.id, "due", reason=f"pause {pause.kind} ended")
        await DunningPause.update({DunningPause.status: "ended", DunningPause.ended_at: utcnow(),
                                   DunningPause.resume_at: None, DunningPause.lease_until: None}).where(where)
        await _replan_debits(ctx, pause.contract_id)
        await _log_action(ctx, "pause_ended", installment_id=None, contract_id=pause.contract_id,
                          detail={"pause_id": str(pause_id), "kind": pause.kind}, actor=_actor(ctx))
        return await get_pause(ctx, pause_id)


# --- endings ----------------------------------------------------------------------------------------

async def _new_ending(ctx: TenantContext, contract_id: uuid.UUID, kind: str, status: str, reason: str,
                      **values: Any) -> uuid.UUID:
    ending_id = uuid.uuid4()
    stamp = utcnow()
    detail = values.pop("detail", {})
    retention = values.pop("retention", {})
    await DunningEnding.insert(DunningEnding(
        id=ending_id, tenant_id=ctx.tenant_id, contract_id=contract_id, kind=kind, status=status, reason=reason,
        retention=json.dumps(retention, default=str), detail=json.dumps(detail, default=str),
        created_by=_actor(ctx), created_at=stamp, updated_at=stamp, **values))
    return ending_id


async def get_ending(ctx: TenantContext, ending_id: uuid.UUID) -> EndingView:
    async with tenant_scope(ctx):
        row = await DunningEnding.select().where(
            (DunningEnding.tenant_id == ctx.tenant_id) & (DunningEnding.id == ending_id)).first()
    if row is None:
        raise NotFound("ending not found")
    return _ending_view(row)


async def list_endings(ctx: TenantContext, contract_id: uuid.UUID) -> list[EndingView]:
    async with tenant_scope(ctx):
        rows = await DunningEnding.select().where(
            (DunningEnding.tenant_id == ctx.tenant_id) & (DunningEnding.contract_id == contract_id)).order_by(
            DunningEnding.created_at)
    return [_ending_view(r) for r in rows]


async def _update_ending(ctx: TenantContext, ending_id: uuid.UUID, values: dict[Any, Any]) -> None:
    values[DunningEnding.updated_at] = utcnow()
    await DunningEnding.update(values).where(
        (DunningEnding.tenant_id == ctx.tenant_id) & (DunningEnding.id == ending_id))


async def _terminate_mandate(ctx: TenantContext, contract_id: uuid.UUID, reason: str) -> str:
    """End the debit agreement at the store's payment provider (``terminate_agreement``); the outcome."""
    from pawpay.platform.providers.services import guarded_provider_for
    from pawpay.tenants.contracts import services as contracts

    evidence = await contracts.get_evidence(ctx, contract_id)
    agreement_id = evidence.payment_agreement_reference if evidence else ""
    if not agreement_id:
        return "no_agreement"
    try:
        provider, pctx = await guarded_provider_for(ctx, "payments")
        result = await provider.terminate_agreement(pctx, agreement_id, reason[:200])
    except Exception:  # a provider fault is recorded; staff retry from the contract page
        return "error"
    return str(result.status.value)


async def _close_cases(ctx: TenantContext, contract_id: uuid.UUID, reason: str) -> None:
    from pawpay.tenants.contracts import services as contracts

    for inst in await contracts.installments(ctx, contract_id):
        if inst.status in ("cancelled", "waived", "paid", "paused"):
            await close_case(ctx, inst.id, reason=reason)


async def record_pet_death(ctx: TenantContext, contract_id: uuid.UUID, *, kind: str, event_on: date,
                           reason: str) -> EndingView:
    """Pet death (``pet_death``) or loss (``pet_loss``): stop the debits after ``event_on`` and settle
    pro rata (module docstring). The mandate is terminated at the provider once nothing is owed."""
    from pawpay.tenants.contracts import services as contracts

    if kind not in ("pet_death", "pet_loss"):
        raise ValidationFailed("pet_death or pet_loss", field="kind")
    reason = _reason(reason)
    today = await _today(ctx)
    if event_on > today:
        raise ValidationFailed("the date is in the future", field="event_on")
    async with tenant_scope(ctx):
        schedule = await contracts.installments(ctx, contract_id)
        open_ones = [rules.OpenInstallment(i.id, i.due_on, i.amount_fen) for i in schedule
                     if i.status in ("due", "failed", "paused")]
        settlement = rules.pro_rata(open_ones, event_on)
        view, cancelled_fen = await contracts.stop_installments_after(ctx, contract_id, after=event_on,
                                                                      reason=f"{kind}: {reason}")
        for inst in settlement.owed:
            got = await contracts.get_installment(ctx, inst.id)  # type: ignore[arg-type]
            if got.status == "paused":
                await contracts.set_installment_status(ctx, got.id, "due", reason=kind)
        await _close_cases(ctx, contract_id, kind)
        mandate = await _terminate_mandate(ctx, contract_id, kind) if view.state == "terminated" else ""
        ending_id = await _new_ending(
            ctx, contract_id, kind, "completed", reason, remaining_fen=cancelled_fen, penalty_fen=0,
            settlement_fen=settlement.owed_fen, agreement_result=mandate, completed_at=utcnow(),
            detail={"event_on": event_on, "owed": [str(i.id) for i in settlement.owed],
                    "cancelled": [str(i.id) for i in settlement.cancelled]})
        await _log_action(ctx, kind, installment_id=None, contract_id=contract_id,
                          detail={"event_on": event_on, "owed_fen": settlement.owed_fen,
                                  "cancelled_fen": cancelled_fen, "mandate": mandate, "reason": reason})
        return await get_ending(ctx, ending_id)


async def record_exchange(ctx: TenantContext, contract_id: uuid.UUID, *, reason: str, note: str = "") -> EndingView:
    """A "week cat/dog" exchange: stop the debits (open due installments paused) and record it."""
    from pawpay.tenants.contracts import services as contracts

    reason = _reason(reason)
    async with tenant_scope(ctx):
        contract = await contracts.get_contract(ctx, contract_id)
        if contract.state != "active":
            raise EndingState("only an active contract", current=contract.state)
        paused = []
        for inst in await contracts.installments(ctx, contract_id):
            if inst.status in ("due", "failed"):
                await contracts.set_installment_status(ctx, inst.id, "paused", reason=f"exchange: {reason}")
                paused.append(str(inst.id))
        pause_id = uuid.uuid4()
        await DunningPause.insert(DunningPause(
            id=pause_id, tenant_id=ctx.tenant_id, contract_id=contract_id, kind="exchange", periods=0,
            installment_ids=json.dumps(paused), reason=reason, agreement=note[:2000], status="active",
            resume_at=None, created_by=_actor(ctx), created_at=utcnow()))
        await _close_cases(ctx, contract_id, "exchange")
        ending_id = await _new_ending(ctx, contract_id, "exchange", "completed", reason, completed_at=utcnow(),
                                      detail={"note": note, "pause_id": str(pause_id), "paused": paused})
        await _log_action(ctx, "exchange", installment_id=None, contract_id=contract_id,
                          detail={"reason": reason, "note": note, "paused": len(paused)})
        return await get_ending(ctx, ending_id)


async def resume_exchange(ctx: TenantContext, contract_id: uuid.UUID) -> PauseView | None:
    """The exchanged pet was handed over: debits resume (the exchange pause ends)."""
    async with tenant_scope(ctx):
        row = await DunningPause.select(DunningPause.id).where(
            (DunningPause.tenant_id == ctx.tenant_id) & (DunningPause.contract_id == contract_id)
            & (DunningPause.kind == "exchange") & (DunningPause.status == "active")).first()
        if row is None:
            raise NotFound("no exchange in progress")
        return await resume_pause(ctx, row["id"])


async def cancel_in_cooling_off(ctx: TenantContext, contract_id: uuid.UUID, *, reason: str) -> EndingView:
    """Cooling-off cancellation without penalty (contracts.cancel_in_cooling_off); the mandate ends too."""
    from pawpay.tenants.contracts import services as contracts

    reason = _reason(reason)
    async with tenant_scope(ctx):
        await contracts.cancel_in_cooling_off(ctx, contract_id, reason=reason)
        await _close_cases(ctx, contract_id, "cancelled")
        mandate = await _terminate_mandate(ctx, contract_id, "cooling-off cancellation")
        ending_id = await _new_ending(ctx, contract_id, "cooling_off", "completed", reason, agreement_result=mandate,
                                      completed_at=utcnow())
        await _log_action(ctx, "cooling_off_cancelled", installment_id=None, contract_id=contract_id,
                          detail={"reason": reason, "mandate": mandate})
        return await get_ending(ctx, ending_id)


async def _today(ctx: TenantContext) -> date:
    tenant = await get_own_tenant(ctx)
    return rules.local(await tenant_now(ctx), tenant.time_zone).date()


async def termination_quote(ctx: TenantContext, contract_id: uuid.UUID) -> tuple[int, int, int]:
    """``(remaining_periods, remaining_fen, penalty_fen)`` if the contract ended now."""
    from pawpay.tenants.contracts import services as contracts

    contract = await contracts.get_contract(ctx, contract_id)
    open_ones = [i for i in await contracts.installments(ctx, contract_id) if i.status in ("due", "failed", "paused")]
    remaining = sum(i.amount_fen for i in open_ones)
    return len(open_ones), remaining, contracts.penalty_quote(contract, len(open_ones))


async def start_termination(ctx: TenantContext, contract_id: uuid.UUID, *, reason: str) -> EndingView:
    """The customer asks to end early: record the request and the retention offer (change plan, move
    the debit date) made first."""
    from pawpay.tenants.contracts import services as contracts

    reason = _reason(reason)
    async with tenant_scope(ctx):
        contract = await contracts.get_contract(ctx, contract_id)
        if contract.state != "active":
            raise EndingState("only an active contract can be terminated", current=contract.state)
        open_flow = await DunningEnding.select(DunningEnding.id).where(
            (DunningEnding.tenant_id == ctx.tenant_id) & (DunningEnding.contract_id == contract_id)
            & (DunningEnding.kind == "termination")
            & DunningEnding.status.is_in(["retention_offered", "quoted", "signing"])).first()
        if open_flow is not None:
            return await get_ending(ctx, open_flow["id"])
        now = await tenant_now(ctx)
        ending_id = await _new_ending(ctx, contract_id, "termination", "retention_offered", reason,
                                      retention={"offers": list(RETENTION_OFFERS), "offered_at": now,
                                                 "offered_by": _actor(ctx)})
        await _log_action(ctx, "retention_offered", installment_id=None, contract_id=contract_id,
                          detail={"offers": list(RETENTION_OFFERS), "reason": reason})
        return await get_ending(ctx, ending_id)


async def accept_retention(ctx: TenantContext, ending_id: uuid.UUID, *, offer: str, note: str = "") -> EndingView:
    """The customer took a retention offer: no termination (the change itself is made where it belongs)."""
    if offer not in RETENTION_OFFERS:
        raise ValidationFailed("unknown offer", field="offer")
    async with tenant_scope(ctx):
        ending = await get_ending(ctx, ending_id)
        if ending.status != "retention_offered":
            raise EndingState("the retention offer was answered already", current=ending.status)
        retention = {**ending.retention, "accepted": offer, "note": note, "answered_at": await tenant_now(ctx)}
        await _update_ending(ctx, ending_id, {DunningEnding.status: "retained",
                                              DunningEnding.retention: json.dumps(retention, default=str),
                                              DunningEnding.completed_at: utcnow()})
        await _log_action(ctx, "retention_accepted", installment_id=None, contract_id=ending.contract_id,
                          detail={"offer": offer, "note": note})
        return await get_ending(ctx, ending_id)


async def decline_retention(ctx: TenantContext, ending_id: uuid.UUID, *, note: str = "") -> EndingView:
    """The customer declined the retention offers: record it and quote the penalty (shown to them)."""
    async with tenant_scope(ctx):
        ending = await get_ending(ctx, ending_id)
        if ending.status != "retention_offered":
            raise EndingState("the retention offer was answered already", current=ending.status)
        periods, remaining, penalty = await termination_quote(ctx, ending.contract_id)
        retention = {**ending.retention, "declined": True, "note": note, "answered_at": await tenant_now(ctx)}
        await _update_ending(ctx, ending_id, {DunningEnding.status: "quoted",
                                              DunningEnding.retention: json.dumps(retention, default=str),
                                              DunningEnding.remaining_fen: remaining,
                                              DunningEnding.penalty_fen: penalty})
        await _log_action(ctx, "retention_declined", installment_id=None, contract_id=ending.contract_id,
                          detail={"note": note, "remaining_periods": periods, "remaining_fen": remaining,
                                  "penalty_fen": penalty})
        return await get_ending(ctx, ending_id)


def termination_text(store: str, contract_no: str, remaining_fen: int, penalty_fen: int, reason: str, *,
                     rate_bp: int = 1000) -> list[str]:
    """The termination agreement's lines (zh-CN): the remaining total, the penalty and its rule."""
    return [
        "提前解约协议",
        f"门店：{store}",
        f"合同编号：{contract_no}",
        f"剩余未付总额：人民币 {yuan(remaining_fen)} 元",
        f"提前解约违约金（剩余总额的{rate_bp / 100:g}%，四舍五入至分）：人民币 {yuan(penalty_fen)} 元",
        f"解约原因：{reason}",
        "双方同意：本协议签署后停止后续代扣，并解除代扣授权。",
    ]


def render_termination_pdf(lines: list[str], *, created_at: datetime, document_id: str) -> bytes:
    """The termination agreement; the same bytes for the same ending (its sha256 is kept as evidence,
    and a repeated start of the signing must send the same document)."""
    from pawpay.tenants.contracts.pdf import FONT_FAMILY, render_cjk

    file_id = f"<{hashlib.sha256(document_id.encode()).hexdigest()[:32].upper()}>" * 2

    def draw(pdf: Any) -> None:
        pdf.set_creation_date(created_at.astimezone(UTC).replace(microsecond=0))
        pdf.file_id = lambda: file_id
        pdf.set_creator("pawpay")
        pdf.add_page()
        pdf.set_font(FONT_FAMILY, size=12)
        for line in lines:
            pdf.multi_cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")

    return render_cjk(draw)


async def start_termination_signing(ctx: TenantContext, ending_id: uuid.UUID, *, return_url: str = "") -> EndingView:
    """Start the termination agreement's e-sign flow at the store's identity provider (flow id from the
    ending: idempotent); the signing link is ``sign_url``."""
    from pawpay.platform.hooks.identity import Signer, SignFlowRequest
    from pawpay.platform.providers.services import guarded_provider_for
    from pawpay.tenants.contracts import services as contracts
    from pawpay.tenants.customers import services as customers

    ending = await get_ending(ctx, ending_id)
    if ending.status == "retention_offered":
        raise RetentionFirst("record the customer's answer to the retention offer first")
    if ending.status not in ("quoted", "signing"):
        raise EndingState("the termination is not waiting for a signature", current=ending.status)
    contract = await contracts.get_contract(ctx, ending.contract_id)
    person = await customers.contact(ctx, contract.customer_id)
    tenant = await get_own_tenant(ctx)
    # Off the event loop: laying out a CJK PDF takes a tenth of a second or more.
    text = termination_text(tenant.name, contract.contract_no, ending.remaining_fen, ending.penalty_fen,
                            ending.reason, rate_bp=contract.penalty_rate_bp)
    document = await asyncio.to_thread(functools.partial(
        render_termination_pdf, text, created_at=ending.created_at, document_id=f"termination-{ending.id}"))
    flow_id = ending.sign_flow_id or f"term-{ending_id.hex[:24]}"
    provider, pctx = await guarded_provider_for(ctx, "identity")
    session = await provider.start_sign_flow(pctx, SignFlowRequest(
        flow_id=flow_id, document_name=f"提前解约协议-{contract.contract_no}.pdf", document_pdf=document,
        signers=[Signer("person", person.name, person.id_number, person.phone), Signer("organisation", tenant.name)],
        return_url=return_url))
    if session.result.status is ProviderStatus.FAILED:
        raise EndingState("the sign flow could not be started", provider_code=session.result.error_code)
    url = str(session.action.payload.get("url", "")) if session.action is not None else ""
    async with tenant_scope(ctx):
        await _update_ending(ctx, ending_id, {DunningEnding.status: "signing", DunningEnding.sign_flow_id: flow_id,
                                              DunningEnding.sign_url: url[:2000],
                                              DunningEnding.detail: json.dumps(
                                                  {**ending.detail,
                                                   "document_sha256": hashlib.sha256(document).hexdigest()})})
        await _log_action(ctx, "termination_signing_started", installment_id=None, contract_id=ending.contract_id,
                          detail={"flow_id": flow_id})
    return await get_ending(ctx, ending_id)


async def complete_termination(ctx: TenantContext, ending_id: uuid.UUID) -> EndingView:
    """After the customer signed: terminate the contract (debits stop), end the mandate at the payment
    provider, record the reason and the penalty. Refused (``NotSigned``) while the flow is not signed."""
    from pawpay.platform.providers.services import guarded_provider_for
    from pawpay.tenants.contracts import services as contracts
    from pawpay.tenants.dunning import penalty as penalties

    ending = await get_ending(ctx, ending_id)
    if ending.status == "completed":
        found = await penalties.penalty_for_ending(ctx, ending_id) if ending.kind == "termination" else None
        if found is not None and (found.status not in penalties.FINAL or found.charge_at is not None):
            # The penalty is charged before the mandate ends: run its due work now.
            await penalties.process_penalty(ctx, found.id, force=True)
            return await get_ending(ctx, ending_id)
        if ending.kind == "termination" and ending.agreement_result not in ("succeeded", "no_agreement"):
            # The contract ended but the provider did not confirm the mandate's end: ask again.
            mandate = await _terminate_mandate(ctx, ending.contract_id, "early termination")
            async with tenant_scope(ctx):
                await _update_ending(ctx, ending_id, {DunningEnding.agreement_result: mandate})
                await _log_action(ctx, "mandate_termination_retried", installment_id=None,
                                  contract_id=ending.contract_id, detail={"mandate": mandate})
            return await get_ending(ctx, ending_id)
        return ending
    if ending.status != "signing":
        raise EndingState("the termination agreement was not sent for signature", current=ending.status)
    provider, pctx = await guarded_provider_for(ctx, "identity")
    signed = await provider.query_sign_flow(pctx, ending.sign_flow_id)
    if signed.status is not ProviderStatus.SUCCEEDED:
        raise NotSigned("the termination agreement is not signed", status=signed.status.value,
                        provider_code=signed.error_code)
    async with tenant_scope(ctx):
        rows = await DunningEnding.raw("SELECT status FROM dunning_ending WHERE tenant_id = {} AND id = {} FOR UPDATE",
                                       ctx.tenant_id, ending_id)
        if rows and rows[0]["status"] == "completed":
            return await get_ending(ctx, ending_id)
        view, penalty = await contracts.terminate(ctx, ending.contract_id, reason=f"termination: {ending.reason}")
        await _close_cases(ctx, ending.contract_id, "terminated")
        penalty_id = None
        if penalty > 0:
            # Charged (due work) before the mandate ends; the mandate's end follows the charge's outcome.
            penalty_id = await penalties.assess(ctx, ending_id=ending_id, contract=view, amount_fen=penalty)
            mandate = penalties.AWAITING_PENALTY
        else:
            mandate = await _terminate_mandate(ctx, ending.contract_id, "early termination")
        await _update_ending(ctx, ending_id, {DunningEnding.status: "completed", DunningEnding.penalty_fen: penalty,
                                              DunningEnding.agreement_result: mandate,
                                              DunningEnding.completed_at: utcnow()})
        await _log_action(ctx, "terminated", installment_id=None, contract_id=ending.contract_id,
                          detail={"reason": ending.reason, "penalty_fen": penalty, "mandate": mandate,
                                  "flow_id": ending.sign_flow_id, "signed_reference": signed.provider_reference})
    if penalty_id is not None:
        # Charge at once when the rail's hours allow it. The termination is committed: whatever happens
        # here, the row is due work and the scheduler finishes it (a query first if it was submitted).
        try:
            await penalties.process_penalty(ctx, penalty_id)
        except Exception:
            log.exception("the penalty charge is left to the scheduler", extra={"ending_id": str(ending_id)})
    return await get_ending(ctx, ending_id)


__all__ = [
    "ENDING_KINDS", "RETENTION_OFFERS", "EndingView", "PauseView", "accept_retention", "cancel_in_cooling_off",
    "complete_termination", "decline_retention", "get_ending", "get_pause", "list_endings", "list_pauses",
    "pause_for_illness", "record_exchange", "record_pet_death", "resume_exchange", "resume_pause",
    "start_termination", "start_termination_signing", "termination_quote",
]
