"""Plans (月付套餐): versioned, checked against the operator's policy and the store's payment rails.

Public API (contracts, signing and pages call these)::

    list_plans(ctx, *, species=None, stage=None, active_only=True) -> list[PlanView]
    get_plan(ctx, plan_id) -> PlanView                       # the current version
    get_plan_version(ctx, plan_id, version) -> PlanView      # what a contract pinned
    list_plan_versions(ctx, plan_id) -> list[PlanView]       # newest first
    plan_for_pet(ctx, plan_id, *, birthday, on_date) -> PlanView   # follows next_stage_plan
    create_plan(ctx, PlanInput, *, confirm_amount_warning=False) -> PlanView
    update_plan(ctx, plan_id, PlanInput, *, confirm_amount_warning=False, expected_version=None) -> PlanView
    set_plan_active(ctx, plan_id, active) -> PlanView
    check_plan_amount(ctx, monthly_amount_fen) -> AmountCheck   # raises AmountExceedsRailLimit
    get_stage_boundaries(ctx) -> StageBoundaries;  set_stage_boundaries(ctx, junior_from_months, adult_from_months)
    rules.stage_for_age(species, birthday, on_date, boundaries) -> str
    signing_start_path(store_slug, plan_id) -> "/sign/{store_slug}/start?plan={plan_id}"

Every save that changes a plan writes a new immutable ``plan_version`` (the database refuses
UPDATE/DELETE on it); a contract pins ``(plan_id, version)``, so a change never alters a signed
contract. Saving identical terms again writes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from pawpay.platform.audit.services import record
from pawpay.platform.clock import utcnow
from pawpay.platform.db.jsonb import from_jsonb
from pawpay.platform.errors import NotFound, ValidationFailed
from pawpay.platform.merchants import services as merchants
from pawpay.platform.money import yuan
from pawpay.platform.providers import services as providers
from pawpay.platform.tenancy.context import TenantContext
from pawpay.platform.tenancy.scope import tenant_scope
from pawpay.tenants.catalog import services as catalog
from pawpay.tenants.plans import rules
from pawpay.tenants.plans.errors import (
    AmountExceedsRailLimit,
    AmountNeedsConfirmation,
    NextStageInvalid,
    VersionConflict,
)
from pawpay.tenants.plans.rules import StageBoundaries
from pawpay.tenants.plans.tables import Plan, PlanSettings, PlanVersion

MAX_LINES = 50
MAX_QUANTITY = 999
MAX_PLANS = 500
ITEM_TYPES = ("sku", "service")


# --- inputs and views ---------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ContentInput:
    item_type: str  # sku | service
    item_id: uuid.UUID
    quantity: int = 1


@dataclass(frozen=True, slots=True)
class PlanInput:
    name: str
    species: str
    stage: str
    periods: int
    monthly_amount_fen: int
    breed: str = ""
    description: str = ""
    contents: Sequence[ContentInput] = ()  # every period
    period_overrides: Mapping[int, Sequence[ContentInput]] = field(default_factory=dict)  # period (1-based) -> lines
    gift_text: str = ""
    gift_value_fen: int = 0
    debit_days: Sequence[int] = (5, 10, 15)
    penalty_rate_bp: int = rules.DEFAULT_PENALTY_RATE_BP
    cooling_off_days: int | None = None  # None: the store's terms' minimum
    next_stage_plan_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class ContentLine:
    item_type: str
    item_id: uuid.UUID
    code: str
    name: str
    kind: str
    unit: str
    quantity: int


@dataclass(frozen=True, slots=True)
class PlanView:
    """One version of a plan. ``total_fen`` = periods × monthly amount; the penalty rule is
    ``penalty_rate_bp`` of the remaining periods' total, rounded half up to the fen (rules.py)."""

    id: uuid.UUID
    version: int
    current_version: int
    active: bool
    name: str
    description: str
    species: str
    breed: str
    stage: str
    periods: int
    monthly_amount_fen: int
    total_fen: int
    contents: tuple[ContentLine, ...]
    period_overrides: dict[int, tuple[ContentLine, ...]]
    gift_text: str
    gift_value_fen: int
    debit_days: tuple[int, ...]
    penalty_rate_bp: int
    penalty_rule: str
    cooling_off_days: int
    next_stage_plan_id: uuid.UUID | None
    amount_warning_confirmed: bool
    created_at: datetime
    created_by: str

    def contents_for_period(self, period: int) -> tuple[ContentLine, ...]:
        """What period ``period`` (1-based) ships: its override, else the every-period contents."""
        if not 1 <= period <= self.periods:
            raise ValueError(f"period {period} is outside 1..{self.periods}")
        return self.period_overrides.get(period, self.contents)

    def penalty_fen(self, remaining_periods: int) -> int:
        return rules.penalty_fen(remaining_periods, self.monthly_amount_fen, self.penalty_rate_bp)


