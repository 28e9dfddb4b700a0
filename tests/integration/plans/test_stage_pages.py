"""The pet's stage on ``/admin/customers/{id}``: today's stage, the next switch and the period that
first ships it, the override form (after-sales and managers; errors on the field in Chinese,
nothing changed), clearing it, and another store's pet."""

from __future__ import annotations

import pytest

from pawpay.platform.identity.roles import AFTER_SALES, FRONT_DESK
from pawpay.tenants.plans import rules, stages
from tests.integration.admin_ui.conftest import new_browser  # noqa: F401 (the page fixture)
from tests.integration.conftest import create_staff_account
from tests.integration.plans.stage_support import chain, months_old, pet_born, sign

pytestmark = pytest.mark.integration


async def test_the_stage_section_and_the_override_form(new_browser) -> None:  # noqa: F811
    c = await chain(phone="13912344001")
    pet = await pet_born(c, await months_old(c, 3), name="年糕")
    contract = await sign(c, pet)
    _, person = await create_staff_account(c.s.store, [AFTER_SALES])
    browser = await new_browser()
    await browser.sign_in(person)
    location = f"/admin/customers/{c.s.customer.id}"
    page = await browser.get(location)
    assert page.status_code == 200
    assert "年糕的成长阶段" in page.text
    junior_on = rules.add_months(pet.birthday, 6)
    assert f"{junior_on:%Y-%m-%d}起进入青年" in page.text
    assert f"合同{contract.contract_no}第" in page.text
    assert "无：按宠物年龄自动发货" in page.text
    action = f"{location}/pets/{pet.id}/override"
    # No reason: the error sits on the reason field, in Chinese; nothing saved.
    bad = await browser.submit(action, {"override_plan_id": str(c.adult.id), "override_reason": ""},
                               csrf_from=location)
    assert bad.status_code == 422
    assert 'id="err-override_reason"' in bad.text
    assert "请填写原因" in bad.text
    both = await browser.submit(action, {"override_plan_id": str(c.adult.id), "override_reason": "x",
                                         "line_sku_1": str(c.skus["HYPO"].id), "line_quantity_1": "1"},
                                csrf_from=location)
    assert both.status_code == 422
    assert "请选择一个套餐，或指定具体商品（二选一）" in both.text
    assert await stages.get_override(c.s.ctx, pet.id) is None
    saved = await browser.submit(action, {"override_reason": "肠胃敏感", "line_sku_1": str(c.skus["HYPO"].id),
                                          "line_quantity_1": "2"}, csrf_from=location)
    assert saved.status_code == 303
    page = await browser.get(location)
    assert "低敏猫粮 ×2袋" in page.text
    assert "肠胃敏感" in page.text
    assert "已为宠物设置发货内容调整" in page.text  # the history
    cleared = await browser.submit(f"{action}/clear", {"clear_reason": "已好转"}, csrf_from=location)
    assert cleared.status_code == 303
    assert await stages.get_override(c.s.ctx, pet.id) is None


async def test_front_desk_sees_the_stage_but_not_the_form_and_other_stores_get_404(new_browser) -> None:  # noqa: F811
    c = await chain(phone="13912344002")
    pet = await pet_born(c, await months_old(c, 3))
    _, desk = await create_staff_account(c.s.store, [FRONT_DESK])
    browser = await new_browser()
    await browser.sign_in(desk)
    location = f"/admin/customers/{c.s.customer.id}"
    page = await browser.get(location)
    assert "成长阶段" in page.text
    assert f"/pets/{pet.id}/override" not in page.text
    refused = await browser.client.post(f"{location}/pets/{pet.id}/override",
                                        data={"override_reason": "x", "override_plan_id": str(c.adult.id),
                                              "_csrf": await browser.csrf(location)})
    assert refused.status_code == 403
    other = await chain(phone="13912344003")
    outsider = await new_browser()
    await outsider.sign_in(other.s.store.manager_email)
    response = await outsider.client.post(f"/admin/customers/{other.s.customer.id}/pets/{pet.id}/override",
                                          data={"override_reason": "x", "override_plan_id": str(other.adult.id),
                                                "_csrf": await outsider.csrf()})
    assert response.status_code == 404
    assert await stages.get_override(c.s.ctx, pet.id) is None
