"""Bodies of the reports API."""

from __future__ import annotations

import uuid
from datetime import date

import msgspec


class ReportRowOut(msgspec.Struct):
    tenant_id: uuid.UUID
    tenant_name: str
    period_start: date
    fee_income_fen: int
    released_fen: int
    refunds_fen: int
    deposit_withheld_fen: int
    deposit_released_fen: int
    advances_funded_fen: int
    advances_repaid_fen: int
    advances_defaulted_fen: int


class MoneyReportOut(msgspec.Struct):
    since: date
    until: date
    period: str
    rows: list[ReportRowOut]
    totals: dict[str, int]
    by_store: list[ReportRowOut]