@dataclass(frozen=True, slots=True)
class AmountCheck:
    """What saving a monthly amount meets: the policy warning (``warn``) and the rail's caps."""

    amount_fen: int
    warn: bool
    warn_min_fen: int
    warn_max_fen: int
    provider: str
    per_debit_max_fen: int | None
    daily_max_fen: int | None


def signing_start_path(store_slug: str, plan_id: uuid.UUID) -> str:
    """Where a customer starts signing this plan (the QR poster points here; the URL scheme is fixed)."""
    return f"/sign/{store_slug}/start?plan={plan_id}"


# --- settings and checks ------------------------------------------------------------------------

async def get_stage_boundaries(ctx: TenantContext) -> StageBoundaries:
    async with tenant_scope(ctx):
        row = await PlanSettings.select().where(PlanSettings.tenant_id == ctx.tenant_id).first()
    if row is None:
        return StageBoundaries()
    return StageBoundaries(row["junior_from_months"], row["adult_from_months"])


async def set_stage_boundaries(ctx: TenantContext, junior_from_months: int, adult_from_months: int
                               ) -> StageBoundaries:
    rules.check_boundaries(junior_from_months, adult_from_months)
    before = await get_stage_boundaries(ctx)
    async with tenant_scope(ctx):
        await PlanSettings.raw(
            "INSERT INTO plan_settings (id, tenant_id, junior_from_months, adult_from_months, updated_at) "
            "VALUES ({}, {}, {}, {}, {}) ON CONFLICT ON CONSTRAINT plan_settings_uq_tenant DO UPDATE SET "
            "junior_from_months = EXCLUDED.junior_from_months, adult_from_months = EXCLUDED.adult_from_months, "
            "updated_at = EXCLUDED.updated_at",
            uuid.uuid4(), ctx.tenant_id, junior_from_months, adult_from_months, utcnow(),
        )
        await record(ctx, "plans.stage_boundaries_set", target_type="plan_settings", target_id=str(ctx.tenant_id),
                     before={"junior_from_months": before.junior_from_months,
                             "adult_from_months": before.adult_from_months},
                     after={"junior_from_months": junior_from_months, "adult_from_months": adult_from_months})
    return StageBoundaries(junior_from_months, adult_from_months)


async def amount_bounds(ctx: TenantContext) -> tuple[int, int]:
    """The operator's warning bounds for a monthly amount (the store's merchant terms)."""
    terms = await merchants.current_terms(ctx)
    low = getattr(terms, "plan_amount_warn_min_fen", None)
    high = getattr(terms, "plan_amount_warn_max_fen", None)
    return (rules.DEFAULT_WARN_MIN_FEN if low is None else int(low),
            rules.DEFAULT_WARN_MAX_FEN if high is None else int(high))


def rail_limit_message_zh(provider: str, cap: str, cap_fen: int) -> str:
    cap_yuan = yuan(cap_fen, grouping=True)
    which = "单笔扣款上限" if cap == "per_debit" else "单日扣款上限"
    return f"月付金额超出本店支付通道（{provider}）的{which} ¥{cap_yuan}，无法保存"


async def check_plan_amount(ctx: TenantContext, monthly_amount_fen: int) -> AmountCheck:
    """Check a monthly amount against the store's payment rails (refused: :class:`AmountExceedsRailLimit`)
    and the operator's policy bounds (``warn`` in the answer; nothing raised)."""
    rules.check_amount(monthly_amount_fen)
    provider, pctx = await providers.guarded_provider_for(ctx, "payments")
    limits = provider.rail_limits(pctx)
    name = str(getattr(provider, "provider_name", "") or "")
    for cap, cap_fen in (("per_debit", limits.per_debit_max_fen), ("daily", limits.daily_max_fen)):
        if cap_fen is not None and rules.exceeds_cap(monthly_amount_fen, cap_fen):
            raise AmountExceedsRailLimit(
                f"the monthly amount is above the payment provider's {cap.replace('_', '-')} cap",
                cap=cap, cap_fen=int(cap_fen), provider=name, amount_fen=monthly_amount_fen,
                message_zh_cn=rail_limit_message_zh(name, cap, int(cap_fen)))
    low, high = await amount_bounds(ctx)
    return AmountCheck(monthly_amount_fen, rules.amount_outside_bounds(monthly_amount_fen, low, high), low, high,
                       name, limits.per_debit_max_fen, limits.daily_max_fen)


