"""``/api/v1/plans``: a store's plans and their versions. Managers write; sales staff read."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import date

from litestar import Controller, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody

from pawpay.platform.identity.roles import AFTER_SALES, FRONT_DESK, MANAGER
from pawpay.platform.tenancy import services as tenancy
from pawpay.platform.web.deps import TenantCtx
from pawpay.platform.web.schemas import to_schema
from pawpay.tenants.customers import services as customers
from pawpay.tenants.plans import services, stages
from pawpay.tenants.plans.schemas import (
    AmountCheckOut,
    ClearedOut,
    ClearOverrideBody,
    ContentLineOut,
    OverrideBody,
    OverrideOut,
    PeriodContentsOut,
    PetStageOut,
    PlanBody,
    PlanOut,
    StageBoundariesBody,
    StageBoundariesOut,
    StageSwitchOut,
)
from pawpay.tenants.plans.services import ContentInput, PlanInput, PlanView

WRITERS = {"roles": {MANAGER}}
STAGE_READERS = frozenset({MANAGER, FRONT_DESK, AFTER_SALES})
# A diet change for a pet is the manager's or after-sales' call (a pet-health case), not sales'.
OVERRIDE_WRITERS = frozenset({MANAGER, AFTER_SALES})


def plan_input(body: PlanBody) -> PlanInput:
    def lines(items: list[object]) -> list[ContentInput]:
        return [ContentInput(x.item_type, x.item_id, x.quantity) for x in items]  # type: ignore[attr-defined]

    return PlanInput(
        name=body.name, species=body.species, stage=body.stage, periods=body.periods,
        monthly_amount_fen=body.monthly_amount_fen, breed=body.breed, description=body.description,
        contents=lines(list(body.contents)),
        period_overrides={int(k): lines(list(v)) for k, v in body.period_overrides.items()},
        gift_text=body.gift_text, gift_value_fen=body.gift_value_fen, debit_days=list(body.debit_days),
        penalty_rate_bp=body.penalty_rate_bp, cooling_off_days=body.cooling_off_days,
        next_stage_plan_id=body.next_stage_plan_id,
    )


def plan_out(view: PlanView, store_slug: str = "") -> PlanOut:
    def lines(ls: tuple[services.ContentLine, ...]) -> list[ContentLineOut]:
        return [to_schema(x, ContentLineOut) for x in ls]

    data = asdict(view)
    data.update(contents=lines(view.contents),
                period_overrides={str(k): lines(v) for k, v in view.period_overrides.items()},
                debit_days=list(view.debit_days),
                signing_start_path=services.signing_start_path(store_slug, view.id) if store_slug else "")
    return PlanOut(**data)


class PlanController(Controller):
    path = "/api/v1/plans"
    tags = ["plans"]
    opt = {"auth": "tenant", "roles": {MANAGER, FRONT_DESK}}

    @get("/", operation_id="ListPlans")
    async def list_plans(self, ctx: TenantCtx, species: FromQuery[str | None] = None,
                         stage: FromQuery[str | None] = None, active_only: FromQuery[bool] = True) -> list[PlanOut]:
        store = await tenancy.get_own_tenant(ctx)
        return [plan_out(v, store.slug) for v in
                await services.list_plans(ctx, species=species, stage=stage, active_only=active_only)]

    @post("/", operation_id="CreatePlan", opt=WRITERS)
    async def create_plan(self, ctx: TenantCtx, data: JSONBody[PlanBody]) -> PlanOut:
        view = await services.create_plan(ctx, plan_input(data), confirm_amount_warning=data.confirm_amount_warning)
        return plan_out(view, (await tenancy.get_own_tenant(ctx)).slug)

    @get("/stage-boundaries", operation_id="GetPlanStageBoundaries")
    async def get_boundaries(self, ctx: TenantCtx) -> StageBoundariesOut:
        return to_schema(await services.get_stage_boundaries(ctx), StageBoundariesOut)

    @put("/stage-boundaries", operation_id="SetPlanStageBoundaries", opt=WRITERS)
    async def set_boundaries(self, ctx: TenantCtx, data: JSONBody[StageBoundariesBody]) -> StageBoundariesOut:
        view = await services.set_stage_boundaries(ctx, data.junior_from_months, data.adult_from_months)
        return to_schema(view, StageBoundariesOut)

    @get("/amount-check", operation_id="CheckPlanAmount")
    async def amount_check(self, ctx: TenantCtx, monthly_amount_fen: FromQuery[int]) -> AmountCheckOut:
        return to_schema(await services.check_plan_amount(ctx, monthly_amount_fen), AmountCheckOut)

    @get("/{plan_id:uuid}", operation_id="GetPlan")
    async def get_plan(self, ctx: TenantCtx, plan_id: FromPath[uuid.UUID]) -> PlanOut:
        return plan_out(await services.get_plan(ctx, plan_id), (await tenancy.get_own_tenant(ctx)).slug)

    @put("/{plan_id:uuid}", operation_id="UpdatePlan", opt=WRITERS)
    async def update_plan(self, ctx: TenantCtx, plan_id: FromPath[uuid.UUID], data: JSONBody[PlanBody]) -> PlanOut:
        view = await services.update_plan(ctx, plan_id, plan_input(data),
                                          confirm_amount_warning=data.confirm_amount_warning,
                                          expected_version=data.expected_version)
        return plan_out(view, (await tenancy.get_own_tenant(ctx)).slug)

    @get("/{plan_id:uuid}/versions", operation_id="ListPlanVersions")
    async def versions(self, ctx: TenantCtx, plan_id: FromPath[uuid.UUID]) -> list[PlanOut]:
        return [plan_out(v) for v in await services.list_plan_versions(ctx, plan_id)]

    @get("/{plan_id:uuid}/versions/{version:int}", operation_id="GetPlanVersion")
    async def version(self, ctx: TenantCtx, plan_id: FromPath[uuid.UUID], version: FromPath[int]) -> PlanOut:
        return plan_out(await services.get_plan_version(ctx, plan_id, version))

    @get("/{plan_id:uuid}/for-pet", operation_id="GetPlanForPet")
    async def for_pet(self, ctx: TenantCtx, plan_id: FromPath[uuid.UUID], birthday: FromQuery[date],
                      on_date: FromQuery[date]) -> PlanOut:
        return plan_out(await services.plan_for_pet(ctx, plan_id, birthday=birthday, on_date=on_date))

    @post("/{plan_id:uuid}/activate", operation_id="ActivatePlan", opt=WRITERS, status_code=200)
    async def activate(self, ctx: TenantCtx, plan_id: FromPath[uuid.UUID]) -> PlanOut:
        return plan_out(await services.set_plan_active(ctx, plan_id, True))

    @post("/{plan_id:uuid}/deactivate", operation_id="DeactivatePlan", opt=WRITERS, status_code=200)
    async def deactivate(self, ctx: TenantCtx, plan_id: FromPath[uuid.UUID]) -> PlanOut:
        return plan_out(await services.set_plan_active(ctx, plan_id, False))


def override_out(view: stages.PetOverride) -> OverrideOut:
    return OverrideOut(pet_id=view.pet_id, plan_id=view.plan_id, plan_name=view.plan_name,
                       lines=[to_schema(x, ContentLineOut) for x in view.lines], reason=view.reason,
                       set_by=view.set_by, updated_at=view.updated_at)


class PetStageController(Controller):
    """``/api/v1/pet-stages``: a pet's stage today and its next switch, the store's override for it,
    and what a contract's period ships (a preview of what fulfilment will send)."""

    path = "/api/v1/pet-stages"
    tags = ["plans"]
    opt = {"auth": "tenant", "roles": set(STAGE_READERS)}

    @get("/{pet_id:uuid}", operation_id="GetPetStage")
    async def pet_stage(self, ctx: TenantCtx, pet_id: FromPath[uuid.UUID]) -> PetStageOut:
        view = await stages.pet_stage(ctx, pet_id)
        return PetStageOut(pet_id=view.pet_id, species=view.species, birthday=view.birthday, today=view.today,
                           stage=view.stage, next_stage=view.next_stage, next_stage_on=view.next_stage_on,
                           override=override_out(view.override) if view.override else None,
                           switches=[to_schema(x, StageSwitchOut) for x in view.switches])

    @put("/{pet_id:uuid}/override", operation_id="SetPetOverride", opt={"roles": set(OVERRIDE_WRITERS)})
    async def set_override(self, ctx: TenantCtx, pet_id: FromPath[uuid.UUID], data: JSONBody[OverrideBody]
                           ) -> OverrideOut:
        lines = [ContentInput(x.item_type, x.item_id, x.quantity) for x in data.lines]
        return override_out(await stages.set_override(ctx, pet_id, reason=data.reason, plan_id=data.plan_id,
                                                      lines=lines))

    @post("/{pet_id:uuid}/override/clear", operation_id="ClearPetOverride", opt={"roles": set(OVERRIDE_WRITERS)},
          status_code=200)
    async def clear_override(self, ctx: TenantCtx, pet_id: FromPath[uuid.UUID], data: JSONBody[ClearOverrideBody]
                             ) -> ClearedOut:
        return ClearedOut(cleared=await stages.clear_override(ctx, pet_id, reason=data.reason))

    @get("/contracts/{contract_id:uuid}/periods/{sequence:int}", operation_id="GetPeriodContents")
    async def period(self, ctx: TenantCtx, contract_id: FromPath[uuid.UUID], sequence: FromPath[int],
                     ship_on: FromQuery[date | None] = None) -> PeriodContentsOut:
        day = ship_on or await customers.store_today(ctx)
        got = await stages.period_contents(ctx, contract_id=contract_id, sequence=sequence, ship_on=day)
        return PeriodContentsOut(contract_id=contract_id, sequence=sequence, ship_on=day, plan_id=got.plan_id,
                                 plan_version=got.plan_version, stage=got.stage,
                                 lines=[to_schema(x, ContentLineOut) for x in got.lines],
                                 switched_from_stage=got.switched_from_stage, override_reason=got.override_reason)
