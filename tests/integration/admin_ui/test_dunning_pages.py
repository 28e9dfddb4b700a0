"""``/admin/queues``: the work queues with their one-click actions, an installment's log with a recorded
call and promise to pay, the ladder and templates (a threatening text is refused with the phrase
highlighted), a contract's pauses and the early termination flow; roles and other stores."""

from __future__ import annotations

from typing import Any

import pytest

from pawpay.platform.identity.roles import FINANCE
from pawpay.platform.providers.services import provider_for
from pawpay.platform.testing.plugin import create_store
from pawpay.tenants.contracts import services as contracts
from pawpay.tenants.dunning import endings
from pawpay.tenants.dunning import services as dunning
from tests.integration.dunning.conftest import fail, world

pytestmark = pytest.mark.integration


async def test_the_queues_show_a_failed_debit_and_record_a_call(new_browser) -> None:
    w = await world(phone="13912340201")
    inst = await fail(w)
    browser = await new_browser()
    await browser.sign_in(w.store.manager_email)
    page = await browser.get("/admin/queues")
    assert page.status_code == 200
    assert w.contract.contract_no in page.text
    assert 'href="/admin/queues"' in page.text  # the nav entry
    path = f"/admin/queues/installments/{inst.id}"
    detail = await browser.get(path)
    assert detail.status_code == 200
    assert "INSUFFICIENT_FUNDS" in detail.text
    empty = await browser.submit(f"{path}/call", {"outcome": "reached", "note": ""}, csrf_from=path)
    assert empty.status_code == 422
    today = await dunning.store_today(w.ctx)
    done = await browser.submit(f"{path}/call", {"outcome": "promised", "note": "周五支付",
                                                 "promised_on": today.isoformat()}, csrf_from=path)
    assert done.status_code == 303
    assert len(await dunning.list_tasks(w.ctx, kind="promise_to_pay")) == 1
    assert "周五支付" in (await browser.get("/admin/queues")).text
    ext = await browser.submit(f"{path}/extension", {"days": "7"}, csrf_from=path)
    assert ext.status_code == 303
    case = await dunning.get_case(w.ctx, inst.id)
    assert case is not None
    assert case.extension_until is not None
    kinds = [a.kind for a in await dunning.list_actions(w.ctx, installment_id=inst.id)]
    assert kinds == ["call_recorded", "promise_to_pay", "extension_granted"]


async def test_a_threatening_template_is_refused_with_the_phrase_highlighted(new_browser) -> None:
    w = await world(phone="13912340202")
    browser = await new_browser("zh_CN")
    await browser.sign_in(w.store.manager_email)
    path = "/admin/queues/settings"
    assert (await browser.get(path)).status_code == 200
    bad = await browser.submit(f"{path}/templates", {"code": "DUNNING_DAY1_SMS",
                                                     "body": "再不还款将上报征信，{contract_no}"}, csrf_from=path)
    assert bad.status_code == 422
    assert "【上报征信】" in bad.text
    assert (await dunning.get_template(w.ctx, "DUNNING_DAY1_SMS")).body.startswith("【{store}】")
    good = await browser.submit(f"{path}/templates", {"code": "DUNNING_DAY1_SMS",
                                                      "body": "温馨提醒：合同{contract_no}尚未支付"}, csrf_from=path)
    assert good.status_code == 303
    assert (await dunning.get_template(w.ctx, "DUNNING_DAY1_SMS")).body == "温馨提醒：合同{contract_no}尚未支付"
    added = await browser.submit(f"{path}/phrases", {"phrase": "催收公司"}, csrf_from=path)
    assert added.status_code == 303
    refused = await browser.submit(f"{path}/templates", {"code": "DUNNING_DAY1_SMS", "body": "催收公司将联系您"},
                                   csrf_from=path)
    assert refused.status_code == 422


async def test_termination_through_the_pages(new_browser) -> None:
    w = await world(phone="13912340203")
    browser = await new_browser()
    await browser.sign_in(w.store.manager_email)
    path = f"/admin/queues/contracts/{w.contract.id}"
    assert (await browser.get(path)).status_code == 200
    assert (await browser.submit(f"{path}/terminate", {"reason": ""}, csrf_from=path)).status_code == 422
    assert (await browser.submit(f"{path}/terminate", {"reason": "搬家"}, csrf_from=path)).status_code == 303
    ending = (await endings.list_endings(w.ctx, w.contract.id))[0]
    early = await browser.submit(f"{path}/sign", {"ending_id": str(ending.id)}, csrf_from=path)
    assert early.status_code == 422  # the retention offer first
    assert (await browser.submit(f"{path}/decline", {"ending_id": str(ending.id)}, csrf_from=path)).status_code == 303
    quoted = await endings.get_ending(w.ctx, ending.id)
    page = await browser.get(path)
    assert f"{quoted.penalty_fen / 100:,.2f}" in page.text
    assert (await browser.submit(f"{path}/sign", {"ending_id": str(ending.id)}, csrf_from=path)).status_code == 303
    signing = await endings.get_ending(w.ctx, ending.id)
    assert (await browser.submit(f"{path}/complete", {"ending_id": str(ending.id)},
                                 csrf_from=path)).status_code == 422  # not signed yet
    identity, pctx = await provider_for(w.ctx, "identity")
    identity.complete_sign_flow(pctx, signing.sign_url.rstrip("/").rsplit("/", 1)[-1])
    assert (await browser.submit(f"{path}/complete", {"ending_id": str(ending.id)},
                                 csrf_from=path)).status_code == 303
    assert (await contracts.get_contract(w.ctx, w.contract.id)).state == "terminated"


