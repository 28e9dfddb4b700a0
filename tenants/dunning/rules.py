"""Dunning rules as pure functions (no I/O): the default ladder, quiet hours, step times, the
forbidden-phrase review of templates, the termination penalty and the pro-rata settlement.

**Ladder timing.** Day offsets count from the case's opening (the first failed attempt, an aware
UTC time). Step ``d`` is due at ``opened_at + d days``; when that falls in quiet hours
(22:00-08:00 store-local) it is deferred to the next 08:00 store-local. While an extension or a
staff pause runs, the next step waits until it ends.

**Penalty** (early termination): the plan's stated rule, ``penalty_rate_bp`` (10% = 1000 bp) of
the remaining total (the open installments), integer fen, rounded half up.

**Pro rata** (pet death or loss): periods already paid stay paid; open installments due on or
before the event date are owed in full (the period was delivered); open installments due after it
are cancelled without penalty. No partial-period proration: a period is one box, released or not.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

QUIET_START: Final = time(22, 0)
QUIET_END: Final = time(8, 0)
ACTIONS: Final = ("sms", "mini_program", "task", "extension_offer", "escalate")
CONTACT_ACTIONS: Final = frozenset({"sms", "mini_program", "extension_offer"})
OVERDUE_AFTER_DAYS: Final = 3
EXTENSION_DAYS: Final = 7
BP: Final = 10_000


@dataclass(frozen=True, slots=True)
class StepSpec:
    day_offset: int
    action: str
    template_code: str = ""
    assignee_role: str = ""


# Defaults seeded per store on first use (the store edits them in /admin).
DEFAULT_LADDER: Final = (
    StepSpec(0, "sms", "DUNNING_FAILED_SMS"),
    StepSpec(0, "mini_program", "DUNNING_FAILED_MP"),
    StepSpec(1, "sms", "DUNNING_DAY1_SMS"),
    StepSpec(3, "task", "DUNNING_FOLLOW_UP", "front_desk"),
    StepSpec(7, "extension_offer", "DUNNING_EXTENSION_SMS"),
    StepSpec(30, "escalate", "DUNNING_ESCALATE", "manager"),
)

# zh-CN defaults. Placeholders: {store} {contract_no} {sequence} {amount} {due_on} {deadline}.
DEFAULT_TEMPLATES: Final = {
    "DUNNING_FAILED_SMS": "【{store}】您的合同{contract_no}第{sequence}期月付{amount}元今日扣款未成功，"
                          "请确认扣款账户余额充足，如有疑问请联系门店。",
    "DUNNING_FAILED_MP": "合同{contract_no}第{sequence}期月付{amount}元扣款未成功，请检查扣款账户。",
    "DUNNING_DAY1_SMS": "【{store}】温馨提醒：合同{contract_no}第{sequence}期月付{amount}元尚未支付，"
                        "门店将再次尝试扣款，您也可联系门店处理。",
    "DUNNING_FOLLOW_UP": "请致电客户，了解合同{contract_no}第{sequence}期未付原因并记录。",
    "DUNNING_EXTENSION_SMS": "【{store}】为方便您安排，合同{contract_no}第{sequence}期月付{amount}元"
                             "可在{deadline}前支付，期间不收取任何违约金。",
    "DUNNING_ESCALATE": "合同{contract_no}第{sequence}期已逾期30天，请店长按合规流程处理。",
    "DUNNING_STORE_NOTICE": "合同{contract_no}第{sequence}期月付{amount}元扣款失败。",
}

# Built-in forbidden phrases (threats of credit reports, shaming, litigation as a threat, abuse).
# The store's and the operator's additions live in ``dunning_forbidden_phrase``.
DEFAULT_FORBIDDEN_PHRASES: Final = (
    "征信", "上报征信", "信用记录", "黑名单", "起诉", "法院传票", "律师函", "曝光", "通讯录", "联系家人",
    "联系单位", "后果自负", "老赖", "骗子", "滚", "废物", "去死",
)

_PLACEHOLDER: Final = re.compile(r"\{([a-z_]+)\}")
ALLOWED_PLACEHOLDERS: Final = frozenset({"store", "contract_no", "sequence", "amount", "due_on", "deadline"})


def local(at: datetime, time_zone: str) -> datetime:
    if at.tzinfo is None:
        raise ValueError("aware times only")
    return at.astimezone(ZoneInfo(time_zone))


def is_quiet(at: datetime, time_zone: str) -> bool:
    """22:00 (inclusive) to 08:00 (exclusive) store-local."""
    t = local(at, time_zone).timetz().replace(tzinfo=None)
    return t >= QUIET_START or t < QUIET_END


def out_of_quiet_hours(at: datetime, time_zone: str) -> datetime:
    """``at`` itself, or the next 08:00 store-local when ``at`` is in quiet hours (aware UTC)."""
    if not is_quiet(at, time_zone):
        return at
    here = local(at, time_zone)
    day = here.date() if here.time() < QUIET_END else here.date() + timedelta(days=1)
    return datetime.combine(day, QUIET_END, tzinfo=ZoneInfo(time_zone)).astimezone(at.tzinfo)


def step_due_at(opened_at: datetime, day_offset: int, time_zone: str, *,
                not_before: datetime | None = None) -> datetime:
    """When a step of ``day_offset`` runs: ``opened_at + day_offset days``, not before ``not_before``
    (an extension or pause), moved out of quiet hours."""
    at = opened_at + timedelta(days=day_offset)
    if not_before is not None and not_before > at:
        at = not_before
    return out_of_quiet_hours(at, time_zone)


def next_steps(steps: Sequence[StepSpec], done: Iterable[int]) -> list[int]:
    """Indexes of ``steps`` not yet run, by day offset (stable)."""
    finished = set(done)
    return sorted((i for i in range(len(steps)) if i not in finished), key=lambda i: steps[i].day_offset)


def forbidden_in(text: str, phrases: Iterable[str]) -> list[str]:
    """The forbidden phrases found in ``text`` (case-insensitive), longest first, without duplicates."""
    lowered = text.lower()
    found = {p for p in phrases if p and p.strip().lower() in lowered}
    return sorted(found, key=lambda p: (-len(p), p))


def highlight(text: str, phrases: Sequence[str]) -> str:
    """``text`` with each forbidden phrase wrapped in 【】 markers (for the field error)."""
    ordered = sorted({p for p in phrases if p}, key=len, reverse=True)
    if not ordered:
        return text
    pattern = "|".join(re.escape(p) for p in ordered)  # one pass, longest first: no nested markers
    return re.sub(pattern, lambda m: f"【{m.group(0)}】", text, flags=re.IGNORECASE)


def unknown_placeholders(text: str) -> list[str]:
    return sorted({m for m in _PLACEHOLDER.findall(text) if m not in ALLOWED_PLACEHOLDERS})


def render(template: str, params: dict[str, str]) -> str:
    return _PLACEHOLDER.sub(lambda m: params.get(m.group(1), m.group(0)), template)


def penalty_fen(remaining_fen: int, rate_bp: int) -> int:
    """``rate_bp`` of ``remaining_fen``, integer fen, rounded half up (10% of 1,005 fen → 101)."""
    if remaining_fen < 0 or rate_bp < 0:
        raise ValueError("amounts and rates are not negative")
    return (remaining_fen * rate_bp * 2 + BP) // (2 * BP)


@dataclass(frozen=True, slots=True)
class OpenInstallment:
    id: object
    due_on: date
    amount_fen: int


@dataclass(frozen=True, slots=True)
class ProRata:
    owed: list[OpenInstallment]  # due on or before the event: still collected
    cancelled: list[OpenInstallment]  # due after the event: cancelled, no penalty

    @property
    def owed_fen(self) -> int:
        return sum(i.amount_fen for i in self.owed)

    @property
    def cancelled_fen(self) -> int:
        return sum(i.amount_fen for i in self.cancelled)


def pro_rata(open_installments: Sequence[OpenInstallment], event_on: date) -> ProRata:
    """The pet death/loss settlement (see the module docstring)."""
    owed = [i for i in open_installments if i.due_on <= event_on]
    cancelled = [i for i in open_installments if i.due_on > event_on]
    return ProRata(owed, cancelled)


def is_overdue(due_on: date, today: date) -> bool:
    """Unpaid more than 3 days after the due date."""
    return (today - due_on).days > OVERDUE_AFTER_DAYS


def add_months(day: date, months: int) -> date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    import calendar

    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