# --- reading ------------------------------------------------------------------------------------

def _lines(raw: Any) -> tuple[ContentLine, ...]:
    return tuple(ContentLine(item_type=x["item_type"], item_id=uuid.UUID(x["item_id"]), code=x["code"],
                             name=x["name"], kind=x["kind"], unit=x.get("unit", ""), quantity=int(x["quantity"]))
                 for x in raw or [])


def _view(plan: dict[str, Any], v: dict[str, Any]) -> PlanView:
    contents = from_jsonb(v["contents"]) or {}
    return PlanView(
        id=plan["id"], version=v["version"], current_version=plan["current_version"], active=plan["active"],
        name=v["name"], description=v["description"], species=v["species"], breed=v["breed"], stage=v["stage"],
        periods=v["periods"], monthly_amount_fen=int(v["monthly_amount_fen"]),
        total_fen=rules.total_fen(v["periods"], int(v["monthly_amount_fen"])),
        contents=_lines(contents.get("each_period")),
        period_overrides={int(k): _lines(lines) for k, lines in sorted((contents.get("overrides") or {}).items(),
                                                                         key=lambda kv: int(kv[0]))},
        gift_text=v["gift_text"], gift_value_fen=int(v["gift_value_fen"]),
        debit_days=tuple(from_jsonb(v["debit_days"]) or ()), penalty_rate_bp=v["penalty_rate_bp"],
        penalty_rule=rules.describe_penalty(v["penalty_rate_bp"]), cooling_off_days=v["cooling_off_days"],
        next_stage_plan_id=v["next_stage_plan_id"], amount_warning_confirmed=v["amount_warning_confirmed"],
        created_at=v["created_at"], created_by=v["created_by"],
    )


async def _plan_row(ctx: TenantContext, plan_id: uuid.UUID, *, lock: bool = False) -> dict[str, Any]:
    query = Plan.select().where((Plan.id == plan_id) & (Plan.tenant_id == ctx.tenant_id))
    if lock:
        query = query.lock_rows()
    row = await query.first()
    if row is None:
        raise NotFound("no such plan")  # the same for another store's plan
    return row


async def _version_row(ctx: TenantContext, plan_id: uuid.UUID, version: int) -> dict[str, Any]:
    row = await PlanVersion.select().where(
        (PlanVersion.tenant_id == ctx.tenant_id) & (PlanVersion.plan_id == plan_id) & (PlanVersion.version == version)
    ).first()
    if row is None:
        raise NotFound("no such plan version", version=version)
    return row


async def get_plan(ctx: TenantContext, plan_id: uuid.UUID) -> PlanView:
    """The plan's current version."""
    async with tenant_scope(ctx):
        plan = await _plan_row(ctx, plan_id)
        return _view(plan, await _version_row(ctx, plan_id, plan["current_version"]))


async def get_plan_version(ctx: TenantContext, plan_id: uuid.UUID, version: int) -> PlanView:
    """One (immutable) version of the plan: what a contract that pinned it signed."""
    async with tenant_scope(ctx):
        plan = await _plan_row(ctx, plan_id)
        return _view(plan, await _version_row(ctx, plan_id, version))


async def list_plan_versions(ctx: TenantContext, plan_id: uuid.UUID) -> list[PlanView]:
    """Every version of the plan, newest first."""
    async with tenant_scope(ctx):
        plan = await _plan_row(ctx, plan_id)
        rows = await PlanVersion.select().where(
            (PlanVersion.tenant_id == ctx.tenant_id) & (PlanVersion.plan_id == plan_id)
        ).order_by(PlanVersion.version, ascending=False)
    return [_view(plan, r) for r in rows]


