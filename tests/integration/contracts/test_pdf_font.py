"""The contracts' CJK font: the common cut serves everyday text, the full font any rarer character.

No database here, but the PDF helpers live with the contracts' integration tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from pawpay.tenants.contracts import pdf
from tests.integration.contracts.conftest import pdf_text

pytestmark = [pytest.mark.integration]


def _line(text: str, fonts_used: list[str]) -> Any:
    def draw(doc: Any) -> None:
        doc.add_page()
        doc.set_font(pdf.FONT_FAMILY, size=12)
        doc.multi_cell(0, 8, text)
        fonts_used.append(str(next(iter(doc.fonts.values())).ttffile))

    return draw


def test_everyday_text_uses_the_common_cut_and_a_rare_name_the_full_font() -> None:
    used: list[str] = []
    data = pdf.render_cjk(_line("乙方：张三，月付 298.00 元（第1期）", used))
    assert used == [pdf.common_font_path()]
    assert pdf_text(data) == "乙方：张三，月付 298.00 元（第1期）"

    used = []
    rare = pdf.render_cjk(_line("乙方：王喆 李堃", used))
    assert used == [pdf.common_font_path(), pdf.font_path()], "laid out again with the full font"
    assert pdf_text(rare) == "乙方：王喆 李堃", "every character drawn with its glyph"


def test_the_common_cut_is_smaller_and_holds_every_character_of_the_contract() -> None:
    from pathlib import Path

    common = pdf.common_font_path()
    assert common is not None
    assert Path(common).stat().st_size * 3 < Path(pdf.font_path()).stat().st_size
    content = pdf.PdfContent(
        store_name="爱宠之家", contract_no="PP-20261122-0001", customer_name="张三",
        id_number_masked="1101**********1234", phone_masked="139****0000", pet_name="咪咪", pet_species="cat",
        pet_breed="英短", plan_name="幼猫月付套餐",
        periods=12, monthly_amount_fen=29_800, total_fen=357_600, debit_day=10, penalty_rate_bp=1000,
        cooling_off_days=7, contents_text="幼猫粮 ×2", gift_text="猫砂盆", created_at=datetime(2026, 11, 2, tzinfo=UTC))
    text = pdf_text(pdf.render(content))
    assert "月付代扣授权协议" in text
    assert "?" not in text.replace("？", "")
    assert {ord(ch) for ch in text if not ch.isspace()} <= pdf.common_characters()


def test_a_cut_directory_that_is_not_private_is_not_trusted(tmp_path: Any, monkeypatch: Any) -> None:
    """Another local user could swap the glyphs of a legal document: the full font is used instead."""
    import os
    import tempfile

    shared = tmp_path / f"pawpay-fonts-{os.getuid()}"
    shared.mkdir()
    shared.chmod(0o777)
    monkeypatch.setattr(tempfile, "gettempdir", lambda: str(tmp_path))
    assert pdf.common_font_path() is None
    used: list[str] = []
    data = pdf.render_cjk(_line("乙方：张三", used))
    assert used == [pdf.font_path()]
    assert pdf_text(data) == "乙方：张三"


def test_the_termination_agreement_is_the_same_bytes_for_the_same_ending() -> None:
    from pawpay.tenants.dunning.endings import render_termination_pdf, termination_text

    lines = termination_text("爱宠之家", "PP-20261122-0001", 357_600, 35_760, "搬家到外地", rate_bp=1000)
    at = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    first = render_termination_pdf(lines, created_at=at, document_id="termination-1")
    assert first == render_termination_pdf(lines, created_at=at, document_id="termination-1"), "its sha256 is evidence"
    assert first != render_termination_pdf(lines, created_at=at, document_id="termination-2")
    assert "提前解约违约金" in pdf_text(first)
