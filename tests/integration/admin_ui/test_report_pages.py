"""The operators' report page: filters, totals, the CSV download; stores cannot reach it."""

from __future__ import annotations

from typing import Any

import pytest

from pawpay.platform.identity.roles import OPS_REVIEWER

pytestmark = pytest.mark.integration


async def test_operators_read_and_download_the_report(new_browser: Any, make_operator: Any, store_a: Any) -> None:
    ops = await new_browser()
    await ops.sign_in(await make_operator(OPS_REVIEWER))
    page = await ops.get("/ops/reports?since=2026-09-01&until=2026-12-31&period=month")
    assert page.status_code == 200
    assert "平台服务费收入" in page.text  # zh-CN first
    assert "/ops/reports/money.csv?since=2026-09-01&amp;until=2026-12-31&amp;period=month" in page.text
    csv_file = await ops.get("/ops/reports/money.csv?since=2026-09-01&until=2026-12-31&period=week")
    assert csv_file.status_code == 200
    assert csv_file.headers["content-type"].startswith("text/csv")
    bad = await ops.get("/ops/reports?since=2026-12-01&until=2026-09-01")
    assert bad.status_code == 422
    store = await new_browser()
    await store.sign_in(store_a.manager_email)
    assert (await store.get("/ops/reports")).status_code in (401, 403)