async def list_plans(ctx: TenantContext, *, species: str | None = None, stage: str | None = None,
                     active_only: bool = True) -> list[PlanView]:
    """The store's plans (current versions), by species, stage, then name."""
    where: Any = Plan.tenant_id == ctx.tenant_id
    if species:
        where &= Plan.species == rules.check_species(species)
    if stage:
        if stage not in rules.ALL_STAGES:
            raise ValidationFailed("no such stage", field="stage")
        where &= Plan.stage == stage
    if active_only:
        where &= Plan.active == True  # noqa: E712 (piccolo builds SQL from ==)
    async with tenant_scope(ctx):
        plans = await Plan.select().where(where).order_by(Plan.species).order_by(Plan.name).limit(MAX_PLANS)
        if not plans:
            return []
        versions = await PlanVersion.raw(
            "SELECT v.* FROM plan_version v JOIN plan p ON p.id = v.plan_id AND p.current_version = v.version "
            "WHERE v.tenant_id = {} AND v.plan_id = ANY({})",
            ctx.tenant_id, [p["id"] for p in plans],
        )
    by_plan = {v["plan_id"]: v for v in versions}
    views = [_view(p, by_plan[p["id"]]) for p in plans if p["id"] in by_plan]
    order = {s: i for i, s in enumerate(rules.ALL_STAGES)}
    return sorted(views, key=lambda v: (v.species, order[v.stage], v.name, v.breed))


async def plan_for_pet(ctx: TenantContext, plan_id: uuid.UUID, *, birthday: date, on_date: date) -> PlanView:
    """The plan a pet on ``plan_id`` gets on ``on_date``: follows ``next_stage_plan`` while the next
    plan's stage is one the pet (from its birthday and the store's boundaries) has reached — the
    rule of ``rules.chain_index``, the same one shipments follow (``stages.period_contents``)."""
    boundaries = await get_stage_boundaries(ctx)
    view = await get_plan(ctx, plan_id)
    pet_stage = rules.stage_for_age(view.species, birthday, on_date, boundaries)
    target = rules.stage_rank(view.species, pet_stage)
    seen = {view.id}
    while view.next_stage_plan_id is not None and view.next_stage_plan_id not in seen:
        # (a cycle cannot be saved; the ``seen`` guard stops rather than loops if one ever exists)
        nxt = await get_plan(ctx, view.next_stage_plan_id)
        if nxt.species != view.species or rules.stage_rank(view.species, nxt.stage) > target:
            break
        seen.add(nxt.id)
        view = nxt
    return view


# --- writing ------------------------------------------------------------------------------------

def _clean_lines(lines: Sequence[ContentInput], field_name: str) -> list[ContentInput]:
    if len(lines) > MAX_LINES:
        raise ValidationFailed(f"at most {MAX_LINES} lines per period", field=field_name)
    merged: dict[tuple[str, uuid.UUID], int] = {}
    for line in lines:
        if line.item_type not in ITEM_TYPES:
            raise ValidationFailed("a line is a SKU or a service", field=field_name)
        quantity = line.quantity
        if not isinstance(quantity, int) or isinstance(quantity, bool) or not 1 <= quantity <= MAX_QUANTITY:
            raise ValidationFailed(f"quantities are whole numbers from 1 to {MAX_QUANTITY}", field=field_name)
        key = (line.item_type, line.item_id)
        merged[key] = merged.get(key, 0) + line.quantity
    return [ContentInput(t, i, q) for (t, i), q in merged.items()]