async def test_an_illness_pause_through_the_page(new_browser) -> None:
    w = await world(phone="13912340204")
    browser = await new_browser()
    await browser.sign_in(w.store.manager_email)
    path = f"/admin/queues/contracts/{w.contract.id}"
    bad = await browser.submit(f"{path}/pause", {"periods": "1", "reason": "生病", "agreement": ""}, csrf_from=path)
    assert bad.status_code == 422
    ok = await browser.submit(f"{path}/pause", {"periods": "1", "reason": "生病", "agreement": "客户同意暂停一期"},
                              csrf_from=path)
    assert ok.status_code == 303
    assert (await contracts.installments(w.ctx, w.contract.id))[0].status == "paused"


async def test_finance_reads_but_cannot_act_and_other_stores_get_404(new_browser, make_staff) -> None:
    w = await world(phone="13912340205")
    inst = await fail(w)
    finance = await make_staff(w.store.tenant_id, FINANCE)
    browser = await new_browser()
    await browser.sign_in(finance)
    assert (await browser.get("/admin/queues")).status_code == 200
    path = f"/admin/queues/installments/{inst.id}"
    assert (await browser.get(path)).status_code == 200
    denied = await browser.submit(f"{path}/extension", {"days": "7"}, csrf_from="/admin/queues")
    assert denied.status_code == 403
    other = await create_store()
    stranger = await new_browser()
    await stranger.sign_in(other.manager_email)
    assert (await stranger.get(path)).status_code == 404
    assert (await stranger.get(f"/admin/queues/contracts/{w.contract.id}")).status_code == 404


async def test_a_new_template_and_a_ladder_step_using_it(new_browser) -> None:
    w = await world(phone="13912340206")
    browser = await new_browser()
    await browser.sign_in(w.store.manager_email)
    path = "/admin/queues/settings"
    unknown = await browser.submit(f"{path}/ladder", {"day_offset": "2", "action": "sms", "template_code": "NOPE",
                                                      "enabled": "on"}, csrf_from=path)
    assert unknown.status_code == 422
    bad = await browser.submit(f"{path}/templates", {"code": "MY_DAY2", "body": "不还就拉黑名单"}, csrf_from=path)
    assert bad.status_code == 422
    assert "【黑名单】" in bad.text
    assert 'value="MY_DAY2"' in bad.text  # the new-template form keeps what was typed
    made = await browser.submit(f"{path}/templates", {"code": "MY_DAY2", "body": "温馨提醒：合同{contract_no}待支付"},
                                csrf_from=path)
    assert made.status_code == 303
    step = await browser.submit(f"{path}/ladder", {"day_offset": "2", "action": "sms", "template_code": "MY_DAY2",
                                                   "enabled": "on"}, csrf_from=path)
    assert step.status_code == 303
    ladder = await dunning.list_ladder(w.ctx)
    assert (2, "sms", "MY_DAY2") in {(s.day_offset, s.action, s.template_code) for s in ladder}


async def test_an_extension_without_a_case_is_explained(new_browser) -> None:
    w = await world(phone="13912340207")
    browser = await new_browser()
    await browser.sign_in(w.store.manager_email)
    inst = w.installments[0]
    answer = await browser.submit(f"/admin/queues/installments/{inst.id}/extension", {"days": "7"},
                                  csrf_from="/admin/queues")
    assert answer.status_code == 303  # back to the queues with the reason in a flash message
    assert await dunning.get_case(w.ctx, inst.id) is None
    browser.client.cookies.set("pawpay_locale", "zh_CN")
    assert "该分期没有催缴记录" in (await browser.get("/admin/queues")).text


async def test_a_manager_settles_an_owed_penalty_on_the_contract_page(new_browser: Any, make_staff: Any) -> None:
    from pawpay.platform.identity.roles import AFTER_SALES
    from pawpay.tenants.dunning import penalty as penalties
    from tests.integration.dunning.test_penalty_settle import _owed

    store, c, pen = await _owed()
    path = f"/admin/queues/contracts/{c.id}"
    settle = f"{path}/penalties/{pen.id}/settle"
    after_sales = await make_staff(store.ctx.tenant_id, AFTER_SALES)
    staff = await new_browser("zh_CN")
    await staff.sign_in(after_sales)
    page = await staff.get(path)
    assert page.status_code == 200
    assert "结清违约金" not in page.text, "the form is a manager's"
    assert (await staff.submit(settle, {"outcome": "waived", "note": "x"}, csrf_from=path)).status_code == 403
    manager = await new_browser("zh_CN")
    await manager.sign_in(store.s.store.manager_email)
    page = await manager.get(path)
    assert "结清违约金" in page.text
    empty = await manager.submit(settle, {"outcome": "paid_to_store", "note": ""}, csrf_from=path)
    assert empty.status_code == 422
    assert (await penalties.get_penalty(store.ctx, pen.id)).status == "failed"
    done = await manager.submit(settle, {"outcome": "paid_to_store", "note": "现金"}, csrf_from=path)
    assert done.status_code == 303
    assert "已直接付给门店" in (await manager.get(path)).text
    assert (await penalties.get_penalty(store.ctx, pen.id)).status == "paid_to_store"
