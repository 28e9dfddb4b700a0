"""The rules of a contract as pure functions (no I/O): the state machine, the installment
schedule, cooling-off, the early-termination penalty and evidence retention.

**First due date.** The first installment is due on the first debit day (5, 10 or 15 of a month,
store-local date) that is at least ``max(MIN_FIRST_DEBIT_LEAD_DAYS, cooling_off_days + 1)`` days
after the signing day (the store-local date of activation). So nothing is debited while the
customer may still cancel without penalty, and there is room for the providers' pre-debit notice.
Example: signed 2026-01-31 (Asia/Shanghai) with 7 cooling-off days, debit day 5 → earliest
2026-02-08 → first due 2026-03-05; then every month on the 5th. Later installments fall on the same
debit day of each following month (5/10/15 exist in every month, so month ends never shift them).

**Penalty** (early termination): ``penalty_rate_bp`` basis points of the remaining periods' total
(the installments not yet paid or waived), in integer fen, rounded half up (same rule as plans).

**Retention**: contracts and evidence are kept until ``end_on`` + ``retention_years`` (≥ 3 years,
e-commerce law; configurable upward only). ``end_on`` is the last installment's due date.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Final
from zoneinfo import ZoneInfo

from pawpay.platform.errors import ValidationFailed
from pawpay.platform.money import yuan
from pawpay.tenants.contracts.errors import ContractErrorCode, CoolingOffOver, InvalidTransition, code

DEBIT_DAYS: Final = (5, 10, 15)
MIN_FIRST_DEBIT_LEAD_DAYS: Final = 7
MIN_RETENTION_YEARS: Final = 3
BP: Final = 10_000
CHANNELS: Final = ("h5", "mini_program", "store", "admin")


class State(StrEnum):
    DRAFT = "draft"
    PENDING_SIGNATURE = "pending_signature"
    ACTIVE = "active"
    COMPLETED = "completed"
    TERMINATED = "terminated"
    CANCELLED = "cancelled"


class InstallmentStatus(StrEnum):
    DUE = "due"
    PAID = "paid"
    FAILED = "failed"
    PAUSED = "paused"
    WAIVED = "waived"
    CANCELLED = "cancelled"


# draft → pending_signature → active → completed | terminated | cancelled (cooling-off).
# A draft or a pending signature may be abandoned (cancelled); a signature may be re-prepared
# (pending_signature → draft) when the documents change before signing.
TRANSITIONS: Final[dict[State, frozenset[State]]] = {
    State.DRAFT: frozenset({State.PENDING_SIGNATURE, State.CANCELLED}),
    State.PENDING_SIGNATURE: frozenset({State.ACTIVE, State.DRAFT, State.CANCELLED}),
    State.ACTIVE: frozenset({State.COMPLETED, State.TERMINATED, State.CANCELLED}),
    State.COMPLETED: frozenset(),
    State.TERMINATED: frozenset(),
    State.CANCELLED: frozenset(),
}
# An installment's life: collections move it; paid, waived and cancelled are final.
INSTALLMENT_TRANSITIONS: Final[dict[InstallmentStatus, frozenset[InstallmentStatus]]] = {
    InstallmentStatus.DUE: frozenset({InstallmentStatus.PAID, InstallmentStatus.FAILED, InstallmentStatus.PAUSED,
                                      InstallmentStatus.WAIVED, InstallmentStatus.CANCELLED}),
    InstallmentStatus.FAILED: frozenset({InstallmentStatus.PAID, InstallmentStatus.FAILED, InstallmentStatus.PAUSED,
                                         InstallmentStatus.WAIVED, InstallmentStatus.CANCELLED}),
    InstallmentStatus.PAUSED: frozenset({InstallmentStatus.DUE, InstallmentStatus.WAIVED,
                                         InstallmentStatus.CANCELLED}),
    InstallmentStatus.PAID: frozenset(),
    InstallmentStatus.WAIVED: frozenset(),
    InstallmentStatus.CANCELLED: frozenset(),
}
OPEN_INSTALLMENTS: Final = frozenset({InstallmentStatus.DUE, InstallmentStatus.FAILED, InstallmentStatus.PAUSED})
OPEN_STATES: Final = frozenset({State.PENDING_SIGNATURE, State.ACTIVE})
FINAL_STATES: Final = frozenset({State.COMPLETED, State.TERMINATED, State.CANCELLED})


def can_transition(current: str, target: str) -> bool:
    return State(target) in TRANSITIONS[State(current)]


def transition(current: str, target: str) -> State:
    """The target state if ``current → target`` is allowed; :class:`InvalidTransition` (409) otherwise."""
    try:
        cur, tgt = State(current), State(target)
    except ValueError:
        raise InvalidTransition("unknown contract state", current=current, target=target) from None
    if tgt not in TRANSITIONS[cur]:
        raise InvalidTransition(f"a {cur.value} contract cannot become {tgt.value}", current=cur.value,
                                target=tgt.value)
    return tgt


def check_debit_day(day: int, allowed: tuple[int, ...] | list[int] = DEBIT_DAYS) -> int:
    if not isinstance(day, int) or isinstance(day, bool) or day not in DEBIT_DAYS or day not in allowed:
        raise ValidationFailed("the debit day is one of the plan's days (5, 10 or 15)", field="debit_day",
                               code=code(ContractErrorCode.CONTRACT_INVALID_DEBIT_DAY), allowed=list(allowed))
    return day


def _add_months(day: date, months: int, on_day: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(on_day, calendar.monthrange(year, month)[1]))


def lead_days(cooling_off_days: int) -> int:
    return max(MIN_FIRST_DEBIT_LEAD_DAYS, cooling_off_days + 1)


def first_due_on(signed_on: date, debit_day: int, cooling_off_days: int) -> date:
    """The first debit day at least :func:`lead_days` after ``signed_on`` (see the module doc)."""
    check_debit_day(debit_day)
    earliest = signed_on + timedelta(days=lead_days(cooling_off_days))
    candidate = date(earliest.year, earliest.month, debit_day)
    if candidate < earliest:
        candidate = _add_months(candidate, 1, debit_day)
    return candidate


def schedule(signed_on: date, debit_day: int, cooling_off_days: int, periods: int,
             monthly_amount_fen: int) -> list[tuple[int, date, int]]:
    """The installments ``(sequence, due_on, amount_fen)``: one per period, monthly on the debit day."""
    if not isinstance(periods, int) or periods < 1:
        raise ValidationFailed("a contract has at least one period", field="periods")
    if not isinstance(monthly_amount_fen, int) or isinstance(monthly_amount_fen, bool) or monthly_amount_fen <= 0:
        raise ValidationFailed("the monthly amount is a positive integer of fen", field="monthly_amount_fen")
    first = first_due_on(signed_on, debit_day, cooling_off_days)
    return [(n + 1, _add_months(first, n, debit_day), monthly_amount_fen) for n in range(periods)]


def total_fen(periods: int, monthly_amount_fen: int) -> int:
    return periods * monthly_amount_fen


def cooling_off_ends_on(signed_on: date, cooling_off_days: int) -> date:
    """The last store-local day on which the customer may still cancel without penalty."""
    return signed_on + timedelta(days=cooling_off_days)


def in_cooling_off(signed_on: date, cooling_off_days: int, today: date) -> bool:
    return signed_on <= today <= cooling_off_ends_on(signed_on, cooling_off_days)


def check_cooling_off(signed_on: date, cooling_off_days: int, today: date) -> None:
    if not in_cooling_off(signed_on, cooling_off_days, today):
        raise CoolingOffOver("the cooling-off period has ended", signed_on=signed_on.isoformat(),
                             cooling_off_days=cooling_off_days,
                             ended_on=cooling_off_ends_on(signed_on, cooling_off_days).isoformat())


def clamp_cooling_off(plan_days: int, minimum: int, maximum: int) -> int:
    """The plan's cooling-off days within the merchant terms' bounds."""
    maximum = max(maximum, minimum)
    return min(max(plan_days, minimum), maximum)


def penalty_fen(remaining_periods: int, monthly_amount_fen: int, rate_bp: int) -> int:
    """``rate_bp`` of the remaining periods' total, integer fen, rounded half up."""
    if remaining_periods < 0 or monthly_amount_fen < 0 or rate_bp < 0:
        raise ValidationFailed("penalty inputs cannot be negative")
    remaining = remaining_periods * monthly_amount_fen
    return (remaining * rate_bp * 2 + BP) // (2 * BP)


