"""Demo data for the store ``pawpay dev`` creates: a small catalog and cat and dog plans, so that a
customer can sign at once (the plans' QR posters and ``/sign`` links work out of the box)."""

from __future__ import annotations

import uuid

from pawpay.platform.tenancy.context import TenantContext
from pawpay.tenants.catalog import services as catalog
from pawpay.tenants.plans import services as plans

SKUS = (
    catalog.SkuInput(code="FOOD-KITTEN", name="幼猫粮 1.5kg", kind="food", unit="袋", specification="1.5kg"),
    catalog.SkuInput(code="FOOD-CAT", name="成猫粮 2kg", kind="food", unit="袋", specification="2kg"),
    catalog.SkuInput(code="FOOD-PUPPY", name="幼犬粮 2kg", kind="food", unit="袋", specification="2kg"),
    catalog.SkuInput(code="LITTER", name="豆腐猫砂 6L", kind="litter", unit="袋", specification="6L"),
    catalog.SkuInput(code="PASTE", name="营养膏 120g", kind="paste", unit="支", specification="120g"),
)
SERVICES = (
    catalog.ServiceInput(code="GROOM", name="洗护一次", kind="grooming"),
    catalog.ServiceInput(code="DEWORM", name="体内外驱虫", kind="deworming"),
)


async def seed(tenant_id: str) -> None:
    """Create the demo catalog and plans (the adult plans first: the young ones move on to them)."""
    ctx = TenantContext(tenant_id=uuid.UUID(tenant_id), actor_label="pawpay dev")
    ids = {s.code: (await catalog.create_sku(ctx, s)).id for s in SKUS}
    ids |= {s.code: (await catalog.create_service(ctx, s)).id for s in SERVICES}

    def line(code: str, quantity: int = 1) -> plans.ContentInput:
        return plans.ContentInput("service" if code in {s.code for s in SERVICES} else "sku", ids[code], quantity)

    adult_cat = await plans.create_plan(ctx, plans.PlanInput(
        name="成猫月付套餐", species="cat", stage="adult", periods=12, monthly_amount_fen=29_800,
        description="每月成猫粮、猫砂，隔月洗护", contents=(line("FOOD-CAT", 2), line("LITTER")),
        period_overrides={n: (line("FOOD-CAT", 2), line("LITTER"), line("GROOM")) for n in range(2, 13, 2)},
        gift_text="签约礼包：猫爬架 + 营养膏", gift_value_fen=10_000, debit_days=(5, 10, 15)))
    await plans.create_plan(ctx, plans.PlanInput(
        name="幼猫成长套餐", species="cat", stage="kitten", periods=24, monthly_amount_fen=32_800,
        description="幼猫粮、猫砂、营养膏，第 1 期含驱虫",
        contents=(line("FOOD-KITTEN", 2), line("LITTER"), line("PASTE")),
        period_overrides={1: (line("FOOD-KITTEN", 2), line("LITTER"), line("PASTE"), line("DEWORM"))},
        gift_text="签约礼包：猫窝 + 逗猫棒", gift_value_fen=10_000, debit_days=(5, 10, 15),
        next_stage_plan_id=adult_cat.id))
    await plans.create_plan(ctx, plans.PlanInput(
        name="幼犬成长套餐", species="dog", stage="puppy", periods=12, monthly_amount_fen=39_800,
        description="幼犬粮每月两袋，每季度洗护", contents=(line("FOOD-PUPPY", 2),),
        period_overrides={n: (line("FOOD-PUPPY", 2), line("GROOM")) for n in (3, 6, 9, 12)},
        gift_text="签约礼包：牵引绳 + 狗窝", gift_value_fen=10_000, debit_days=(10, 15)))
