"""``/ops/calendar``: the coverage panel warns that 2027 is not covered (on 2026-11-22), admins add,
edit and delete overrides and enter a year in bulk (all or nothing, zh-CN field errors), other
operators only read, stores never get in; the ops dashboard links the warning."""

from __future__ import annotations

import re
import secrets
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest

from pawpay.platform.business_calendar import services as calendar
from pawpay.platform.clock import FrozenClock, set_clock
from pawpay.platform.identity.roles import OPS_ADMIN, OPS_REVIEWER
from pawpay.platform.tenancy.context import PlatformContext

pytestmark = pytest.mark.integration

PAGE = "/ops/calendar"
ADMIN = PlatformContext(actor_label="test", roles=frozenset({OPS_ADMIN}))


@pytest.fixture(autouse=True)
def today_is_2026_11_22() -> Iterator[None]:
    previous = set_clock(FrozenClock(datetime(2026, 11, 22, 4, 0, tzinfo=UTC)))
    try:
        yield
    finally:
        set_clock(previous)


@pytest.fixture
async def far_year() -> AsyncIterator[int]:
    """A year of this test's own (the pages commit); its overrides and confirmation are removed after."""
    year = 2100 + secrets.randbelow(90)
    yield year
    for view in await calendar.list_overrides(ADMIN, year=year):
        await calendar.delete_override(ADMIN, view.day, reason="test cleanup")
    cov = await calendar.coverage(ADMIN, today=date(2026, 11, 22))
    if any(y.year == year and y.source == "operator" for y in cov.years):
        await calendar.withdraw_year(ADMIN, year, reason="test cleanup")


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


async def test_the_coverage_panel_warns_that_2027_is_not_covered(new_browser: Any, operator: Any) -> None:
    browser = await new_browser()
    await browser.sign_in(operator["email"])
    page = await browser.get(PAGE)
    assert page.status_code == 200
    text = text_of(page.text)
    assert "2027 年尚未覆盖" in text
    assert "请录入 2027 年的法定节假日和调休上班日" in text
    assert "2004–2026" in text
    assert "2027-01-01" in text  # the first day that cannot be classified
    english = await new_browser("en")
    await english.sign_in(operator["email"])
    text = text_of((await english.get(PAGE)).text)
    assert "2027 is not covered yet." in text
    assert "Enter 2027's public holidays and make-up working days" in text


async def test_the_ops_dashboard_links_the_calendar_warning(new_browser: Any, operator: Any) -> None:
    browser = await new_browser("en")
    await browser.sign_in(operator["email"])
    page = await browser.get("/ops")
    assert "The business calendar does not cover 2027 yet." in text_of(page.text)
    assert 'href="/ops/calendar"' in page.text
    assert 'href="/ops/alerts"' in page.text


async def test_an_admin_adds_edits_and_deletes_an_override(new_browser: Any, operator: Any, far_year: int) -> None:
    browser = await new_browser()
    await browser.sign_in(operator["email"])
    day = date(far_year, 5, 4).isoformat()
    added = await browser.submit(f"{PAGE}/overrides", {"day": day, "kind": "holiday", "note": "青年节"},
                                 csrf_from=PAGE)
    assert added.status_code == 303, added.text
    assert added.headers["location"] == f"{PAGE}?year={far_year}"
    page = await browser.get(f"{PAGE}?year={far_year}")
    assert day in page.text
    assert "青年节" in page.text
    edit = await browser.get(f"{PAGE}?year={far_year}&edit={day}")
    assert f'value="{day}"' in edit.text
    assert await calendar.is_business_day(date(far_year, 5, 4)) is False
    changed = await browser.submit(f"{PAGE}/overrides", {"day": day, "kind": "workday", "note": "调休"},
                                   csrf_from=PAGE)
    assert changed.status_code == 303
    assert await calendar.is_business_day(date(far_year, 5, 4)) is True
    refused = await browser.submit(f"{PAGE}/overrides/{day}/delete", {"reason": ""}, csrf_from=PAGE)
    assert refused.status_code == 422
    assert "请填写原因" in refused.text
    deleted = await browser.submit(f"{PAGE}/overrides/{day}/delete", {"reason": "录入错误"}, csrf_from=PAGE)
    assert deleted.status_code == 303
    assert await calendar.list_overrides(ADMIN, year=far_year) == []


@pytest.mark.parametrize(("fields", "field", "message"), [
    ({"day": "2099-02-30", "kind": "holiday"}, "day", "请按 YYYY-MM-DD 格式输入日期"),
    ({"day": "2099-02-01", "kind": ""}, "kind", "请选择节假日或上班日"),
    ({"day": "2099-02-01", "kind": "holiday", "note": "长" * 201}, "note", "备注最多 200 个字"),
])
async def test_the_single_day_form_shows_zh_cn_field_errors(new_browser: Any, operator: Any, fields: dict[str, str],
                                                             field: str, message: str) -> None:
    browser = await new_browser()
    await browser.sign_in(operator["email"])
    response = await browser.submit(f"{PAGE}/overrides", fields, csrf_from=PAGE)
    assert response.status_code == 422
    assert f'id="err-{field}"' in response.text
    assert message in response.text


