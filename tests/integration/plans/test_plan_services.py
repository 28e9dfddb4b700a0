"""Plans against the real database: versions (immutable, pinned), the policy warning vs the rail
refusal (the sandbox payments provider's declared caps), stage transitions, store settings, and
another store's plans answered as missing."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import date
from typing import Any

import pytest

from pawpay.platform.audit.services import list_entries
from pawpay.platform.errors import BusinessRuleViolation, NotFound, ValidationFailed
from pawpay.platform.merchants import services as merchants
from pawpay.platform.merchants.rules import MerchantTermsInput
from pawpay.platform.providers.services import set_store_provider
from pawpay.platform.tenancy.context import PlatformContext, TenantContext
from pawpay.platform.tenancy.scope import tenant_scope
from pawpay.platform.testing.plugin import create_store
from pawpay.plugins.payments.sandbox.provider import SANDBOX_LIMITS
from pawpay.tenants.catalog import services as catalog
from pawpay.tenants.catalog.services import ServiceInput, SkuInput
from pawpay.tenants.plans import rules
from pawpay.tenants.plans import services as plans
from pawpay.tenants.plans.errors import (
    AmountExceedsRailLimit,
    AmountNeedsConfirmation,
    NextStageInvalid,
    VersionConflict,
)
from pawpay.tenants.plans.services import ContentInput, PlanInput
from pawpay.tenants.plans.tables import PlanVersion

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("pawpay_database")]

PER_DEBIT_CAP = SANDBOX_LIMITS.per_debit_max_fen
assert PER_DEBIT_CAP is not None


@dataclasses.dataclass
class Store:
    ctx: TenantContext
    tenant_id: uuid.UUID
    food: Any
    litter: Any
    groom: Any


async def _store() -> Store:
    seeded = await create_store()
    ctx = TenantContext(tenant_id=seeded.tenant_id, actor_id=seeded.manager_id, actor_label="test")
    await set_store_provider(ctx, "payments", "sandbox", {"merchant_id": "m_plans",
                                                          "webhook_secret": "whsec-plans-" + uuid.uuid4().hex})
    food = await catalog.create_sku(ctx, SkuInput("FOOD-K", "幼猫粮", "food", unit="袋"))
    litter = await catalog.create_sku(ctx, SkuInput("LITTER", "猫砂", "litter", unit="袋"))
    groom = await catalog.create_service(ctx, ServiceInput("GROOM", "洗护", "grooming"))
    return Store(ctx, seeded.tenant_id, food, litter, groom)


def _input(s: Store, **kw: Any) -> PlanInput:
    base: dict[str, Any] = {
        "name": "幼猫月付", "species": "cat", "stage": "kitten", "periods": 12, "monthly_amount_fen": 29_800,
        "contents": [ContentInput("sku", s.food.id, 2), ContentInput("sku", s.litter.id, 1)],
        "gift_text": "新手礼包", "gift_value_fen": 10_000, "debit_days": [10, 5], "cooling_off_days": 7,
    }
    base.update(kw)
    return PlanInput(**base)


async def test_a_plan_is_created_at_version_1_with_its_totals_and_snapshots() -> None:
    s = await _store()
    view = await plans.create_plan(s.ctx, _input(
        s, period_overrides={3: [ContentInput("service", s.groom.id, 1), ContentInput("sku", s.food.id, 2)]}))
    assert (view.version, view.current_version, view.active) == (1, 1, True)
    assert view.total_fen == 12 * 29_800
    assert view.debit_days == (5, 10)
    assert view.penalty_rate_bp == 1000
    assert "rounded half up" in view.penalty_rule
    assert [(c.code, c.quantity) for c in view.contents] == [("FOOD-K", 2), ("LITTER", 1)]
    assert [c.code for c in view.contents_for_period(3)] == ["GROOM", "FOOD-K"]
    assert view.contents_for_period(4) == view.contents
    assert view.penalty_fen(7) == rules.penalty_fen(7, 29_800, 1000) == 20_860
    # The catalog now knows these items are used: deleting only deactivates.
    assert await catalog.delete_sku(s.ctx, s.food.id) is False
    audit, _ = await list_entries(s.ctx)
    assert "plans.plan_created" in {a.action for a in audit}


async def test_every_change_is_a_new_version_and_old_versions_never_change() -> None:
    s = await _store()
    v1 = await plans.create_plan(s.ctx, _input(s))
    v2 = await plans.update_plan(s.ctx, v1.id, _input(s, monthly_amount_fen=32_800), expected_version=1)
    assert (v2.version, v2.monthly_amount_fen) == (2, 32_800)
    pinned = await plans.get_plan_version(s.ctx, v1.id, 1)  # what a contract signed at version 1 reads
    assert (pinned.monthly_amount_fen, pinned.total_fen, pinned.current_version) == (29_800, 12 * 29_800, 2)
    assert (await plans.get_plan(s.ctx, v1.id)).version == 2
    # Saving the same terms again writes nothing.
    same = await plans.update_plan(s.ctx, v1.id, _input(s, monthly_amount_fen=32_800))
    assert same.version == 2
    # The catalog item renamed later: version 1 still shows what was signed.
    await catalog.update_sku(s.ctx, s.food.id, SkuInput("FOOD-K", "新名字", "food"))
    assert (await plans.get_plan_version(s.ctx, v1.id, 1)).contents[0].name == "幼猫粮"
    versions = await plans.list_plan_versions(s.ctx, v1.id)
    assert [v.version for v in versions] == [2, 1]
    # A stale editor is refused.
    with pytest.raises(VersionConflict):
        await plans.update_plan(s.ctx, v1.id, _input(s, periods=24), expected_version=1)
    # The database itself refuses to edit a version.
    with pytest.raises(Exception, match=r"append-only|permission denied"):
        async with tenant_scope(s.ctx):
            await PlanVersion.update({PlanVersion.monthly_amount_fen: 1}).where(PlanVersion.plan_id == v1.id)
    with pytest.raises(NotFound):
        await plans.get_plan_version(s.ctx, v1.id, 3)


async def test_an_amount_outside_the_policy_bounds_is_a_warning_to_confirm() -> None:
    s = await _store()
    with pytest.raises(AmountNeedsConfirmation) as caught:
        await plans.create_plan(s.ctx, _input(s, monthly_amount_fen=26_800))  # the seed's own example
    assert caught.value.data["needs_confirmation"] is True
    assert (caught.value.data["warn_min_fen"], caught.value.data["warn_max_fen"]) == (29_800, 59_800)
    assert await plans.list_plans(s.ctx, active_only=False) == []
    view = await plans.create_plan(s.ctx, _input(s, monthly_amount_fen=26_800), confirm_amount_warning=True)
    assert view.amount_warning_confirmed is True
    # Within the bounds needs no confirmation.
    assert (await plans.create_plan(s.ctx, _input(s, monthly_amount_fen=59_800))).amount_warning_confirmed is False


async def test_the_operator_sets_the_bounds_in_the_store_terms() -> None:
    s = await _store()
    await merchants.set_terms(PlatformContext(actor_label="test"), s.tenant_id,
                              MerchantTermsInput(plan_amount_warn_min_fen=20_000, plan_amount_warn_max_fen=30_000),
                              reason="test bounds")
    assert await plans.amount_bounds(s.ctx) == (20_000, 30_000)
    await plans.create_plan(s.ctx, _input(s, monthly_amount_fen=26_800))  # inside the store's own bounds
    with pytest.raises(AmountNeedsConfirmation):
        await plans.create_plan(s.ctx, _input(s, monthly_amount_fen=32_800))


async def test_an_amount_above_the_rails_per_debit_cap_is_refused_even_if_confirmed() -> None:
    s = await _store()
    with pytest.raises(AmountExceedsRailLimit) as caught:
        await plans.create_plan(s.ctx, _input(s, monthly_amount_fen=PER_DEBIT_CAP + 1), confirm_amount_warning=True)
    data = caught.value.data
    assert str(caught.value.code) == "PLAN_AMOUNT_EXCEEDS_RAIL_LIMIT"
    assert (data["field"], data["cap"], data["cap_fen"], data["provider"]) == (
        "monthly_amount_fen", "per_debit", PER_DEBIT_CAP, "sandbox")
    assert "单笔扣款上限" in data["message_zh_cn"]
    assert "¥2,000.00" in data["message_zh_cn"]
    assert await plans.list_plans(s.ctx, active_only=False) == []
    # Exactly the cap is debitable (a warning above the policy bounds, confirmed).
    at_cap = await plans.create_plan(s.ctx, _input(s, monthly_amount_fen=PER_DEBIT_CAP), confirm_amount_warning=True)
    # An edit above the cap is refused and leaves the plan as it was.
    with pytest.raises(AmountExceedsRailLimit):
        await plans.update_plan(s.ctx, at_cap.id, _input(s, monthly_amount_fen=PER_DEBIT_CAP * 2),
                                confirm_amount_warning=True)
    assert (await plans.get_plan(s.ctx, at_cap.id)).version == 1


@pytest.mark.parametrize(("changes", "field"), [
    ({"periods": 11}, "periods"),
    ({"periods": 25}, "periods"),
    ({"monthly_amount_fen": 0}, "monthly_amount_fen"),
    ({"debit_days": [7]}, "debit_days"),
    ({"debit_days": []}, "debit_days"),
    ({"species": "bird"}, "species"),
    ({"stage": "puppy"}, "stage"),
    ({"name": ""}, "name"),
    ({"cooling_off_days": 3}, "cooling_off_days"),
    ({"penalty_rate_bp": 20_000}, "penalty_rate_bp"),
    ({"period_overrides": {13: []}}, "period_overrides"),
])
async def test_bad_plans_are_refused_with_their_field(changes: dict[str, Any], field: str) -> None:
    s = await _store()
    with pytest.raises(ValidationFailed) as caught:
        await plans.create_plan(s.ctx, _input(s, **changes))
    assert caught.value.data["field"] == field
    assert await plans.list_plans(s.ctx, active_only=False) == []


async def test_stage_transitions_follow_the_pets_age() -> None:
    s = await _store()
    adult = await plans.create_plan(s.ctx, _input(s, name="成猫", stage="adult"))
    junior = await plans.create_plan(s.ctx, _input(s, name="青年猫", stage="junior", next_stage_plan_id=adult.id))
    kitten = await plans.create_plan(s.ctx, _input(s, name="幼猫", next_stage_plan_id=junior.id))
    born = date(2026, 1, 15)
    assert (await plans.plan_for_pet(s.ctx, kitten.id, birthday=born, on_date=date(2026, 7, 14))).id == kitten.id
    assert (await plans.plan_for_pet(s.ctx, kitten.id, birthday=born, on_date=date(2026, 7, 15))).id == junior.id
    assert (await plans.plan_for_pet(s.ctx, kitten.id, birthday=born, on_date=date(2027, 1, 15))).id == adult.id
    # The store moves the boundaries: junior from 4 months.
    await plans.set_stage_boundaries(s.ctx, 4, 10)
    assert (await plans.plan_for_pet(s.ctx, kitten.id, birthday=born, on_date=date(2026, 5, 15))).id == junior.id
    assert await plans.get_stage_boundaries(s.ctx) == rules.StageBoundaries(4, 10)
    with pytest.raises(ValidationFailed):
        await plans.set_stage_boundaries(s.ctx, 12, 6)
    # Filters.
    assert [p.name for p in await plans.list_plans(s.ctx, species="cat")] == ["幼猫", "青年猫", "成猫"]
    assert [p.name for p in await plans.list_plans(s.ctx, stage="junior")] == ["青年猫"]
    await plans.set_plan_active(s.ctx, junior.id, False)
    assert [p.name for p in await plans.list_plans(s.ctx)] == ["幼猫", "成猫"]
    assert len(await plans.list_plans(s.ctx, active_only=False)) == 3
    assert await plans.list_plans(s.ctx, species="dog") == []


async def test_the_next_stage_must_be_a_later_stage_of_the_same_species() -> None:
    s = await _store()
    kitten = await plans.create_plan(s.ctx, _input(s))
    dog = await plans.create_plan(s.ctx, _input(s, name="成犬", species="dog", stage="adult"))
    with pytest.raises(NextStageInvalid):
        await plans.create_plan(s.ctx, _input(s, name="成猫", stage="adult", next_stage_plan_id=kitten.id))
    with pytest.raises(NextStageInvalid):
        await plans.create_plan(s.ctx, _input(s, next_stage_plan_id=dog.id))
    with pytest.raises(NextStageInvalid):
        await plans.update_plan(s.ctx, kitten.id, _input(s, next_stage_plan_id=kitten.id))
    with pytest.raises(NextStageInvalid):
        await plans.create_plan(s.ctx, _input(s, next_stage_plan_id=uuid.uuid4()))


async def test_inactive_or_foreign_catalog_items_cannot_be_listed() -> None:
    s, other = await _store(), await _store()
    await catalog.set_sku_active(s.ctx, s.litter.id, False)
    with pytest.raises(Exception, match="inactive"):
        await plans.create_plan(s.ctx, _input(s))
    with pytest.raises(NotFound):
        await plans.create_plan(s.ctx, _input(s, contents=[ContentInput("sku", other.food.id, 1)]))
    with pytest.raises(NotFound):  # a SKU id posted as a service
        await plans.create_plan(s.ctx, _input(s, contents=[ContentInput("service", s.food.id, 1)]))


async def test_another_stores_plans_are_not_found_and_unchanged() -> None:
    s, other = await _store(), await _store()
    view = await plans.create_plan(s.ctx, _input(s))
    for call in (
        plans.get_plan(other.ctx, view.id),
        plans.get_plan_version(other.ctx, view.id, 1),
        plans.list_plan_versions(other.ctx, view.id),
        plans.update_plan(other.ctx, view.id, _input(other)),
        plans.set_plan_active(other.ctx, view.id, False),
        plans.plan_for_pet(other.ctx, view.id, birthday=date(2026, 1, 1), on_date=date(2026, 2, 1)),
    ):
        with pytest.raises(NotFound):
            await call
    with pytest.raises(NextStageInvalid):
        await plans.create_plan(other.ctx, _input(other, name="x", stage="junior", next_stage_plan_id=view.id))
    assert await plans.list_plans(other.ctx, active_only=False) == []
    assert (await plans.get_plan(s.ctx, view.id)).version == 1
    assert (await plans.get_plan(s.ctx, view.id)).active is True


async def test_a_store_without_a_payments_provider_cannot_save_a_plan() -> None:
    seeded = await create_store()
    ctx = TenantContext(tenant_id=seeded.tenant_id, actor_id=seeded.manager_id, actor_label="test")
    with pytest.raises(BusinessRuleViolation, match="no usable payments provider"):
        await plans.create_plan(ctx, PlanInput(name="x", species="dog", stage="puppy", periods=12,
                                               monthly_amount_fen=29_800))


def test_the_signing_start_url_scheme() -> None:
    plan_id = uuid.UUID("00000000-0000-0000-0000-000000000001")
    assert plans.signing_start_path("cat-cafe", plan_id) == f"/sign/cat-cafe/start?plan={plan_id}"


async def test_concurrent_saves_get_consecutive_versions() -> None:
    import asyncio

    s = await _store()
    view = await plans.create_plan(s.ctx, _input(s))
    results = await asyncio.gather(*(plans.update_plan(s.ctx, view.id, _input(s, monthly_amount_fen=30_000 + i))
                                     for i in range(4)))
    assert sorted(r.version for r in results) == [2, 3, 4, 5]
    versions = await plans.list_plan_versions(s.ctx, view.id)
    assert [v.version for v in versions] == [5, 4, 3, 2, 1]
    assert (await plans.get_plan(s.ctx, view.id)).version == 5


async def test_two_editors_saving_from_the_same_version_at_once_one_is_refused() -> None:
    import asyncio

    from pawpay.tenants.plans.errors import VersionConflict

    s = await _store()
    view = await plans.create_plan(s.ctx, _input(s))
    results = await asyncio.gather(
        *(plans.update_plan(s.ctx, view.id, _input(s, monthly_amount_fen=30_000 + i), expected_version=1)
          for i in range(2)), return_exceptions=True)
    saved = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, VersionConflict)]
    assert (len(saved), len(refused)) == (1, 1), results
    assert saved[0].version == 2
    assert [v.version for v in await plans.list_plan_versions(s.ctx, view.id)] == [2, 1], "no silent overwrite"
