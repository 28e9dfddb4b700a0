"""The contract PDF: the adoption agreement (领养协议) and the debit authorisation (月付代扣授权协议)
in Chinese, with the key terms in bold and the total price shown.

The font is Noto Sans CJK SC from the ``mplfonts`` package (fpdf2 embeds a subset of it). The CJK
font has no bold face, so "bold" is drawn as fill + stroke (fpdf2's ``FILL_STROKE`` text mode),
which every viewer renders heavier. The PDF is deterministic for the same contract (fixed creation
date and file id), so its sha256 identifies exactly what the customer was shown.

Speed: the full font is 16 MB with 65,535 glyphs, and fpdf2 parses and subsets it for every
document (~0.4-0.7 s, in the signing flow). :func:`render_cjk` first uses the *common cut* — the
font cut once to ASCII, Latin-1 and GB2312 (6,763 hanzi, CJK punctuation, full-width forms; 3.4 MB),
kept in a private directory of the system's temporary directory and shared by the user's processes
— about 5x faster (the full font alone when the cut cannot be made);
a document with a character outside it (a rare name such as 喆 or 堃) is rendered again with the
full font, so nothing is ever drawn without its glyph.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from pawpay.tenants.contracts.rules import first_due_rule_zh, format_fen

if TYPE_CHECKING:
    from fpdf import FPDF

log = logging.getLogger(__name__)

FONT_FAMILY = "NotoSansCJK"
# Bump when the common cut's characters change (it names the cached file).
COMMON_CUT_VERSION = 1


@cache
def font_path() -> str:
    import mplfonts

    path = Path(mplfonts.__file__).parent / "fonts" / "NotoSansCJKsc-Regular.otf"
    if not path.exists():  # pragma: no cover - a broken install
        raise RuntimeError(f"the CJK font is missing: {path}")
    return str(path)


def common_characters() -> set[int]:
    """The code points of the common cut: ASCII, Latin-1 and every character of GB2312."""
    chars = set(range(0x20, 0x7F)) | set(range(0xA0, 0x100))
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                chars.add(ord(bytes((high, low)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return chars


def common_font_path() -> str | None:
    """The common cut of the font (see the module's docstring), or None when it cannot be had (the
    full font is then used): made once (several seconds) into a private directory of the system's
    temporary directory (``pawpay-fonts-<uid>``, mode 0700, checked to be ours: nobody else may
    swap the glyphs of a legal document), then found there by every process of the user."""
    try:
        return str(_common_cut())
    except Exception:  # a read-only or full disk, a directory not ours: never fail a contract for it
        log.warning("the contracts' font cut is unavailable; using the full font", exc_info=True)
        return None


def _common_cut() -> Path:
    import fontTools

    source = Path(font_path())
    stat = source.stat()
    key = hashlib.sha256(f"{source}|{stat.st_size}|{stat.st_mtime_ns}|{fontTools.version}|{COMMON_CUT_VERSION}"
                         .encode()).hexdigest()[:16]
    directory = Path(tempfile.gettempdir()) / f"pawpay-fonts-{os.getuid()}"
    directory.mkdir(mode=0o700, exist_ok=True)
    info = directory.stat()
    if info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise PermissionError(f"{directory} is not a private directory of this user")
    target = directory / f"NotoSansCJKsc-common-{key}.otf"
    if not target.exists():  # checked every time: a temp cleaner may have removed it
        _make_cut(source, target)
    return target


def _make_cut(source: Path, target: Path) -> None:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    log.info("preparing the contracts' font (once per machine, a few seconds)", extra={"path": str(target)})
    options = subset.Options()
    options.notdef_outline = True
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.recalc_timestamp = False
    font = TTFont(str(source), recalcTimestamp=False)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=common_characters())
    subsetter.subset(font)
    # Written aside, then renamed: a concurrent process never reads half a font.
    fd, partial = tempfile.mkstemp(dir=target.parent, suffix=".partial")
    os.close(fd)
    try:
        font.save(partial)
        os.replace(partial, target)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)


def render_cjk(build: Callable[[FPDF], None]) -> bytes:
    """A PDF in Chinese: ``build`` draws on a fresh A4 document whose font family ``FONT_FAMILY`` is
    the CJK font — the common cut, or the full font when the text needs a glyph outside it."""
    from fpdf import FPDF

    common = common_font_path()
    for path in ([common] if common else []) + [font_path()]:
        pdf = FPDF(format="A4")
        pdf.add_font(FONT_FAMILY, "", path)
        build(pdf)
        # fpdf2 notes each character it had no glyph for while laying the text out.
        if path == font_path() or not any(getattr(f, "missing_glyphs", None) for f in pdf.fonts.values()):
            return bytes(pdf.output())
    raise AssertionError("unreachable")  # pragma: no cover


@dataclass(frozen=True, slots=True)
class PdfContent:
    store_name: str
    contract_no: str
    customer_name: str
    id_number_masked: str
    phone_masked: str
    pet_name: str
    pet_species: str
    pet_breed: str
    plan_name: str
    periods: int
    monthly_amount_fen: int
    total_fen: int
    debit_day: int
    penalty_rate_bp: int
    cooling_off_days: int
    contents_text: str
    gift_text: str
    created_at: datetime


def _fixed_time(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(microsecond=0)


def render(content: PdfContent) -> bytes:
    """The contract's PDF (deterministic for the same content)."""
    return render_cjk(lambda pdf: _draw(pdf, content))


