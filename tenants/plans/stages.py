"""Stage switching: what a contract's period ships, by the pet's age on the day it ships.

Public API (fulfilment calls the first two when it creates a period's shipment)::

    period_contents(ctx, *, contract_id, sequence, ship_on) -> PeriodContents
    note_stage_switch(ctx, *, contract_id, sequence, contents) -> bool   # once per (pet, new stage)
    pet_stage(ctx, pet_id) -> PetStage                  # today's stage, the next switch, the override
    get_override(ctx, pet_id) -> PetOverride | None
    set_override(ctx, pet_id, *, reason, plan_id=None, lines=()) -> PetOverride     # audited
    clear_override(ctx, pet_id, *, reason) -> bool                                   # audited
    list_switches(ctx, *, pet_id=None, contract_id=None) -> list[StageSwitch]

The rules (DOMAIN §2: birthday-driven, no action by the customer):

* The pet's stage on a day comes from its birthday and the store's stage boundaries
  (``rules.stage_for_age``; a month is complete on the same day of the month, or on the month's
  last day when it is shorter).
* The contract's plan ships the version the contract pinned. When the pet's stage is later than the
  plan's, the plan's next-stage chain is followed (``rules.chain_index``: never to a plan for a stage
  the pet has not reached) and the next plan ships **its latest version on the ship day** (the
  store's current offer for that stage; the contract pinned only its own plan). The first hop is
  the pinned version's next-stage plan, else the plan's current one (a store that adds a next stage
  later moves its running contracts too). **The money never changes**: the contract's amount and
  schedule stay as signed; only the contents change.
* A period in a chained plan ships that plan's period overrides counted from the first period in it
  (the adult plan's "period 1" is the first adult period); past its last period, the every-period
  contents.
* A store override for the pet wins, with its reason: another plan (its own chain then applies, e.g.
  a hypoallergenic kitten plan moving on to a hypoallergenic adult plan) or explicit lines (shipped as
  they are; no automatic switch while they are in place).
* ``switched_from_stage`` is set on the first period whose contents' stage differs from the
  period before (earlier periods are judged on their due dates, this one on ``ship_on``; period 1
  against the starting plan), unless that switch was already noted for another period.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pawpay.platform.audit.services import record
from pawpay.platform.clock import utcnow
from pawpay.platform.errors import NotFound, ValidationFailed
from pawpay.platform.tenancy.context import TenantContext
from pawpay.platform.tenancy.scope import after_commit, tenant_scope
from pawpay.platform.tenancy.services import get_own_tenant
from pawpay.tenants.contracts import services as contracts
from pawpay.tenants.customers import services as customers
from pawpay.tenants.plans import rules, services
from pawpay.tenants.plans.errors import OverrideInvalid
from pawpay.tenants.plans.services import ContentInput, ContentLine, PlanView
from pawpay.tenants.plans.tables import PetPlanOverride, PlanStageSwitch

SMS_TEMPLATE = "SMS_STAGE_SWITCH"
MINI_PROGRAM_TEMPLATE = "stage_switch"
MAX_REASON = 500
STAGE_NAMES_ZH = {"kitten": "幼猫期", "puppy": "幼犬期", "junior": "青年期", "adult": "成年期"}


@dataclass(frozen=True, slots=True)
class PeriodContents:
    plan_id: uuid.UUID  # the plan whose contents ship (the contract's, its next-stage plan, or the override's)
    plan_version: int
    stage: str  # the pet's stage on the ship day
    lines: tuple[ContentLine, ...]
    switched_from_stage: str | None  # set on the first period in a new stage
    override_reason: str | None  # set when a store override for the pet decided the contents


@dataclass(frozen=True, slots=True)
class PetOverride:
    pet_id: uuid.UUID
    plan_id: uuid.UUID | None
    plan_name: str
    lines: tuple[ContentLine, ...]
    reason: str
    set_by: str
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class StageSwitch:
    id: uuid.UUID
    pet_id: uuid.UUID
    contract_id: uuid.UUID
    sequence: int
    from_stage: str
    to_stage: str
    plan_id: uuid.UUID
    plan_version: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class PetStage:
    """Where a pet is today: its stage, the next stage and the day it starts, and the override."""

    pet_id: uuid.UUID
    species: str
    birthday: date
    today: date
    stage: str
    next_stage: str | None
    next_stage_on: date | None
    override: PetOverride | None
    switches: tuple[StageSwitch, ...]


# --- the chain ------------------------------------------------------------------------------------

async def _chain(ctx: TenantContext, start: PlanView, *, first_hop: uuid.UUID | None) -> list[PlanView]:
    """``start`` and the plans its next-stage links lead to (latest versions), cycle-safe."""
    chain = [start]
    seen = {start.id}
    nxt = start.next_stage_plan_id or first_hop
    while nxt is not None and nxt not in seen and len(chain) < len(rules.ALL_STAGES):
        seen.add(nxt)
        try:
            view = await services.get_plan(ctx, nxt)
        except NotFound:
            break
        if view.species != start.species:
            break
        chain.append(view)
        nxt = view.next_stage_plan_id
    return chain


def _stage_on(species: str, birthday: date, day: date, boundaries: rules.StageBoundaries) -> str:
    # A date before the birthday (a birthday corrected after signing) counts as the youngest stage.
    return rules.stage_for_age(species, birthday, max(day, birthday), boundaries)


def _period_in_plan(index: int, sequence: int, indexes: dict[int, int]) -> int:
    """The period number within the chain's plan ``index``: the contract's own for the starting
    plan, else counted from the first period that shipped that plan."""
    if index == 0:
        return sequence
    first = min(s for s, i in indexes.items() if i == index)
    return sequence - first + 1


def _lines_for(plan: PlanView, period: int) -> tuple[ContentLine, ...]:
    return plan.period_overrides.get(period, plan.contents) if 1 <= period <= plan.periods else plan.contents


# --- period contents ------------------------------------------------------------------------------

async def period_contents(ctx: TenantContext, *, contract_id: uuid.UUID, sequence: int, ship_on: date
                          ) -> PeriodContents:
    """What period ``sequence`` of the contract ships on ``ship_on`` (store-local date). Reads only.

    Raises:
        NotFound: no such contract in this store.
        ValidationFailed: ``sequence`` outside the contract's periods (``field="sequence"``).
    """
    contract = await contracts.get_contract(ctx, contract_id)
    if not isinstance(sequence, int) or not 1 <= sequence <= contract.periods:
        raise ValidationFailed(f"the period is 1 to {contract.periods}", field="sequence")
    pet = await customers.get_pet(ctx, contract.pet_id)
    boundaries = await services.get_stage_boundaries(ctx)
    schedule = await contracts.installments(ctx, contract_id)
    override = await get_override(ctx, pet.id)

    pinned = await services.get_plan_version(ctx, contract.plan_id, contract.plan_version)
    first_hop = None
    if pinned.next_stage_plan_id is None:
        first_hop = (await services.get_plan(ctx, contract.plan_id)).next_stage_plan_id
    base_chain = await _chain(ctx, pinned, first_hop=first_hop)
    species = pinned.species
    days = {i.sequence: i.due_on for i in schedule if i.sequence < sequence}
    days[sequence] = ship_on
    pet_stages = {s: _stage_on(species, pet.birthday, d, boundaries) for s, d in days.items()}
    pet_stage = pet_stages[sequence]

    if override is not None and override.plan_id is None:
        # Explicit lines: shipped as they are; the plan named is the one the pet would have had.
        stages = [p.stage for p in base_chain]
        plan = base_chain[rules.chain_index(species, stages, pet_stage)]
        return PeriodContents(plan.id, plan.version, pet_stage, override.lines, None, override.reason)

    chain = base_chain
    if override is not None and override.plan_id is not None:
        chain = await _chain(ctx, await services.get_plan(ctx, override.plan_id), first_hop=None)
    stages = [p.stage for p in chain]
    indexes = {s: rules.chain_index(species, stages, st) for s, st in pet_stages.items()}
    index = indexes[sequence]
    plan = chain[index]
    lines = _lines_for(plan, _period_in_plan(index, sequence, indexes))

    previous = indexes.get(sequence - 1, 0) if sequence > 1 else 0
    switched_from = chain[previous].stage if chain[previous].stage != plan.stage else None
    if switched_from is not None:
        noted = await _noted_switch(ctx, pet.id, plan.stage)
        if noted is not None and (noted.contract_id, noted.sequence) != (contract_id, sequence):
            switched_from = None  # an earlier period (or contract) already made this switch
    return PeriodContents(plan.id, plan.version, pet_stage, lines, switched_from,
                          override.reason if override is not None else None)


# --- noting a switch ------------------------------------------------------------------------------

_SWITCH_COLUMNS = (PlanStageSwitch.id, PlanStageSwitch.pet_id, PlanStageSwitch.contract_id, PlanStageSwitch.sequence,
                   PlanStageSwitch.from_stage, PlanStageSwitch.to_stage, PlanStageSwitch.plan_id,
                   PlanStageSwitch.plan_version, PlanStageSwitch.created_at)


async def _noted_switch(ctx: TenantContext, pet_id: uuid.UUID, to_stage: str) -> StageSwitch | None:
    async with tenant_scope(ctx):
        row = await PlanStageSwitch.select(*_SWITCH_COLUMNS).where(
            (PlanStageSwitch.tenant_id == ctx.tenant_id) & (PlanStageSwitch.pet_id == pet_id)
            & (PlanStageSwitch.to_stage == to_stage)).first()
    return StageSwitch(**row) if row else None


def switch_message_text(store_name: str, pet_name: str, to_stage: str, plan_name: str, sequence: int,
                        lines: Sequence[ContentLine]) -> str:
    stage = STAGE_NAMES_ZH.get(to_stage, to_stage)
    items = "；".join(f"{x.name} ×{x.quantity}{x.unit}" for x in lines)
    return (f"【{store_name}】{pet_name}已进入{stage}，从第{sequence}期起每月寄送「{plan_name}」的内容：{items}。"
            f"月付金额不变，无需您操作。如需调整请联系门店。")


async def note_stage_switch(ctx: TenantContext, *, contract_id: uuid.UUID, sequence: int,
                            contents: PeriodContents) -> bool:
    """Record the pet's move to ``contents``' stage and message the customer (zh-CN, SMS +
    mini-program) after the transaction commits. Idempotent per (pet, new stage): ``False`` when
    already noted (or when ``contents`` is not a switch)."""
    if contents.switched_from_stage is None:
        return False
    contract = await contracts.get_contract(ctx, contract_id)
    plan = await services.get_plan_version(ctx, contents.plan_id, contents.plan_version)
    pet = await customers.get_pet(ctx, contract.pet_id)
    to_stage = plan.stage
    if to_stage == contents.switched_from_stage:
        return False
    async with tenant_scope(ctx):
        rows = await PlanStageSwitch.raw(
            "INSERT INTO plan_stage_switch (id, tenant_id, pet_id, contract_id, sequence, from_stage, to_stage, "
            "plan_id, plan_version, created_at) VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}) "
            "ON CONFLICT ON CONSTRAINT plan_stage_switch_uq_tenant_pet_stage DO NOTHING RETURNING id",
            uuid.uuid4(), ctx.tenant_id, pet.id, contract_id, sequence, contents.switched_from_stage, to_stage,
            plan.id, plan.version, utcnow())
        if not rows:
            return False
        await record(ctx, "plans.stage_switched", target_type="contract", target_id=str(contract_id),
                     before={"stage": contents.switched_from_stage},
                     after={"stage": to_stage, "pet_id": str(pet.id), "sequence": sequence,
                            "plan_id": str(plan.id), "plan_version": plan.version,
                            "override_reason": contents.override_reason})
        store = await get_own_tenant(ctx)
        body = switch_message_text(store.name, pet.name, to_stage, plan.name, sequence, contents.lines)
        params = {"pet": pet.name, "stage": STAGE_NAMES_ZH.get(to_stage, to_stage), "plan": plan.name,
                  "sequence": str(sequence), "contract_no": contract.contract_no}

        async def send() -> None:
            # The key is the switch itself: a retried shipment never messages twice at the provider.
            await customers.send_message(ctx, contract.customer_id, key=f"stage-switch-{pet.id}-{to_stage}",
                                         sms_template=SMS_TEMPLATE, mp_template=MINI_PROGRAM_TEMPLATE, body=body,
                                         params=params, page=f"pages/contracts/detail?no={contract.contract_no}",
                                         contract_id=contract_id)

        after_commit(send)
    return True


async def list_switches(ctx: TenantContext, *, pet_id: uuid.UUID | None = None,
                        contract_id: uuid.UUID | None = None) -> list[StageSwitch]:
    where: Any = PlanStageSwitch.tenant_id == ctx.tenant_id
    if pet_id is not None:
        where &= PlanStageSwitch.pet_id == pet_id
    if contract_id is not None:
        where &= PlanStageSwitch.contract_id == contract_id
    async with tenant_scope(ctx):
        rows = await PlanStageSwitch.select(*_SWITCH_COLUMNS).where(where).order_by(
            PlanStageSwitch.created_at).limit(200)
    return [StageSwitch(**r) for r in rows]


# --- overrides ------------------------------------------------------------------------------------

async def _override_view(ctx: TenantContext, row: dict[str, Any]) -> PetOverride:
    plan_name = ""
    if row["plan_id"] is not None:
        plan_name = (await services.get_plan(ctx, row["plan_id"])).name
    return PetOverride(pet_id=row["pet_id"], plan_id=row["plan_id"], plan_name=plan_name,
                       lines=services.lines_from_snapshot(row["lines"]), reason=row["reason"], set_by=row["set_by"],
                       updated_at=row["updated_at"])


async def get_override(ctx: TenantContext, pet_id: uuid.UUID) -> PetOverride | None:
    async with tenant_scope(ctx):
        row = await PetPlanOverride.select().where(
            (PetPlanOverride.tenant_id == ctx.tenant_id) & (PetPlanOverride.pet_id == pet_id)).first()
        return await _override_view(ctx, row) if row else None


def _check_reason(reason: str) -> str:
    text = " ".join((reason or "").split())
    if not text:
        raise ValidationFailed("give a reason", field="reason")
    if len(text) > MAX_REASON:
        raise ValidationFailed(f"the reason is at most {MAX_REASON} characters", field="reason")
    return text


def _audit_override(view: PetOverride | None) -> dict[str, Any] | None:
    if view is None:
        return None
    return {"plan_id": str(view.plan_id) if view.plan_id else None, "reason": view.reason,
            "lines": [{"code": x.code, "name": x.name, "quantity": x.quantity} for x in view.lines]}


async def set_override(ctx: TenantContext, pet_id: uuid.UUID, *, reason: str, plan_id: uuid.UUID | None = None,
                       lines: Sequence[ContentInput] = ()) -> PetOverride:
    """Decide what this pet's periods ship from now on: another plan of the pet's species, or explicit
    lines (exactly one of the two), with a reason. Replaces an earlier override; audited.

    Raises:
        NotFound: no such pet (or plan, or catalog item) in this store.
        ValidationFailed: no reason; bad lines (``field="lines"``).
        OverrideInvalid: both or neither of plan and lines; a plan of another species.
    """
    text = _check_reason(reason)
    pet = await customers.get_pet(ctx, pet_id)
    if (plan_id is None) == (not lines):
        raise OverrideInvalid("choose either a plan or explicit lines")
    snapshot: list[dict[str, Any]] = []
    if plan_id is not None:
        plan = await services.get_plan(ctx, plan_id)
        if plan.species != pet.species:
            raise OverrideInvalid("the plan is for another species", field="plan_id", species=plan.species)
    else:
        snapshot = await services.snapshot_lines(ctx, lines, "lines")
    set_by = (ctx.actor_label or (str(ctx.actor_id) if ctx.actor_id else ""))[:255]
    now = utcnow()
    async with tenant_scope(ctx):
        before = await get_override(ctx, pet_id)
        await PetPlanOverride.raw(
            "INSERT INTO pet_plan_override (id, tenant_id, pet_id, plan_id, lines, reason, set_by, created_at, "
            "updated_at) VALUES ({}, {}, {}, {}, {}::jsonb, {}, {}, {}, {}) "
            "ON CONFLICT ON CONSTRAINT pet_plan_override_uq_tenant_pet DO UPDATE SET plan_id = EXCLUDED.plan_id, "
            "lines = EXCLUDED.lines, reason = EXCLUDED.reason, set_by = EXCLUDED.set_by, "
            "updated_at = EXCLUDED.updated_at",
            uuid.uuid4(), ctx.tenant_id, pet_id, plan_id, json.dumps(snapshot, ensure_ascii=False), text, set_by,
            now, now)
        view = await get_override(ctx, pet_id)
        assert view is not None
        await record(ctx, "plans.pet_override_set", target_type="customer", target_id=str(pet.customer_id),
                     before=_audit_override(before), after={"pet_id": str(pet_id), **(_audit_override(view) or {})})
    return view


async def clear_override(ctx: TenantContext, pet_id: uuid.UUID, *, reason: str) -> bool:
    """Back to the birthday-driven contents; audited. ``False`` when there was no override."""
    text = _check_reason(reason)
    pet = await customers.get_pet(ctx, pet_id)
    async with tenant_scope(ctx):
        before = await get_override(ctx, pet_id)
        if before is None:
            return False
        await PetPlanOverride.delete().where(
            (PetPlanOverride.tenant_id == ctx.tenant_id) & (PetPlanOverride.pet_id == pet_id))
        await record(ctx, "plans.pet_override_cleared", target_type="customer", target_id=str(pet.customer_id),
                     before={"pet_id": str(pet_id), **(_audit_override(before) or {})},
                     after={"pet_id": str(pet_id), "cleared_because": text})
    return True


# --- a pet's stage today --------------------------------------------------------------------------

async def pet_stage(ctx: TenantContext, pet_id: uuid.UUID) -> PetStage:
    pet = await customers.get_pet(ctx, pet_id)
    boundaries = await services.get_stage_boundaries(ctx)
    today = await customers.store_today(ctx)
    stage = _stage_on(pet.species, pet.birthday, today, boundaries)
    upcoming = rules.next_stage_change(pet.species, pet.birthday, today, boundaries)
    return PetStage(pet_id=pet.id, species=pet.species, birthday=pet.birthday, today=today, stage=stage,
                    next_stage=upcoming[0] if upcoming else None, next_stage_on=upcoming[1] if upcoming else None,
                    override=await get_override(ctx, pet_id), switches=tuple(await list_switches(ctx, pet_id=pet_id)))
