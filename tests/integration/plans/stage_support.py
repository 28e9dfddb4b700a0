"""A store with a cat plan chain (kitten → junior → adult, each with its own food) and a pet whose
birthday puts a stage boundary inside its contract, made through the real services (imported by the
stage-switch end-to-end test and the visits tests too)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from pawpay.tenants.catalog import services as catalog
from pawpay.tenants.contracts import services as contracts
from pawpay.tenants.customers import services as customers
from pawpay.tenants.plans import rules
from pawpay.tenants.plans import services as plans
from pawpay.tenants.plans.services import ContentInput, PlanInput
from tests.integration.contracts.conftest import Setup, evidence, setup


@dataclass
class Chain:
    s: Setup
    kitten: Any
    junior: Any
    adult: Any
    skus: dict[str, Any]


async def sku(ctx: Any, code: str, name: str) -> Any:
    return await catalog.create_sku(ctx, catalog.SkuInput(code=f"{code}-{uuid.uuid4().hex[:4]}", name=name,
                                                          kind="food", unit="袋"))


def plan_input(name: str, stage: str, items: list[tuple[Any, int]], *, next_stage: Any = None, periods: int = 12,
               overrides: dict[int, list[tuple[Any, int]]] | None = None, species: str = "cat") -> PlanInput:
    return PlanInput(name=name, species=species, stage=stage, periods=periods, monthly_amount_fen=29_800,
                     contents=[ContentInput("sku", x.id, q) for x, q in items],
                     period_overrides={k: [ContentInput("sku", x.id, q) for x, q in v]
                                       for k, v in (overrides or {}).items()},
                     debit_days=(5, 10, 15), next_stage_plan_id=next_stage.id if next_stage else None)


async def chain(*, phone: str = "13912345678", openid: str = "ox_stage_1", kitten_to_adult: bool = False) -> Chain:
    s = await setup(phone=phone, openid=openid)
    skus = {k: await sku(s.ctx, k, n) for k, n in (("KIT", "幼猫粮"), ("JUN", "青年猫粮"), ("ADU", "成猫粮"),
                                                     ("PASTE", "营养膏"), ("HYPO", "低敏猫粮"))}
    adult = await plans.create_plan(s.ctx, plan_input("成猫套餐", "adult", [(skus["ADU"], 2)],
                                                      overrides={1: [(skus["ADU"], 2), (skus["PASTE"], 1)]}),
                                    confirm_amount_warning=True)
    junior = None
    if not kitten_to_adult:
        junior = await plans.create_plan(s.ctx, plan_input("青年猫套餐", "junior", [(skus["JUN"], 2)],
                                                           next_stage=adult), confirm_amount_warning=True)
    kitten = await plans.create_plan(s.ctx, plan_input("幼猫套餐", "kitten", [(skus["KIT"], 2)],
                                                       next_stage=junior or adult), confirm_amount_warning=True)
    return Chain(s, kitten, junior, adult, skus)


async def pet_born(c: Chain, birthday: date, *, name: str = "团子") -> Any:
    return await customers.add_pet(c.s.ctx, c.s.customer.id, name=name, species="cat", birthday=birthday,
                                   adoption_date=None)


async def months_old(c: Chain, months: int, *, days_more: int = 0) -> date:
    """A birthday ``months`` months (and ``days_more`` days) before the store's today."""
    today = await customers.store_today(c.s.ctx)
    from datetime import timedelta

    return rules.add_months(today, -months) - timedelta(days=days_more)


async def sign(c: Chain, pet: Any, plan: Any | None = None) -> Any:
    plan = plan or c.kitten
    d = await contracts.create_draft(c.s.ctx, customer_id=c.s.customer.id, pet_id=pet.id, plan_id=plan.id,
                                     plan_version=plan.version, debit_day=10, channel="h5", started_by="customer")
    await contracts.mark_pending_signature(c.s.ctx, d.id)
    return await contracts.activate(c.s.ctx, d.id, evidence=evidence())


def codes(lines: Any) -> list[tuple[str, int]]:
    """Lines as (code prefix, quantity), e.g. [("KIT", 2)]."""
    return sorted((x.code.split("-")[0], x.quantity) for x in lines)