async def test_bulk_entry_is_all_or_nothing_then_confirms_the_year(new_browser: Any, operator: Any,
                                                                   far_year: int) -> None:
    browser = await new_browser()
    await browser.sign_in(operator["email"])
    bad = await browser.submit(f"{PAGE}/bulk", {
        "year": str(far_year), "lines": f"{far_year}-01-01 holiday 元旦\n{far_year}-13-01 holiday\nnonsense",
    }, csrf_from=PAGE)
    assert bad.status_code == 422
    text = text_of(bad.text)
    assert "有些行无法读取，什么都没有保存" in text
    assert "第 2 行" in text
    assert "第 3 行" in text
    assert await calendar.list_overrides(ADMIN, year=far_year) == []
    lines = "\n".join([f"{far_year}-01-01 holiday 元旦", f"{far_year}-01-02 休 元旦",
                       f"{far_year}-02-06 workday 春节调休"])
    good = await browser.submit(f"{PAGE}/bulk", {"year": str(far_year), "lines": lines, "confirm": "on",
                                                 "note": "国务院办公厅通知"}, csrf_from=PAGE)
    assert good.status_code == 303, good.text
    assert len(await calendar.list_overrides(ADMIN, year=far_year)) == 3
    page = text_of((await browser.get(f"{PAGE}?year={far_year}")).text)
    assert "由运营录入并确认" in page
    # The year now follows the weekday rule outside its overrides.
    assert await calendar.is_business_day(date(far_year, 3, 1)) is (date(far_year, 3, 1).weekday() < 5)


async def test_a_long_bulk_list_is_accepted(new_browser: Any, operator: Any, far_year: int) -> None:
    """A real year's list (about 40 lines) is longer than the shared form reader's field cap."""
    browser = await new_browser()
    await browser.sign_in(operator["email"])
    days = [date(far_year, 1, 1).toordinal() + i for i in range(0, 80, 2)]
    lines = "\n".join(f"{date.fromordinal(d).isoformat()} holiday 一个比较长的备注文字" for d in days)
    assert len(lines) > 1000
    response = await browser.submit(f"{PAGE}/bulk", {"year": str(far_year), "lines": lines}, csrf_from=PAGE)
    assert response.status_code == 303, response.text
    assert len(await calendar.list_overrides(ADMIN, year=far_year)) == len(days)


async def test_a_reviewer_reads_but_cannot_change(new_browser: Any, make_operator: Any) -> None:
    email = await make_operator(OPS_REVIEWER)
    browser = await new_browser()
    await browser.sign_in(email)
    page = await browser.get(PAGE)
    assert page.status_code == 200
    assert "2027 年尚未覆盖" in page.text
    assert f'action="{PAGE}/overrides"' not in page.text
    assert f'action="{PAGE}/bulk"' not in page.text
    refused = await browser.submit(f"{PAGE}/overrides", {"day": "2099-01-01", "kind": "holiday"}, csrf_from=PAGE)
    assert refused.status_code == 403
    assert await calendar.list_overrides(ADMIN, year=2099) == []


async def test_store_staff_never_see_the_calendar_pages(new_browser: Any, store_a: Any) -> None:
    browser = await new_browser()
    await browser.sign_in(store_a.manager_email)
    assert (await browser.get(PAGE)).status_code == 403


async def test_anonymous_visitors_are_sent_to_sign_in(new_browser: Any) -> None:
    browser = await new_browser()
    response = await browser.get(PAGE)
    assert response.status_code in (302, 303)
    assert "/login" in response.headers["location"]


async def test_a_year_is_confirmed_from_its_page_once_a_holiday_is_entered(new_browser: Any, operator: Any,
                                                                          far_year: int) -> None:
    browser = await new_browser()
    await browser.sign_in(operator["email"])
    empty = await browser.get(f"{PAGE}?year={far_year}")
    assert f'action="{PAGE}/years/{far_year}/confirm"' not in empty.text  # nothing to confirm yet
    refused = await browser.submit(f"{PAGE}/years/{far_year}/confirm", {}, csrf_from=PAGE)
    assert refused.status_code == 422
    assert "请先录入该年的法定节假日，再确认该年份" in refused.text
    await browser.submit(f"{PAGE}/overrides", {"day": f"{far_year}-01-01", "kind": "holiday", "note": "元旦"},
                         csrf_from=PAGE)
    page = await browser.get(f"{PAGE}?year={far_year}")
    assert f'action="{PAGE}/years/{far_year}/confirm"' in page.text
    confirmed = await browser.submit(f"{PAGE}/years/{far_year}/confirm", {}, csrf_from=PAGE)
    assert confirmed.status_code == 303
    withdraw = await browser.submit(f"{PAGE}/years/{far_year}/withdraw", {"reason": ""}, csrf_from=PAGE)
    assert withdraw.status_code == 422
    assert "请填写原因" in withdraw.text
    withdrawn = await browser.submit(f"{PAGE}/years/{far_year}/withdraw", {"reason": "名单不完整"}, csrf_from=PAGE)
    assert withdrawn.status_code == 303