def retention_until(end_on: date, years: int = MIN_RETENTION_YEARS) -> date:
    """``end_on`` + ``years`` (29 February → 28 February); never fewer than 3 years."""
    if not isinstance(years, int) or years < MIN_RETENTION_YEARS:
        raise ValidationFailed(f"evidence is retained at least {MIN_RETENTION_YEARS} years", field="retention_years")
    year = end_on.year + years
    return date(year, end_on.month, min(end_on.day, calendar.monthrange(year, end_on.month)[1]))


def format_fen(fen: int) -> str:
    """``29800`` → ``298.00``."""
    return yuan(fen, grouping=True)


def first_due_rule_zh(debit_day: int, cooling_off_days: int) -> str:
    """The first-due rule as printed on the contract."""
    return f"签约日起至少 {lead_days(cooling_off_days)} 天后的首个每月 {debit_day} 日（冷静期内不扣款）"


def local_date(instant: datetime, time_zone: str) -> date:
    """The store-local calendar date of an aware instant (the signing day, "today" in the store)."""
    if instant.tzinfo is None:
        raise ValidationFailed("times must be timezone-aware")
    return instant.astimezone(ZoneInfo(time_zone)).date()


def installment_transition(current: str, target: str) -> InstallmentStatus:
    """The target status if ``current → target`` is allowed (409 :class:`InvalidTransition` otherwise).
    ``failed → failed`` is allowed (another failed attempt)."""
    try:
        cur, tgt = InstallmentStatus(current), InstallmentStatus(target)
    except ValueError:
        raise InvalidTransition("unknown installment status", current=current, target=target) from None
    if tgt not in INSTALLMENT_TRANSITIONS[cur]:
        raise InvalidTransition(f"a {cur.value} installment cannot become {tgt.value}", current=cur.value,
                                target=tgt.value)
    return tgt
