"""The operators' money report against the real database: fee income, releases, refunds, deposit
and advances per store and period (store-local dates), totals, CSV, and the API's access rule."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

import pytest

from pawpay.platform.advances import services as advances
from pawpay.platform.errors import ValidationFailed
from pawpay.platform.reports import services as reports
from pawpay.platform.settlement import services as settlement
from tests.integration.money_books import OPS, beijing, new_books

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("pawpay_database")]


async def test_the_money_report_by_store_and_period(frozen: Any) -> None:
    books = await new_books()
    await books.sign("C-1", 240_000)
    frozen(beijing(2026, 9, 30, 12))
    await advances.request_advance_for_contract(books.ctx, contract_ref="C-1", total_fen=240_000,
                                                terms_version=books.terms_version, periods=12,
                                                first_due_on=date(2026, 10, 14))
    await books.collect("C-1", 20_000, beijing(2026, 9, 29), fee=600)     # released 30 Sep (T+1), split
    await books.collect("C-1", 30_000, beijing(2026, 10, 9, 9), fee=900)  # released 10 Oct
    frozen(beijing(2026, 9, 30, 6))
    await settlement.run_settlement_batch(books.ctx, date(2026, 9, 30))
    frozen(beijing(2026, 10, 10, 6))
    await settlement.run_settlement_batch(books.ctx, date(2026, 10, 10))
    report = await reports.money_report(OPS, since=date(2026, 9, 1), until=date(2026, 10, 31), period="month",
                                        tenant_id=books.ctx.tenant_id)
    assert [(r.period_start, r.fee_income_fen, r.released_fen, r.advances_repaid_fen, r.advances_funded_fen)
            for r in report.rows] == [(date(2026, 9, 1), 600, 0, 19_400, 108_000),
                                      (date(2026, 10, 1), 900, 0, 29_100, 0)]
    assert report.totals["fee_income_fen"] == 1_500
    assert report.totals["advances_repaid_fen"] == 48_500
    assert [s.fee_income_fen for s in report.by_store] == [1_500]
    daily = await reports.money_report(OPS, since=date(2026, 10, 1), until=date(2026, 10, 31), period="day",
                                       tenant_id=books.ctx.tenant_id)
    assert {r.period_start for r in daily.rows} == {date(2026, 10, 9), date(2026, 10, 10)}
    weekly = await reports.money_report(OPS, since=date(2026, 9, 1), until=date(2026, 10, 31), period="week",
                                        tenant_id=books.ctx.tenant_id)
    assert all(r.period_start.weekday() == 0 for r in weekly.rows)
    rows = list(csv.reader(io.StringIO(reports.report_csv(report).decode("utf-8-sig"))))
    assert rows[2][:4] == ["store", "store_id", "period_start", "fee_income_fen"]
    assert rows[-1][3] == "1500"
    with pytest.raises(ValidationFailed):
        await reports.money_report(OPS, since=date(2026, 10, 2), until=date(2026, 10, 1))
    with pytest.raises(ValidationFailed):
        await reports.money_report(OPS, since=date(2026, 10, 1), until=date(2026, 10, 2), period="year")


async def test_the_report_api_is_for_operators(http: Any, signed_in: Any, operator: dict[str, Any],
                                               frozen: Any) -> None:
    response = await http.get("/api/v1/ops/reports/money?since=2026-10-01&until=2026-10-31")
    assert response.status_code == 401
    async with signed_in(operator["email"]) as client:
        response = await client.get("/api/v1/ops/reports/money?since=2026-10-01&until=2026-10-31&period=week")
        assert response.status_code == 200, response.text
        assert response.json()["period"] == "week"
        download = await client.get("/api/v1/ops/reports/money.csv?since=2026-10-01&until=2026-10-31")
        assert download.status_code == 200
        assert download.headers["content-type"].startswith("text/csv")
        assert (await client.get("/api/v1/ops/reconciliation/differences")).status_code == 200
        assert (await client.get("/api/v1/ops/advances/totals")).status_code == 200