async def _prepare(ctx: TenantContext, data: PlanInput, plan_id: uuid.UUID | None) -> dict[str, Any]:
    """Validate ``data`` into a version's columns (everything but the write)."""
    name = (data.name or "").strip()
    if not name or len(name) > 200:
        raise ValidationFailed("a plan needs a name of at most 200 characters", field="name")
    species = rules.check_species(data.species)
    stage = rules.check_stage(species, data.stage)
    breed = (data.breed or "").strip()
    if len(breed) > 100:
        raise ValidationFailed("the breed is at most 100 characters", field="breed")
    periods = rules.check_periods(data.periods)
    amount = rules.check_amount(data.monthly_amount_fen)
    gift_text = (data.gift_text or "").strip()
    if len(gift_text) > 200:
        raise ValidationFailed("the gift is at most 200 characters", field="gift_text")
    gift_value = rules.check_amount(data.gift_value_fen, "gift_value_fen", allow_zero=True)
    debit_days = rules.check_debit_days(data.debit_days)
    penalty = rules.check_penalty_rate(data.penalty_rate_bp)
    description = (data.description or "").strip()
    if len(description) > 2000:
        raise ValidationFailed("the description is at most 2000 characters", field="description")

    terms = await merchants.current_terms(ctx)
    low_days, high_days = terms.cooling_off_days_min, terms.cooling_off_days_max
    cooling = low_days if data.cooling_off_days is None else data.cooling_off_days
    if not isinstance(cooling, int) or isinstance(cooling, bool) or not low_days <= cooling <= high_days:
        raise ValidationFailed(f"the cooling-off period is {low_days} to {high_days} days (the store's terms)",
                               field="cooling_off_days", min_days=low_days, max_days=high_days)

    contents, item_ids = await _prepare_contents(ctx, data, periods)
    await _check_next_stage(ctx, data.next_stage_plan_id, plan_id, species, stage)
    return {
        "name": name, "description": description, "species": species, "breed": breed, "stage": stage,
        "periods": periods, "monthly_amount_fen": amount, "contents": contents,
        "gift_text": gift_text, "gift_value_fen": gift_value, "debit_days": debit_days,
        "penalty_rate_bp": penalty, "cooling_off_days": cooling, "next_stage_plan_id": data.next_stage_plan_id,
        "_item_ids": item_ids,
    }


async def _prepare_contents(ctx: TenantContext, data: PlanInput, periods: int
                            ) -> tuple[dict[str, Any], tuple[list[uuid.UUID], list[uuid.UUID]]]:
    each = _clean_lines(data.contents, "contents")
    overrides: dict[int, list[ContentInput]] = {}
    for period, lines in sorted(data.period_overrides.items()):
        if not isinstance(period, int) or not 1 <= period <= periods:
            raise ValidationFailed(f"an override names a period from 1 to {periods}", field="period_overrides")
        overrides[period] = _clean_lines(lines, "period_overrides")
    all_lines = [*each, *(line for lines in overrides.values() for line in lines)]
    items = await _resolve_items(ctx, all_lines, "contents")
    contents = {"each_period": _snap(each, items),
                "overrides": {str(k): _snap(v, items) for k, v in overrides.items()}}
    return contents, _item_ids(all_lines)


async def _resolve_items(ctx: TenantContext, lines: Sequence[ContentInput], field_name: str) -> dict[uuid.UUID, Any]:
    items = await catalog.resolve_items(
        ctx, sku_ids=[x.item_id for x in lines if x.item_type == "sku"],
        service_ids=[x.item_id for x in lines if x.item_type == "service"], field=field_name)
    for x in lines:
        if items[x.item_id].item_type != x.item_type:
            raise NotFound("no such catalog item", field=field_name, item_id=str(x.item_id))
    return items


def _snap(lines: Sequence[ContentInput], items: Mapping[uuid.UUID, Any]) -> list[dict[str, Any]]:
    """Lines as stored: each snapshots the catalog item (code, name, kind, unit) it names."""
    return [{"item_type": x.item_type, "item_id": str(x.item_id), "code": items[x.item_id].code,
             "name": items[x.item_id].name, "kind": items[x.item_id].kind, "unit": items[x.item_id].unit,
             "quantity": x.quantity} for x in lines]


def _item_ids(lines: Sequence[ContentInput]) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
    return ([x.item_id for x in lines if x.item_type == "sku"], [x.item_id for x in lines if x.item_type == "service"])


async def snapshot_lines(ctx: TenantContext, lines: Sequence[ContentInput], field_name: str = "lines"
                         ) -> list[dict[str, Any]]:
    """Check content lines (merged per item, quantities 1..999, items of this store's catalog) and
    snapshot them as a plan version stores them; marks the items used. For the stages' pet overrides."""
    clean = _clean_lines(lines, field_name)
    if not clean:
        raise ValidationFailed("at least one line", field=field_name)
    items = await _resolve_items(ctx, clean, field_name)
    skus, services = _item_ids(clean)
    await catalog.mark_used(ctx, sku_ids=skus, service_ids=services)
    return _snap(clean, items)


def lines_from_snapshot(raw: Any) -> tuple[ContentLine, ...]:
    """Stored lines (a plan version's or an override's) as :class:`ContentLine`."""
    return _lines(from_jsonb(raw))


