"""Customers and pets against the real database: sealed PII found by keyed hash, masked views,
upsert by ID number, pet date rules, messages, history, and one store never reaches another's."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest

from pawpay.platform.errors import NotFound, ValidationFailed
from pawpay.platform.hooks import ProviderResult, ProviderStatus
from pawpay.platform.tenancy.context import TenantContext
from pawpay.platform.testing.plugin import create_store
from pawpay.tenants.customers import services as customers
from tests.integration.contracts.conftest import make_id_number

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("pawpay_database")]


async def _ctx() -> TenantContext:
    store = await create_store()
    return TenantContext(tenant_id=store.tenant_id, actor_id=store.manager_id, actor_label="test")


async def test_upsert_creates_then_updates_by_id_number(owner: Any) -> None:
    ctx = await _ctx()
    id_number = make_id_number()
    first = await customers.upsert_customer(ctx, name="张三", phone="13912345678", id_number=id_number,
                                            region="上海市", tags=["vip"])
    again = await customers.upsert_customer(ctx, name="张三丰", phone="+86 139 0000 1111", id_number=id_number.lower())
    assert again.id == first.id
    assert again.phone_masked == "139****1111"
    assert again.name_masked == "张**"
    assert again.id_number_masked == id_number[:3] + "*" * 11 + id_number[-4:]
    assert again.tags == ["vip"]  # tags untouched when not given
    # nothing in clear in the row
    row = await owner.fetchrow("SELECT * FROM customer WHERE id = $1", first.id)
    flat = " ".join(str(v) for v in row.values())
    assert id_number not in flat
    assert "13900001111" not in flat
    assert "张三丰" not in flat
    person = await customers.contact(ctx, first.id)
    assert (person.name, person.phone, person.id_number) == ("张三丰", "13900001111", id_number)


async def test_lookups_by_phone_and_id_number() -> None:
    ctx = await _ctx()
    id_number = make_id_number()
    view = await customers.upsert_customer(ctx, name="李四", phone="13712345678", id_number=id_number)
    assert (await customers.find_by_phone(ctx, "137 1234 5678")).id == view.id  # type: ignore[union-attr]
    assert (await customers.find_by_id_number(ctx, id_number)).id == view.id  # type: ignore[union-attr]
    assert await customers.find_by_phone(ctx, "13700000000") is None


async def test_list_search_by_phone_suffix_name_and_tag() -> None:
    ctx = await _ctx()
    a = await customers.upsert_customer(ctx, name="王五", phone="13811112222", id_number=make_id_number(), tags=["vip"])
    b = await customers.upsert_customer(ctx, name="赵六", phone="13833334444", id_number=make_id_number())
    assert [v.id for v in (await customers.list_customers(ctx, search="2222"))[0]] == [a.id]
    assert [v.id for v in (await customers.list_customers(ctx, search="赵"))[0]] == [b.id]
    assert [v.id for v in (await customers.list_customers(ctx, search="13833334444"))[0]] == [b.id]
    assert [v.id for v in (await customers.list_customers(ctx, tag="vip"))[0]] == [a.id]
    views, total = await customers.list_customers(ctx)
    assert total == 2
    assert {v.id for v in views} == {a.id, b.id}


@pytest.mark.parametrize(("field", "kwargs"), [
    ("id_number", {"id_number": "110101199003074515"}),  # bad check digit
    ("id_number", {"id_number": "123"}),
    ("phone", {"phone": "12345"}),
    ("name", {"name": " "}),
])
async def test_bad_input_is_refused_per_field(field: str, kwargs: dict[str, str]) -> None:
    ctx = await _ctx()
    values = {"name": "张三", "phone": "13912345678", "id_number": make_id_number(), **kwargs}
    with pytest.raises(ValidationFailed) as err:
        await customers.upsert_customer(ctx, **values)
    assert err.value.data["field"] == field


async def test_an_id_number_born_in_the_future_is_refused() -> None:
    ctx = await _ctx()
    with pytest.raises(ValidationFailed) as err:
        await customers.upsert_customer(ctx, name="张三", phone="13912345678",
                                        id_number=make_id_number(date(2099, 1, 1)))
    assert err.value.data["field"] == "id_number"


async def test_pets_and_their_date_rules() -> None:
    ctx = await _ctx()
    c = await customers.upsert_customer(ctx, name="张三", phone="13912345678", id_number=make_id_number())
    pet = await customers.add_pet(ctx, c.id, name="咪咪", species="cat", breed="英短", birthday=date(2026, 3, 1),
                                  adoption_date=date(2026, 6, 1), health_notes="已驱虫")
    assert [p.id for p in await customers.list_pets(ctx, c.id)] == [pet.id]
    with pytest.raises(ValidationFailed) as err:
        await customers.add_pet(ctx, c.id, name="旺财", species="dog", birthday=date(2026, 6, 2),
                                adoption_date=date(2026, 6, 1))
    assert str(err.value.code) == "PET_BIRTHDAY_AFTER_ADOPTION"
    with pytest.raises(ValidationFailed) as err:
        await customers.add_pet(ctx, c.id, name="旺财", species="dog", birthday=date(2099, 1, 1))
    assert str(err.value.code) == "PET_BIRTHDAY_IN_FUTURE"
    updated = await customers.update_pet(ctx, pet.id, name="咪咪二号", species="cat", birthday=date(2026, 2, 1),
                                         adoption_date=date(2026, 6, 1))
    assert updated.name == "咪咪二号"


async def test_messages_and_history() -> None:
    ctx = await _ctx()
    c = await customers.upsert_customer(ctx, name="张三", phone="13912345678", id_number=make_id_number())
    await customers.record_message(ctx, c.id, "sms", "SMS_X", "您好",
                                   ProviderResult(ProviderStatus.SUCCEEDED, provider_reference="ref1"))
    await customers.record_message(ctx, c.id, "mini_program", "mp_x", "您好", None)
    messages = await customers.list_messages(ctx, c.id)
    assert {(m.channel, m.status) for m in messages} == {("sms", "succeeded"), ("mini_program", "error")}
    with pytest.raises(ValidationFailed):
        await customers.record_message(ctx, c.id, "fax", "x", "y", None)
    # The same provider message id re-sent (a retried job): one row, with the latest outcome.
    first = await customers.record_message(ctx, c.id, "sms", "SMS_R", "收据", None, message_key="receipt-1-sms")
    again = await customers.record_message(ctx, c.id, "sms", "SMS_R", "收据",
                                           ProviderResult(ProviderStatus.SUCCEEDED, provider_reference="ref2"),
                                           message_key="receipt-1-sms")
    assert again.id == first.id
    receipts = [m for m in await customers.list_messages(ctx, c.id) if m.template == "SMS_R"]
    assert [(m.status, m.provider_reference) for m in receipts] == [("succeeded", "ref2")]
    await customers.set_tags(ctx, c.id, ["老客户"])
    actions = [e.action for e in await customers.history(ctx, c.id)]
    assert "customer.created" in actions
    assert "customer.tags_set" in actions
    # the audit trail holds masked values only
    created = next(e for e in await customers.history(ctx, c.id) if e.action == "customer.created")
    assert created.after is not None
    assert created.after["phone"] == "139****5678"


async def test_another_store_gets_not_found_everywhere() -> None:
    ctx_a, ctx_b = await _ctx(), await _ctx()
    id_number = make_id_number()
    c = await customers.upsert_customer(ctx_a, name="张三", phone="13912345678", id_number=id_number)
    pet = await customers.add_pet(ctx_a, c.id, name="咪咪", species="cat", birthday=date(2026, 3, 1))
    for call in (customers.get_customer(ctx_b, c.id), customers.contact(ctx_b, c.id), customers.list_pets(ctx_b, c.id),
                 customers.get_pet(ctx_b, pet.id), customers.list_messages(ctx_b, c.id),
                 customers.history(ctx_b, c.id), customers.set_tags(ctx_b, c.id, ["x"]),
                 customers.add_pet(ctx_b, c.id, name="x", species="cat", birthday=date(2026, 1, 1)),
                 customers.record_message(ctx_b, c.id, "sms", "t", "b", None)):
        with pytest.raises(NotFound):
            await call
    assert await customers.find_by_phone(ctx_b, "13912345678") is None
    assert await customers.find_by_id_number(ctx_b, id_number) is None
    assert (await customers.list_customers(ctx_b))[1] == 0
    # the same person can be a customer of both stores (one row each)
    other = await customers.upsert_customer(ctx_b, name="张三", phone="13912345678", id_number=id_number)
    assert other.id != c.id
    assert uuid.UUID(str(other.id))
