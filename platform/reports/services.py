"""Operators' money reports: platform fee income, releases, deposits and advances by store and
period (day, ISO week, month; store-local dates), with totals and a CSV. Built from the ledger's
movements (``ledger.ops_movements``) and the services of deposits and advances, never their tables.

    from pawpay.platform.reports import services as reports

    report = await reports.money_report(pctx, since=date(2026, 9, 1), until=date(2026, 11, 30), period="month")
    body = reports.report_csv(report)
"""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

from pawpay.platform.errors import ValidationFailed
from pawpay.platform.ledger import services as ledger
from pawpay.platform.tenancy.context import PlatformContext

MAX_DAYS = 3 * 366
PERIODS = ("day", "week", "month")
ADVANCE_BEARERS = ("advance_owed_by_store", "advance_default_platform", "advance_default_partner")
CODES = ("platform_fee", "store_funds_released", "deposit_held", "advance_received", "advance_outstanding",
         "refunds", *ADVANCE_BEARERS)
COLUMNS = ("fee_income_fen", "released_fen", "refunds_fen", "deposit_withheld_fen", "deposit_released_fen",
           "advances_funded_fen", "advances_repaid_fen", "advances_defaulted_fen")
ZH_COLUMNS = ("平台服务费收入(分)", "放款(分)", "退款(分)", "保证金留存(分)", "保证金释放(分)", "垫资放款(分)",
              "垫资还款(分)", "垫资违约(分)")


@dataclass(frozen=True, slots=True)
class ReportRow:
    tenant_id: uuid.UUID
    tenant_name: str
    period_start: date
    fee_income_fen: int = 0
    released_fen: int = 0
    refunds_fen: int = 0
    deposit_withheld_fen: int = 0
    deposit_released_fen: int = 0
    advances_funded_fen: int = 0
    advances_repaid_fen: int = 0
    advances_defaulted_fen: int = 0


@dataclass(frozen=True, slots=True)
class MoneyReport:
    since: date
    until: date
    period: str
    rows: list[ReportRow]
    totals: dict[str, int] = field(default_factory=dict)
    by_store: list[ReportRow] = field(default_factory=list)


def check_range(since: date, until: date, period: str) -> None:
    if period not in PERIODS:
        raise ValidationFailed("the period is day, week or month", field="period")
    if since > until:
        raise ValidationFailed("the start is after the end", field="since")
    if until - since > timedelta(days=MAX_DAYS):
        raise ValidationFailed("at most three years at a time", field="until")


async def money_report(ctx: PlatformContext, *, since: date, until: date, period: str = "day",
                       tenant_id: uuid.UUID | None = None) -> MoneyReport:
    """Per store and period: fee income (the stores' ``platform_fee``, net of reversals), releases
    to the stores (batch and deposit releases), refunds, deposit withheld / released, advances
    funded, repaid (by split) and defaulted; with totals per store and overall."""
    check_range(since, until, period)
    moves = await ledger.ops_movements(ctx, codes=CODES, since=since, until=until, bucket=period,
                                       tenant_id=tenant_id)
    cells: dict[tuple[uuid.UUID, date], dict[str, int]] = {}
    names: dict[uuid.UUID, str] = {}
    for m in moves:
        names[m.tenant_id] = m.tenant_name
        c = cells.setdefault((m.tenant_id, m.period_start), dict.fromkeys(COLUMNS, 0))
        if m.account_code == "platform_fee":
            c["fee_income_fen"] += m.debit_fen - m.credit_fen
        elif m.account_code == "store_funds_released":
            c["released_fen"] += m.debit_fen
        elif m.account_code == "refunds":
            c["refunds_fen"] += m.debit_fen - m.credit_fen
        elif m.account_code == "deposit_held":
            c["deposit_withheld_fen"] += m.debit_fen
            c["deposit_released_fen"] += m.credit_fen
        elif m.account_code == "advance_received":
            c["advances_funded_fen"] += m.debit_fen - m.credit_fen
        elif m.account_code == "advance_outstanding":
            c["advances_repaid_fen"] += m.debit_fen  # defaults are taken out below
        elif m.account_code in ADVANCE_BEARERS:
            c["advances_defaulted_fen"] += m.credit_fen
            c["advances_repaid_fen"] -= m.credit_fen
    rows = [ReportRow(tenant_id=t, tenant_name=names[t], period_start=p, **c)
            for (t, p), c in sorted(cells.items(), key=lambda kv: (kv[0][1], names[kv[0][0]], str(kv[0][0])))]
    totals = {col: sum(getattr(r, col) for r in rows) for col in COLUMNS}
    stores: dict[uuid.UUID, dict[str, int]] = {}
    for r in rows:
        s = stores.setdefault(r.tenant_id, dict.fromkeys(COLUMNS, 0))
        for col in COLUMNS:
            s[col] += getattr(r, col)
    by_store = [ReportRow(tenant_id=t, tenant_name=names[t], period_start=since, **s)
                for t, s in sorted(stores.items(), key=lambda kv: (names[kv[0]], str(kv[0])))]
    return MoneyReport(since=since, until=until, period=period, rows=rows, totals=totals, by_store=by_store)


def _safe(value: object) -> object:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def report_csv(report: MoneyReport) -> bytes:
    """UTF-8 with BOM, zh-CN and English header rows, a totals row; formula-like cells are quoted."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["since", report.since.isoformat(), "until", report.until.isoformat(), "period", report.period])
    writer.writerow(["门店", "门店编号", "期间", *ZH_COLUMNS])
    writer.writerow(["store", "store_id", "period_start", *COLUMNS])
    for r in report.rows:
        writer.writerow([_safe(r.tenant_name), str(r.tenant_id), r.period_start.isoformat(),
                         *(getattr(r, c) for c in COLUMNS)])
    writer.writerow(["合计 total", "", "", *(report.totals.get(c, 0) for c in COLUMNS)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def filename(report: MoneyReport) -> str:
    return f"pawpay-money-{report.period}-{report.since:%Y%m%d}-{report.until:%Y%m%d}.csv"