async def _check_next_stage(ctx: TenantContext, next_stage: uuid.UUID | None, plan_id: uuid.UUID | None,
                            species: str, stage: str) -> None:
    if next_stage is not None:
        if next_stage == plan_id:
            raise NextStageInvalid("a plan cannot be its own next stage")
        try:
            nxt = await get_plan(ctx, next_stage)
        except NotFound:
            raise NextStageInvalid("the next-stage plan does not exist in this store") from None
        if nxt.species != species or rules.stage_rank(species, nxt.stage) <= rules.stage_rank(species, stage):
            raise NextStageInvalid("the next-stage plan must be a later stage of the same species",
                                   next_stage=nxt.stage)


async def _check_amount_on_save(ctx: TenantContext, amount: int, confirm: bool) -> bool:
    """Refuse what the rail cannot debit; ask for confirmation outside the policy bounds."""
    check = await check_plan_amount(ctx, amount)
    if check.warn and not confirm:
        raise AmountNeedsConfirmation("the monthly amount is outside the operator's policy bounds; confirm it to save",
                                      warn_min_fen=check.warn_min_fen, warn_max_fen=check.warn_max_fen,
                                      amount_fen=amount)
    return check.warn


_COMPARED = ("name", "description", "species", "breed", "stage", "periods", "monthly_amount_fen", "contents",
             "gift_text", "gift_value_fen", "debit_days", "penalty_rate_bp", "cooling_off_days",
             "next_stage_plan_id")


def _audit(values: dict[str, Any]) -> dict[str, Any]:
    return {k: (str(values[k]) if isinstance(values[k], uuid.UUID) else values[k]) for k in _COMPARED}


async def _insert_version(ctx: TenantContext, plan_id: uuid.UUID, version: int, values: dict[str, Any],
                          warned: bool, now: datetime) -> None:
    created_by = (ctx.actor_label or (str(ctx.actor_id) if ctx.actor_id else ""))[:255]
    await PlanVersion.insert(PlanVersion(
        id=uuid.uuid4(), tenant_id=ctx.tenant_id, plan_id=plan_id, version=version,
        **{k: values[k] for k in _COMPARED}, amount_warning_confirmed=warned, created_at=now, created_by=created_by,
    ))
    skus, services = values["_item_ids"]
    await catalog.mark_used(ctx, sku_ids=skus, service_ids=services)


def _head(values: dict[str, Any]) -> dict[Any, Any]:
    return {Plan.name: values["name"], Plan.species: values["species"], Plan.breed: values["breed"],
            Plan.stage: values["stage"], Plan.monthly_amount_fen: values["monthly_amount_fen"],
            Plan.periods: values["periods"], Plan.next_stage_plan_id: values["next_stage_plan_id"]}


async def create_plan(ctx: TenantContext, data: PlanInput, *, confirm_amount_warning: bool = False) -> PlanView:
    """A new plan at version 1 (active)."""
    values = await _prepare(ctx, data, None)
    warned = await _check_amount_on_save(ctx, values["monthly_amount_fen"], confirm_amount_warning)
    plan_id = uuid.uuid4()
    now = utcnow()
    async with tenant_scope(ctx):
        await Plan.insert(Plan(id=plan_id, tenant_id=ctx.tenant_id, current_version=1, active=True,
                               created_at=now, updated_at=now,
                               **{col._meta.name: v for col, v in _head(values).items()}))
        await _insert_version(ctx, plan_id, 1, values, warned, now)
        await record(ctx, "plans.plan_created", target_type="plan", target_id=str(plan_id),
                     after={**_audit(values), "version": 1, "amount_warning_confirmed": warned})
    return await get_plan(ctx, plan_id)


