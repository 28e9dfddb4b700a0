"""The catalog against the real database: CRUD, unique codes per store, deactivate-not-delete once
a plan lists an item, audit, and another store's entries answered as missing."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from pawpay.platform.audit.services import list_entries
from pawpay.platform.errors import NotFound, ValidationFailed
from pawpay.platform.tenancy.context import TenantContext
from pawpay.platform.testing.plugin import create_store
from pawpay.tenants.catalog import services as catalog
from pawpay.tenants.catalog.errors import CodeTaken, ItemInactive
from pawpay.tenants.catalog.services import ServiceInput, SkuInput

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("pawpay_database")]


async def _ctx() -> TenantContext:
    store = await create_store()
    return TenantContext(tenant_id=store.tenant_id, actor_id=store.manager_id, actor_label="test")


def _sku(code: str = "FOOD-1", **kw: Any) -> SkuInput:
    return SkuInput(**{"code": code, "name": "幼猫粮 1.5kg", "kind": "food", "unit": "袋", "specification": "1.5kg",
                       "warehouse_sku_code": "WH-001", **kw})


async def test_skus_are_created_listed_updated_and_audited() -> None:
    ctx = await _ctx()
    sku = await catalog.create_sku(ctx, _sku())
    assert (sku.code, sku.kind, sku.active, sku.used_by_plan) == ("FOOD-1", "food", True, False)
    await catalog.create_sku(ctx, _sku("LITTER-1", name="豆腐猫砂", kind="litter"))
    listed, total = await catalog.list_skus(ctx)
    assert total == 2
    assert [s.code for s in listed] == ["FOOD-1", "LITTER-1"]
    only_food, _ = await catalog.list_skus(ctx, kind="food")
    assert [s.code for s in only_food] == ["FOOD-1"]
    found, _ = await catalog.list_skus(ctx, search="猫砂")
    assert [s.code for s in found] == ["LITTER-1"]
    updated = await catalog.update_sku(ctx, sku.id, _sku(name="幼猫粮 2kg", specification="2kg"))
    assert (updated.name, updated.specification) == ("幼猫粮 2kg", "2kg")
    audit, _ = await list_entries(ctx)
    actions = {a.action for a in audit}
    assert {"catalog.sku_created", "catalog.sku_updated"} <= actions


async def test_codes_are_unique_per_store_but_not_across_stores() -> None:
    ctx, other = await _ctx(), await _ctx()
    await catalog.create_sku(ctx, _sku())
    with pytest.raises(CodeTaken) as caught:
        await catalog.create_sku(ctx, _sku(name="another"))
    assert caught.value.data["field"] == "code"
    await catalog.create_sku(other, _sku())  # another store may use the same code
    service = await catalog.create_service(ctx, ServiceInput("GROOM", "洗护", "grooming"))
    second = await catalog.create_service(ctx, ServiceInput("VAX", "疫苗", "vaccine"))
    with pytest.raises(CodeTaken):
        await catalog.update_service(ctx, second.id, ServiceInput("GROOM", "疫苗", "vaccine"))
    assert (await catalog.get_service(ctx, service.id)).name == "洗护"


@pytest.mark.parametrize(("data", "field"), [
    ({"code": "bad code"}, "code"),
    ({"code": ""}, "code"),
    ({"name": " "}, "name"),
    ({"kind": "toy"}, "kind"),
    ({"unit": "x" * 40}, "unit"),
])
async def test_bad_sku_input_is_refused_with_its_field(data: dict[str, Any], field: str) -> None:
    ctx = await _ctx()
    with pytest.raises(ValidationFailed) as caught:
        await catalog.create_sku(ctx, _sku(**data))
    assert caught.value.data["field"] == field
    assert (await catalog.list_skus(ctx))[1] == 0


async def test_an_unused_item_is_deleted_a_used_one_only_deactivated() -> None:
    ctx = await _ctx()
    unused = await catalog.create_sku(ctx, _sku("A"))
    used = await catalog.create_sku(ctx, _sku("B"))
    service = await catalog.create_service(ctx, ServiceInput("DEWORM", "驱虫", "deworming"))
    await catalog.mark_used(ctx, sku_ids=[used.id], service_ids=[service.id])
    assert await catalog.delete_sku(ctx, unused.id) is True
    with pytest.raises(NotFound):
        await catalog.get_sku(ctx, unused.id)
    assert await catalog.delete_sku(ctx, used.id) is False
    kept = await catalog.get_sku(ctx, used.id)
    assert (kept.active, kept.used_by_plan) == (False, True)
    assert await catalog.delete_service(ctx, service.id) is False
    assert (await catalog.get_service(ctx, service.id)).active is False
    # A used item keeps its code (plan versions name it by code).
    with pytest.raises(Exception, match="code can no longer change"):
        await catalog.update_sku(ctx, used.id, _sku("B2"))
    reactivated = await catalog.set_sku_active(ctx, used.id, True)
    assert reactivated.active is True


async def test_resolve_items_accepts_active_items_only() -> None:
    ctx = await _ctx()
    sku = await catalog.create_sku(ctx, _sku())
    service = await catalog.create_service(ctx, ServiceInput("CHECK", "体检", "checkup"))
    items = await catalog.resolve_items(ctx, sku_ids=[sku.id], service_ids=[service.id])
    assert {i.item_type for i in items.values()} == {"sku", "service"}
    await catalog.set_service_active(ctx, service.id, False)
    with pytest.raises(ItemInactive):
        await catalog.resolve_items(ctx, service_ids=[service.id])
    with pytest.raises(NotFound):
        await catalog.resolve_items(ctx, sku_ids=[uuid.uuid4()])


async def test_another_stores_entries_are_not_found() -> None:
    ctx, other = await _ctx(), await _ctx()
    sku = await catalog.create_sku(ctx, _sku())
    service = await catalog.create_service(ctx, ServiceInput("GROOM", "洗护", "grooming"))
    for call in (
        catalog.get_sku(other, sku.id),
        catalog.update_sku(other, sku.id, _sku(name="hijack")),
        catalog.set_sku_active(other, sku.id, False),
        catalog.delete_sku(other, sku.id),
        catalog.get_service(other, service.id),
        catalog.delete_service(other, service.id),
        catalog.resolve_items(other, sku_ids=[sku.id]),
    ):
        with pytest.raises(NotFound):
            await call
    assert (await catalog.list_skus(other))[1] == 0
    still = await catalog.get_sku(ctx, sku.id)
    assert (still.name, still.active) == ("幼猫粮 1.5kg", True)
