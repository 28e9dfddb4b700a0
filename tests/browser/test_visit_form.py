"""Drive the follow-up visit in headless Chromium: an after-sales staff member opens their overdue
day-7 visit, submits the form without a satisfaction score (the error shows next to the field, in
Chinese, and nothing is saved), then fills it in and saves it."""

from __future__ import annotations

from pathlib import Path

import pytest

from pawpay.platform.identity import services as identity
from pawpay.platform.jobs.services import advance_tenant_clock
from pawpay.platform.testing.plugin import PASSWORD
from pawpay.tenants.visits import services as visits
from tests.integration.visits.conftest import signed_for, store_with_after_sales

CHROMIUM = "/usr/bin/chromium"
pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is not installed")]


async def test_staff_fill_in_the_visit_form(live_server, chromium) -> None:
    s, (person,) = await store_with_after_sales(phone="13912346001")
    w = await signed_for(s, name="汤圆")
    await advance_tenant_clock(s.ctx, 8 * 86400)  # the day-7 visit is overdue
    day7 = (await visits.list_visits(s.ctx, contract_id=w.contract.id))[0][0]
    email = (await identity.get_staff(s.ctx, person)).email
    context = await chromium.new_context(viewport={"width": 390, "height": 844})
    page = await context.new_page()
    try:
        await page.goto(f"{live_server}/login")
        await page.fill("input[name=email]", email)
        await page.fill("input[name=password]", PASSWORD)
        async with page.expect_navigation():
            await page.click("form[action='/login'] button[type=submit]")
        await page.goto(f"{live_server}/admin/visits")
        assert "汤圆" in await page.inner_text("main")
        async with page.expect_navigation():
            await page.click(f"a[data-visit='{day7.id}']")
        assert page.url.endswith(f"/admin/visits/{day7.id}")

        form = "form[data-form=complete]"
        await page.select_option(f"{form} select[name=settled]", "somewhat")
        await page.fill(f"{form} textarea[name=feeding_questions]", "一天喂几次？")
        async with page.expect_navigation():
            await page.click(f"{form} button[type=submit]")
        assert "满意度须为 1 到 5 的整数" in await page.inner_text("#err-satisfaction")
        assert (await visits.get_visit(s.ctx, day7.id)).status == "open"
        # The answers typed so far are kept.
        assert await page.input_value(f"{form} textarea[name=feeding_questions]") == "一天喂几次？"

        await page.select_option(f"{form} select[name=satisfaction]", "4")
        await page.fill(f"{form} textarea[name=notes]", "晚上有点叫")
        async with page.expect_navigation():
            await page.click(f"{form} button[type=submit]")
        assert page.url.endswith("/admin/visits")
        assert "回访已记录。" in await page.inner_text("body")
        done = await visits.get_visit(s.ctx, day7.id)
        assert (done.status, done.settled, done.satisfaction) == ("done", "somewhat", 4)
        assert (done.feeding_questions, done.notes) == ("一天喂几次？", "晚上有点叫")
    finally:
        await context.close()
