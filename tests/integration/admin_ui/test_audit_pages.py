"""The audit-log pages: a store's own entries (filtered, paginated, with diffs) and the operators' view."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from pawpay.platform.clock import utcnow
from pawpay.platform.testing.plugin import create_store

pytestmark = pytest.mark.integration


def entry_actions(html: str) -> list[str]:
    return re.findall(r'<td data-label="[^"]+"><code>([^<]+)</code></td>', html)


@pytest.fixture
async def fresh_store():
    """A store of this test's own, so that its first audit page holds exactly its seed entries
    (the shared ``store_a`` collects entries from every other test)."""
    return await create_store()


async def test_store_audit_log_lists_own_entries_with_diffs(browser, fresh_store) -> None:
    store_a = fresh_store
    await browser.sign_in(store_a.manager_email)
    page = await browser.get("/admin/audit")
    assert page.status_code == 200
    actions = entry_actions(page.text)
    assert "tenant.created" in actions
    assert "account.created" in actions
    assert "session.login" in actions
    assert f"<ins>{store_a.manager_email}</ins>" in page.text  # the after-snapshot of account.created
    assert str(store_a.manager_id) in page.text


async def test_filters_narrow_the_list(browser, fresh_store) -> None:
    store_a = fresh_store
    await browser.sign_in(store_a.manager_email)
    by_action = await browser.get("/admin/audit", params={"action": "session."})
    assert by_action.status_code == 200
    actions = entry_actions(by_action.text)
    assert "session.login" in actions
    assert all(action.startswith("session.") for action in actions)
    assert 'value="session."' in by_action.text  # the filter form keeps its values
    by_target = await browser.get("/admin/audit", params={"target_type": "tenant"})
    assert "tenant.created" in entry_actions(by_target.text)
    assert "account.created" not in entry_actions(by_target.text)
    by_actor = await browser.get("/admin/audit", params={"actor": str(store_a.manager_id)})
    assert entry_actions(by_actor.text)
    assert "tenant.created" not in entry_actions(by_actor.text)  # that was the fixture, not the manager
    today = utcnow().date()
    in_range = await browser.get("/admin/audit", params={"since": str(today - timedelta(days=1)),
                                                         "until": str(today + timedelta(days=1))})
    assert "tenant.created" in entry_actions(in_range.text)
    future = await browser.get("/admin/audit", params={"since": str(today + timedelta(days=2))})
    assert entry_actions(future.text) == []
    assert "没有符合条件的记录" in future.text


async def test_pagination_links_keep_the_filters(browser, store_a) -> None:
    await browser.sign_in(store_a.manager_email)
    first = await browser.get("/admin/audit", params={"action": "", "limit": "1"})
    assert len(entry_actions(first.text)) == 1
    total = int(re.search(r"第 1–1 条，共 (\d+) 条", first.text).group(1))
    assert total >= 3
    next_link = re.search(r'<a rel="next" class="button secondary" href="([^"]+)"', first.text).group(1)
    assert "limit=1" in next_link
    assert "offset=1" in next_link
    second = await browser.get(next_link.replace("&amp;", "&"))
    assert "第 2–2 条" in second.text
    assert 'rel="prev"' in second.text


@pytest.mark.parametrize("params", [
    {"since": "2026-13-40"}, {"actor": "not-a-uuid"}, {"limit": "5000"}, {"offset": "-1"},
    {"since": "2026-05-02", "until": "2026-05-01"},
])
async def test_bad_filters_show_an_error_not_a_crash(browser, store_a, params) -> None:
    await browser.sign_in(store_a.manager_email)
    page = await browser.get("/admin/audit", params=params)
    assert page.status_code == 422
    assert 'class="field-error"' in page.text
    assert entry_actions(page.text) == []


async def test_a_store_never_sees_another_stores_entries(new_browser, store_a, store_b) -> None:
    browser_b = await new_browser()
    await browser_b.sign_in(store_b.manager_email)
    page = await browser_b.get("/admin/audit", params={"limit": "200"})
    assert page.status_code == 200
    assert store_a.manager_email not in page.text
    assert str(store_a.tenant_id) not in page.text
    probe = await browser_b.get("/admin/audit", params={"target_id": str(store_a.manager_id)})
    assert entry_actions(probe.text) == []
    probe_actor = await browser_b.get("/admin/audit", params={"actor": str(store_a.manager_id)})
    assert entry_actions(probe_actor.text) == []
    # The actor picker lists only this store's staff.
    assert store_b.manager_email in page.text


async def test_operators_see_every_store_and_can_filter_by_store(new_browser, store_a, store_b, operator) -> None:
    browser = await new_browser()
    await browser.sign_in(operator["email"])
    everything = await browser.get("/ops/audit", params={"action": "tenant.", "limit": "200"})
    assert everything.status_code == 200
    assert store_a.name in everything.text
    assert store_b.name in everything.text
    only_a = await browser.get("/ops/audit", params={"action": "tenant.", "store": str(store_a.tenant_id)})
    assert "tenant.created" in entry_actions(only_a.text)
    body = only_a.text.split("<tbody>", 1)[1]
    assert store_a.slug in body
    assert store_b.slug not in body
