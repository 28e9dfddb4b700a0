"""``/admin/customers``: list and search (masked), add a customer and a pet (errors on the field,
never echoing the ID number), the customer page with contracts, payments, messages and history."""

from __future__ import annotations

import pytest

from pawpay.platform.identity.roles import AFTER_SALES, FRONT_DESK
from pawpay.tenants.customers import services as customers
from tests.integration.contracts.conftest import make_id_number, setup, signed

pytestmark = pytest.mark.integration


async def test_the_list_shows_masked_customers_and_searches(new_browser) -> None:
    s = await setup(phone="13955556666")
    browser = await new_browser()
    await browser.sign_in(s.store.manager_email)
    page = await browser.get("/admin/customers")
    assert page.status_code == 200
    assert "139****6666" in page.text
    assert "13955556666" not in page.text
    assert s.customer.name_masked in page.text
    assert "张三" not in page.text
    found = await browser.get("/admin/customers?q=6666")
    assert s.customer.phone_masked in found.text
    none = await browser.get("/admin/customers?q=0000")
    assert s.customer.phone_masked not in none.text


async def test_add_a_customer_and_a_pet(new_browser) -> None:
    s = await setup()
    browser = await new_browser()
    await browser.sign_in(s.store.manager_email)
    id_number = make_id_number()
    response = await browser.submit("/admin/customers", {
        "name": "王小明", "phone": "13712340000", "id_number": id_number, "region": "杭州市", "tags": "vip，新客"})
    assert response.status_code == 303
    location = response.headers["location"]
    page = await browser.get(location)
    assert "王**" in page.text
    assert "137****0000" in page.text
    assert id_number not in page.text
    added = await browser.submit(f"{location}/pets", {"name": "豆豆", "species": "dog", "breed": "柯基",
                                                      "birthday": "2026-01-01", "adoption_date": "2026-03-01"},
                                 csrf_from=location)
    assert added.status_code == 303
    assert "豆豆" in (await browser.get(location)).text
    tagged = await browser.submit(f"{location}/tags", {"tags": "老客户, 猫奴"}, csrf_from=location)
    assert tagged.status_code == 303
    assert "王**" in (await browser.get("/admin/customers?tag=猫奴")).text


async def test_bad_input_shows_zh_errors_on_the_field(new_browser) -> None:
    s = await setup()
    browser = await new_browser()
    await browser.sign_in(s.store.manager_email)
    bad_id = "110101199003074515"
    response = await browser.submit("/admin/customers", {"name": "王小明", "phone": "13712340000",
                                                          "id_number": bad_id})
    assert response.status_code == 422
    assert 'id="err-id_number"' in response.text
    assert "居民身份证号码无效" in response.text
    assert bad_id not in response.text
    location = f"/admin/customers/{s.customer.id}"
    pet = await browser.submit(f"{location}/pets", {"name": "豆豆", "species": "dog", "birthday": "2026-04-01",
                                                    "adoption_date": "2026-03-01"}, csrf_from=location)
    assert pet.status_code == 422
    assert 'id="err-birthday"' in pet.text
    assert "宠物生日不能晚于领养日期" in pet.text


async def test_the_customer_page_shows_contracts_payments_messages_history(new_browser) -> None:
    s = await setup()
    active = await signed(s)
    browser = await new_browser()
    await browser.sign_in(s.store.manager_email)
    page = await browser.get(f"/admin/customers/{s.customer.id}")
    assert page.status_code == 200
    assert active.contract_no in page.text
    assert "3,576.00" in page.text
    assert "1/12" in page.text
    assert "12/12" in page.text
    assert "您已成功签约" in page.text  # the signing SMS, stored per customer
    assert "新增客户" in page.text  # the history, translated


async def test_roles_and_other_stores(new_browser, make_staff) -> None:
    s, t = await setup(), await setup()
    reader = await make_staff(s.store.tenant_id, AFTER_SALES)
    browser = await new_browser()
    await browser.sign_in(reader)
    page = await browser.get("/admin/customers")
    assert page.status_code == 200
    assert 'method="post" action="/admin/customers"' not in page.text  # after-sales reads only
    refused = await browser.client.post("/admin/customers", data={"name": "x", "_csrf": await browser.csrf()})
    assert refused.status_code == 403
    assert (await browser.get(f"/admin/customers/{t.customer.id}")).status_code == 404
    sales = await make_staff(s.store.tenant_id, FRONT_DESK)
    other = await new_browser()
    await other.sign_in(sales)
    assert 'method="post" action="/admin/customers"' in (await other.get("/admin/customers")).text
    assert await customers.get_customer(s.ctx, s.customer.id)
