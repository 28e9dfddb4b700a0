"""``/ops/alerts``: open and resolved tabs, filters by kind and store, resolving with a required
reason (zh-CN error), every operator role; stores never get in; the dashboard shows the count."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

from pawpay.platform.alerts import services as alerts
from pawpay.platform.identity.roles import OPS_REVIEWER
from pawpay.platform.tenancy.context import PlatformContext

pytestmark = pytest.mark.integration

PAGE = "/ops/alerts"
OPS = PlatformContext(actor_label="test")


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


async def raise_one(kind: str | None = None, tenant_id: uuid.UUID | None = None) -> alerts.AlertView:
    marker = uuid.uuid4().hex[:10]
    return await alerts.raise_alert(OPS, key=f"test.{marker}", kind=kind or f"test.{marker}",
                                    message=f"alert {marker}", tenant_id=tenant_id)


async def test_open_alerts_are_listed_and_filtered(new_browser: Any, operator: Any, store_a: Any,
                                                   store_b: Any) -> None:
    kind = f"test.pages.{uuid.uuid4().hex[:6]}"
    for_a = await raise_one(kind, store_a.tenant_id)
    for_b = await raise_one(kind, store_b.tenant_id)
    browser = await new_browser()
    await browser.sign_in(operator["email"])
    page = await browser.get(PAGE)
    assert page.status_code == 200
    assert for_a.message in page.text
    assert for_b.message in page.text
    by_kind = await browser.get(PAGE, params={"kind": kind})
    assert for_a.message in by_kind.text
    by_store = await browser.get(PAGE, params={"kind": kind, "store": str(store_a.tenant_id)})
    assert for_a.message in by_store.text
    assert for_b.message not in by_store.text
    assert (await browser.get(PAGE, params={"store": "not-a-uuid"})).status_code == 422
    for alert in (for_a, for_b):
        await alerts.resolve_alert(OPS, alert.id, reason="test cleanup")


async def test_resolving_needs_a_reason_then_moves_to_the_resolved_tab(new_browser: Any, make_operator: Any) -> None:
    alert = await raise_one()
    email = await make_operator(OPS_REVIEWER)  # every operator role may resolve
    browser = await new_browser()
    await browser.sign_in(email)
    refused = await browser.submit(f"{PAGE}/{alert.id}/resolve", {"reason": "  "}, csrf_from=PAGE)
    assert refused.status_code == 422
    assert "请填写原因" in refused.text
    assert (await alerts.get_alert(OPS, alert.id)).is_open
    done = await browser.submit(f"{PAGE}/{alert.id}/resolve", {"reason": "已电话联系门店"}, csrf_from=PAGE)
    assert done.status_code == 303
    assert done.headers["location"] == PAGE
    after = await browser.get(PAGE)
    assert "提醒已处理" in after.text  # the flash
    assert f'action="{PAGE}/{alert.id}/resolve"' not in after.text
    resolved = await browser.get(PAGE, params={"status": "resolved", "kind": alert.kind})
    assert alert.message in resolved.text
    assert "已电话联系门店" in resolved.text
    again = await browser.submit(f"{PAGE}/{alert.id}/resolve", {"reason": "again"}, csrf_from=PAGE)
    assert again.status_code == 422
    assert "该提醒已处理" in again.text
    missing = await browser.submit(f"{PAGE}/{uuid.uuid4()}/resolve", {"reason": "x"}, csrf_from=PAGE)
    assert missing.status_code == 404


async def test_the_dashboard_counts_open_alerts(new_browser: Any, operator: Any) -> None:
    alert = await raise_one()
    browser = await new_browser("en")
    await browser.sign_in(operator["email"])
    count = await alerts.open_alert_count(OPS)
    text = text_of((await browser.get("/ops")).text)
    assert (f"{count} open alerts need attention." in text) or (f"{count} open alert needs attention." in text)
    await alerts.resolve_alert(OPS, alert.id, reason="test cleanup")


async def test_the_calendar_alert_links_to_the_calendar(new_browser: Any, operator: Any) -> None:
    alert = await alerts.raise_alert(OPS, key=f"calendar.coverage.test-{uuid.uuid4().hex[:6]}",
                                     kind="calendar.coverage", message="2027 cannot be classified")
    browser = await new_browser()
    await browser.sign_in(operator["email"])
    page = await browser.get(PAGE, params={"kind": "calendar.coverage"})
    assert "营业日历覆盖" in page.text
    assert 'href="/ops/calendar"' in page.text
    await alerts.resolve_alert(OPS, alert.id, reason="test cleanup")


async def test_store_staff_never_see_alerts(new_browser: Any, store_a: Any) -> None:
    alert = await raise_one(tenant_id=store_a.tenant_id)
    browser = await new_browser()
    await browser.sign_in(store_a.manager_email)
    assert (await browser.get(PAGE)).status_code == 403
    response = await browser.client.post(f"{PAGE}/{alert.id}/resolve", data={"reason": "x",
                                                                             "_csrf": await browser.csrf()})
    assert response.status_code == 403
    assert (await alerts.get_alert(OPS, alert.id)).is_open
    await alerts.resolve_alert(OPS, alert.id, reason="test cleanup")