def _draw(pdf: FPDF, content: PdfContent) -> None:  # noqa: PLR0915 - one document, top to bottom
    from fpdf.enums import TextMode

    pdf.set_creation_date(_fixed_time(content.created_at))
    pdf.file_id = lambda: f"<{hashlib.sha256(content.contract_no.encode()).hexdigest()[:32].upper()}>" * 2  # type: ignore[method-assign]
    pdf.set_title(f"宠物领养月付协议 {content.contract_no}")
    pdf.set_author(content.store_name)
    pdf.set_subject(f"总价 人民币 {format_fen(content.total_fen)} 元")
    pdf.set_creator("pawpay")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    width = pdf.epw

    def heading(text: str, size: int = 16) -> None:
        pdf.set_font(FONT_FAMILY, size=size)
        pdf.text_mode = TextMode.FILL_STROKE
        pdf.set_line_width(0.25)
        pdf.multi_cell(width, 10, text, align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.text_mode = TextMode.FILL

    def para(text: str, size: int = 11) -> None:
        pdf.set_font(FONT_FAMILY, size=size)
        pdf.text_mode = TextMode.FILL
        pdf.multi_cell(width, 7, text, new_x="LMARGIN", new_y="NEXT")

    def term(label: str, value: str) -> None:
        """A key term: the label plain, the value in (stroked) bold."""
        pdf.set_font(FONT_FAMILY, size=11)
        pdf.text_mode = TextMode.FILL
        pdf.write(7, f"{label}：")
        pdf.text_mode = TextMode.FILL_STROKE
        pdf.set_line_width(0.2)
        pdf.write(7, value)
        pdf.text_mode = TextMode.FILL
        pdf.ln(7)

    amount = format_fen(content.monthly_amount_fen)
    total = format_fen(content.total_fen)
    penalty_pct = f"{content.penalty_rate_bp / 100:g}%"
    species = {"cat": "猫", "dog": "狗"}.get(content.pet_species, content.pet_species)

    heading("宠物领养协议")
    para(f"合同编号：{content.contract_no}")
    para(f"甲方（门店）：{content.store_name}")
    para(f"乙方（领养人）：{content.customer_name}    身份证号：{content.id_number_masked}    "
         f"手机：{content.phone_masked}")
    para(f"领养宠物：{content.pet_name}（{species}{'，' + content.pet_breed if content.pet_breed else ''}）")
    para(f"月付套餐：{content.plan_name}")
    pdf.ln(2)
    heading("关键条款", size=13)
    term("期数", f"{content.periods} 期（每月一期）")
    term("每期金额", f"人民币 {amount} 元")
    term("总价", f"人民币 {total} 元（{content.periods} 期 × {amount} 元）")
    term("扣款日", f"每月 {content.debit_day} 日")
    term("首期扣款", first_due_rule_zh(content.debit_day, content.cooling_off_days))
    term("冷静期", f"签约后 {content.cooling_off_days} 天内可无责取消，已付款项全额退还")
    term("提前解约", f"解约时须支付剩余未付期数总额的 {penalty_pct} 作为违约金")
    pdf.ln(2)
    para(f"每期内容：{content.contents_text or '以套餐为准'}")
    if content.gift_text:
        para(f"签约礼品：{content.gift_text}")
    para("套餐余额仅可用于宠物食品、用品及服务，不可提现。宠物年龄跨越阶段时，下一期自动按下一阶段套餐配送。")
    para("乙方确认已阅读并理解上述全部条款，特别是以粗体标示的期数、金额、总价、扣款日、解约规则及违约金。")
    pdf.ln(4)
    heading("月付代扣授权协议")
    para(f"乙方授权甲方通过乙方选择的支付渠道，于每月 {content.debit_day} 日自动扣收当期款项，"
         f"共 {content.periods} 期，每期人民币 {amount} 元，合计人民币 {total} 元。")
    term("授权扣款总额", f"人民币 {total} 元")
    term("单期扣款金额", f"人民币 {amount} 元")
    para("扣款前将按支付渠道的规定提前通知。扣款失败时，甲方将按约定重试，不会以征信上报相威胁。"
         "乙方可在冷静期内取消授权而不承担任何费用。")
    para("本协议以电子签名方式签署，与纸质签署具有同等法律效力。签署证据（文件哈希、签署时间、IP、设备、"
         "实名与人脸核验记录）保存至合同结束后至少三年。")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
