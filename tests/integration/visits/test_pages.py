"""``/admin/visits``: the due list (mine/all, today/overdue/upcoming/done) in Chinese, the visit form
(errors on the field, nothing changed), could-not-reach with a new day, reassignment by a manager."""

from __future__ import annotations

from datetime import timedelta

import pytest

from pawpay.platform.identity import services as identity
from pawpay.platform.identity.roles import FINANCE
from pawpay.platform.jobs.services import advance_tenant_clock
from pawpay.tenants.visits import services as visits
from tests.integration.admin_ui.conftest import new_browser  # noqa: F401 (the page fixture)
from tests.integration.conftest import create_staff_account
from tests.integration.visits.conftest import signed_for, store_with_after_sales

pytestmark = pytest.mark.integration


async def test_the_due_list_and_the_visit_form(new_browser) -> None:  # noqa: F811
    s, (person,) = await store_with_after_sales(phone="13912345001")
    w = await signed_for(s, name="可乐")
    browser = await new_browser()
    await browser.sign_in((await identity.get_staff(s.ctx, person)).email)
    page = await browser.get("/admin/visits")
    assert page.status_code == 200
    assert "暂无回访" in page.text  # nothing due yet: both visits are upcoming
    upcoming = await browser.get("/admin/visits?view=upcoming")
    assert upcoming.text.count('data-visit="') == 2
    assert "第 7 天回访" in upcoming.text
    assert "可乐" in upcoming.text
    await advance_tenant_clock(s.ctx, 8 * 86400)
    due = await browser.get("/admin/visits")
    assert due.text.count('data-visit="') == 1
    assert "已超时" in due.text
    day7 = (await visits.list_visits(s.ctx, contract_id=w.contract.id))[0][0]
    location = f"/admin/visits/{day7.id}"
    bad = await browser.submit(f"{location}/complete", {"settled": "yes", "satisfaction": "", "notes": "好"},
                               csrf_from=location)
    assert bad.status_code == 422
    assert 'id="err-satisfaction"' in bad.text
    assert "满意度须为 1 到 5 的整数" in bad.text
    assert (await visits.get_visit(s.ctx, day7.id)).status == "open"
    late = await browser.submit(f"{location}/unreachable", {"reschedule_on": "2020-01-01"}, csrf_from=location)
    assert late.status_code == 422
    assert "请选择今天到 30 天内的日期" in late.text
    today = w.today + timedelta(days=8)
    moved = await browser.submit(f"{location}/unreachable", {"reschedule_on": today.isoformat(), "note": "未接"},
                                 csrf_from=location)
    assert moved.status_code == 303
    assert "1 次未接通" in (await browser.get("/admin/visits")).text
    done = await browser.submit(f"{location}/complete", {"settled": "somewhat", "satisfaction": "5",
                                                         "feeding_questions": "猫砂多久换一次？", "notes": ""},
                                csrf_from=location)
    assert done.status_code == 303
    page = await browser.get(location)
    assert "客户反馈" in page.text
    assert "猫砂多久换一次？" in page.text
    assert "基本适应" in page.text
    assert 'data-form="complete"' not in page.text
    assert "可乐" in (await browser.get("/admin/visits?view=done")).text
    # Not a manager: no reassignment form.
    day30 = (await visits.list_visits(s.ctx, contract_id=w.contract.id))[0][0]
    assert 'data-form="assign"' not in (await browser.get(f"/admin/visits/{day30.id}")).text


async def test_manager_reassigns_and_others_are_refused(new_browser) -> None:  # noqa: F811
    s, (person,) = await store_with_after_sales(phone="13912345002")
    w = await signed_for(s)
    visit = (await visits.list_visits(s.ctx, contract_id=w.contract.id))[0][0]
    manager = await new_browser()
    await manager.sign_in(s.store.manager_email)
    assert "暂无回访" in (await manager.get("/admin/visits")).text  # mine: none are the manager's
    everyone = await manager.get("/admin/visits?view=upcoming&who=all")
    assert everyone.text.count('data-visit="') == 2
    location = f"/admin/visits/{visit.id}"
    r = await manager.submit(f"{location}/assign", {"assignee_id": str(s.store.manager_id)}, csrf_from=location)
    assert r.status_code == 303
    assert (await visits.get_visit(s.ctx, visit.id)).assignee_id == s.store.manager_id
    bad = await manager.get("/admin/visits?view=soon")
    assert bad.status_code == 422
    _, finance = await create_staff_account(s.store, [FINANCE])
    outsider = await new_browser()
    await outsider.sign_in(finance)
    assert (await outsider.get("/admin/visits")).status_code == 403
    other, _ = await store_with_after_sales(phone="13912345003")
    stranger = await new_browser()
    await stranger.sign_in(other.store.manager_email)
    assert (await stranger.get(location)).status_code == 404
    assert person != s.store.manager_id
