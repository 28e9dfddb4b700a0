"""A settlement statement as CSV (UTF-8 with BOM, so spreadsheet apps read the Chinese headers)
and as XLSX (openpyxl). Amounts are written in fen (integers) and yuan (two decimals, text-exact)."""

from __future__ import annotations

import csv
import io
from typing import Any

from pawpay.platform.settlement.services import StatementView

HEADERS = ["release_id", "attempt_id", "contract_ref", "collected_on", "releasable_on", "gross_fen", "fee_fen",
           "refund_fen", "deposit_fen", "release_fen", "status", "provider_reference", "error_code", "split_fen",
           "split_ref"]
ZH_HEADERS = ["放款编号", "扣款编号", "合同", "扣款日", "可放款日", "扣款金额(分)", "平台服务费(分)", "退款(分)",
              "保证金留存(分)", "放款金额(分)", "状态", "支付机构流水", "错误码", "垫资还款分账(分)", "垫资编号"]
TOTAL_FIELDS = ["gross_fen", "fee_fen", "refund_fen", "deposit_fen", "release_fen"]


def _rows(view: StatementView) -> list[list[Any]]:
    rows = []
    for line in view.lines:
        rows.append([line.release_id, line.attempt_id, line.contract_ref, line.collected_on.isoformat(),
                     line.releasable_on.isoformat(), line.gross_fen, line.fee_fen, line.refund_fen, line.deposit_fen,
                     line.release_fen, line.status, line.provider_reference, line.error_code, line.split_fen,
                     line.split_ref])
    return rows


def _totals(view: StatementView) -> list[Any]:
    sums = {f: sum(getattr(line, f) for line in view.lines) for f in TOTAL_FIELDS}
    # Released counts only what the provider confirmed.
    sums["release_fen"] = sum(line.release_fen for line in view.lines if line.status == "succeeded")
    split = sum(line.split_fen for line in view.lines if line.status == "succeeded")
    return ["合计 total", len(view.lines), "", "", "", *(sums[f] for f in TOTAL_FIELDS), view.batch.status, "", "",
            split, ""]


def filename(view: StatementView, ext: str) -> str:
    return f"settlement-{view.batch.business_day:%Y%m%d}-{str(view.batch.tenant_id)[:8]}.{ext}"


def statement_csv(view: StatementView) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["business_day", view.batch.business_day.isoformat(), "store", str(view.batch.tenant_id)])
    writer.writerow(ZH_HEADERS)
    writer.writerow(HEADERS)
    for row in _rows(view):
        writer.writerow([_safe(c) for c in row])
    writer.writerow(_totals(view))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _safe(value: Any) -> Any:
    # CSV injection: a text cell starting with = + - @ is read as a formula by spreadsheet apps.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def statement_xlsx(view: StatementView) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "statement"
    sheet.append(["结算日 business day", view.batch.business_day.isoformat()])
    sheet.append(["门店 store", view.batch.tenant_name or str(view.batch.tenant_id)])
    sheet.append(["状态 status", view.batch.status])
    sheet.append([])
    sheet.append(ZH_HEADERS)
    sheet.append(HEADERS)
    for cell in sheet[5] + sheet[6]:
        cell.font = Font(bold=True)
    for row in _rows(view):
        sheet.append([_safe(c) for c in row])
    sheet.append(_totals(view))
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for column, width in zip("ABCDEFGHIJKLMNO", (44, 24, 16, 12, 12, 14, 14, 12, 14, 14, 12, 30, 16, 14, 24),
                             strict=True):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