async def update_plan(ctx: TenantContext, plan_id: uuid.UUID, data: PlanInput, *,
                      confirm_amount_warning: bool = False, expected_version: int | None = None) -> PlanView:
    """Save the plan's terms as a new version (signed contracts keep theirs). ``expected_version``:
    the version the editor showed; another save since then is a :class:`VersionConflict`."""
    current = await get_plan(ctx, plan_id)  # NotFound first, for another store's plan too
    values = await _prepare(ctx, data, plan_id)
    async with tenant_scope(ctx):
        plan = await _plan_row(ctx, plan_id, lock=True)
        if expected_version is not None and plan["current_version"] != expected_version:
            raise VersionConflict("the plan was changed since you opened it; reload and try again",
                                  current_version=plan["current_version"], expected_version=expected_version)
        latest = await _version_row(ctx, plan_id, plan["current_version"])
        stored = {**latest, "contents": from_jsonb(latest["contents"]), "debit_days": from_jsonb(latest["debit_days"])}
        if _audit(stored) == _audit(values):
            return await get_plan(ctx, plan_id)  # nothing changed: no new version
    warned = await _check_amount_on_save(ctx, values["monthly_amount_fen"], confirm_amount_warning)
    now = utcnow()
    async with tenant_scope(ctx):
        plan = await _plan_row(ctx, plan_id, lock=True)
        # Checked again under this transaction's lock: another save may have landed in between.
        if expected_version is not None and plan["current_version"] != expected_version:
            raise VersionConflict("the plan was changed since you opened it; reload and try again",
                                  current_version=plan["current_version"], expected_version=expected_version)
        version = plan["current_version"] + 1
        await _insert_version(ctx, plan_id, version, values, warned, now)
        await Plan.update({**_head(values), Plan.current_version: version, Plan.updated_at: now}).where(
            (Plan.id == plan_id) & (Plan.tenant_id == ctx.tenant_id))
        await record(ctx, "plans.plan_version_created", target_type="plan", target_id=str(plan_id),
                     before={**_audit(_as_values(current)), "version": current.version},
                     after={**_audit(values), "version": version, "amount_warning_confirmed": warned})
    # The version this save made (a concurrent save may already have made the next one current).
    return await get_plan_version(ctx, plan_id, version)


def _as_values(view: PlanView) -> dict[str, Any]:
    def lines(ls: tuple[ContentLine, ...]) -> list[dict[str, Any]]:
        return [{"item_type": x.item_type, "item_id": str(x.item_id), "code": x.code, "name": x.name,
                 "kind": x.kind, "unit": x.unit, "quantity": x.quantity} for x in ls]

    return {
        "name": view.name, "description": view.description, "species": view.species, "breed": view.breed,
        "stage": view.stage, "periods": view.periods, "monthly_amount_fen": view.monthly_amount_fen,
        "contents": {"each_period": lines(view.contents),
                     "overrides": {str(k): lines(v) for k, v in view.period_overrides.items()}},
        "gift_text": view.gift_text, "gift_value_fen": view.gift_value_fen, "debit_days": list(view.debit_days),
        "penalty_rate_bp": view.penalty_rate_bp, "cooling_off_days": view.cooling_off_days,
        "next_stage_plan_id": view.next_stage_plan_id,
    }


def as_input(view: PlanView) -> PlanInput:
    """A version's terms as an input (the editor's starting point)."""
    def lines(ls: tuple[ContentLine, ...]) -> list[ContentInput]:
        return [ContentInput(x.item_type, x.item_id, x.quantity) for x in ls]

    return PlanInput(name=view.name, species=view.species, stage=view.stage, periods=view.periods,
                     monthly_amount_fen=view.monthly_amount_fen, breed=view.breed, description=view.description,
                     contents=lines(view.contents),
                     period_overrides={k: lines(v) for k, v in view.period_overrides.items()},
                     gift_text=view.gift_text, gift_value_fen=view.gift_value_fen, debit_days=view.debit_days,
                     penalty_rate_bp=view.penalty_rate_bp, cooling_off_days=view.cooling_off_days,
                     next_stage_plan_id=view.next_stage_plan_id)


async def set_plan_active(ctx: TenantContext, plan_id: uuid.UUID, active: bool) -> PlanView:
    """Offer the plan to new customers or stop offering it (signed contracts are untouched)."""
    async with tenant_scope(ctx):
        plan = await _plan_row(ctx, plan_id, lock=True)
        if plan["active"] != active:
            await Plan.update({Plan.active: active, Plan.updated_at: utcnow()}).where(
                (Plan.id == plan_id) & (Plan.tenant_id == ctx.tenant_id))
            await record(ctx, "plans.plan_activated" if active else "plans.plan_deactivated", target_type="plan",
                         target_id=str(plan_id), before={"active": plan["active"]}, after={"active": active})
    return await get_plan(ctx, plan_id)
