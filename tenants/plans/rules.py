"""The rules of a plan, as pure functions (no database): stages, periods, debit days, totals and
the early-termination penalty.

Penalty rounding (stated once, here): the penalty is ``rate_bp`` basis points of the remaining
periods' total, computed in integer fen and **rounded half up to the fen** (``0.5`` fen → ``1``
fen). The default rate is 1000 bp = 10 %. Example: 7 remaining periods of 268.05 CNY
(``26805`` fen) = 187,635 fen; 10 % = 18,763.5 fen → **18,764 fen**.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final

from pawpay.platform.errors import ValidationFailed

SPECIES: Final = ("cat", "dog")
# Each species' stages, youngest first.
STAGES: Final = {"cat": ("kitten", "junior", "adult"), "dog": ("puppy", "junior", "adult")}
ALL_STAGES: Final = ("kitten", "puppy", "junior", "adult")
DEBIT_DAYS: Final = (5, 10, 15)
MIN_PERIODS: Final = 12
MAX_PERIODS: Final = 24
DEFAULT_PENALTY_RATE_BP: Final = 1000  # 10 % of the remaining periods' total
BP: Final = 10_000
MAX_AMOUNT_FEN: Final = 100_000_000  # 1,000,000 CNY: a sanity bound, not policy
# The operator's warning bounds when the merchant terms say nothing (DOMAIN §2: 298-598 CNY).
DEFAULT_WARN_MIN_FEN: Final = 29_800
DEFAULT_WARN_MAX_FEN: Final = 59_800


@dataclass(frozen=True, slots=True)
class StageBoundaries:
    """Age in full months where a stage starts: kitten/puppy below ``junior_from``, adult from ``adult_from``."""

    junior_from_months: int = 6
    adult_from_months: int = 12

    def __post_init__(self) -> None:
        check_boundaries(self.junior_from_months, self.adult_from_months)


def check_boundaries(junior_from_months: int, adult_from_months: int) -> None:
    if not isinstance(junior_from_months, int) or junior_from_months < 1 or junior_from_months > 120:
        raise ValidationFailed("the junior stage starts between 1 and 120 months", field="junior_from_months")
    if not isinstance(adult_from_months, int) or not junior_from_months < adult_from_months <= 240:
        raise ValidationFailed("the adult stage starts after the junior stage (at most 240 months)",
                               field="adult_from_months")


def full_months(birthday: date, on_date: date) -> int:
    """Whole months from ``birthday`` to ``on_date``; a month is complete on the same day of the month,
    or on the month's last day when it is shorter (born 31 Jan → one month old on 28/29 Feb)."""
    if on_date < birthday:
        raise ValidationFailed("the birthday is after the date", field="birthday")
    months = (on_date.year - birthday.year) * 12 + (on_date.month - birthday.month)
    last_day = calendar.monthrange(on_date.year, on_date.month)[1]
    if on_date.day < min(birthday.day, last_day):
        months -= 1
    return months


def check_species(species: str) -> str:
    if species not in SPECIES:
        raise ValidationFailed("the species is cat or dog", field="species")
    return species


def check_stage(species: str, stage: str) -> str:
    if stage not in STAGES[check_species(species)]:
        raise ValidationFailed("this stage does not exist for this species", field="stage",
                               allowed=list(STAGES[species]))
    return stage


def stage_for_age(species: str, birthday: date, on_date: date,
                  boundaries: StageBoundaries | None = None) -> str:
    """The stage of a pet of ``species`` born on ``birthday``, on ``on_date`` (store-local dates)."""
    b = boundaries or StageBoundaries()
    young, junior, adult = STAGES[check_species(species)]
    months = full_months(birthday, on_date)
    if months < b.junior_from_months:
        return young
    if months < b.adult_from_months:
        return junior
    return adult


def stage_rank(species: str, stage: str) -> int:
    return STAGES[check_species(species)].index(check_stage(species, stage))


def check_periods(periods: int) -> int:
    if not isinstance(periods, int) or isinstance(periods, bool) or not MIN_PERIODS <= periods <= MAX_PERIODS:
        raise ValidationFailed(f"a plan has {MIN_PERIODS} to {MAX_PERIODS} periods", field="periods")
    return periods


def check_amount(amount_fen: int, field: str = "monthly_amount_fen", *, allow_zero: bool = False) -> int:
    if not isinstance(amount_fen, int) or isinstance(amount_fen, bool):
        raise ValidationFailed("amounts are integer fen", field=field)
    if amount_fen < 0 or (amount_fen == 0 and not allow_zero) or amount_fen > MAX_AMOUNT_FEN:
        raise ValidationFailed("the amount is out of range", field=field)
    return amount_fen


def check_debit_days(days: Iterable[int]) -> list[int]:
    chosen = sorted(set(days))
    if not chosen or any(d not in DEBIT_DAYS for d in chosen):
        raise ValidationFailed("choose debit days among the 5th, 10th and 15th", field="debit_days")
    return chosen


def check_penalty_rate(rate_bp: int) -> int:
    if not isinstance(rate_bp, int) or isinstance(rate_bp, bool) or not 0 <= rate_bp <= BP:
        raise ValidationFailed("the penalty rate is 0 to 10000 basis points", field="penalty_rate_bp")
    return rate_bp


def total_fen(periods: int, monthly_amount_fen: int) -> int:
    return periods * monthly_amount_fen


def round_half_up_div(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded half up (both non-negative integers)."""
    if numerator < 0 or denominator <= 0:
        raise ValueError("round_half_up_div takes a non-negative numerator and a positive denominator")
    return (2 * numerator + denominator) // (2 * denominator)


def penalty_fen(remaining_periods: int, monthly_amount_fen: int, rate_bp: int = DEFAULT_PENALTY_RATE_BP) -> int:
    """The early-termination penalty: ``rate_bp`` of the remaining periods' total, half up to the fen."""
    if remaining_periods < 0:
        raise ValueError("remaining periods cannot be negative")
    return round_half_up_div(remaining_periods * monthly_amount_fen * rate_bp, BP)


def describe_penalty(rate_bp: int) -> str:
    """The rule in words (English msgid style; pages translate their own wording)."""
    whole, frac = divmod(rate_bp, 100)
    pct = f"{whole}" if frac == 0 else f"{whole}.{frac:02d}".rstrip("0")
    return f"{pct}% of the remaining periods' total, rounded half up to the fen"


def amount_outside_bounds(amount_fen: int, warn_min_fen: int, warn_max_fen: int) -> bool:
    """True when the operator's policy wants the manager to confirm this monthly amount."""
    return amount_fen < warn_min_fen or amount_fen > warn_max_fen


def exceeds_cap(amount_fen: int, cap_fen: int | None) -> bool:
    return cap_fen is not None and amount_fen > cap_fen


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months, on the month's last day when it is shorter
    (31 Jan + 1 month = 28/29 Feb; 29 Feb 2024 + 12 months = 28 Feb 2025)."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    last_day = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last_day))


def stage_starts(species: str, birthday: date, boundaries: StageBoundaries | None = None
                 ) -> tuple[tuple[str, date], ...]:
    """Each stage of the species with the first day a pet born on ``birthday`` is in it (the
    birthday itself for the youngest): consistent with :func:`stage_for_age`, which counts the
    month complete on the same day of the month (or the month's last day when shorter)."""
    b = boundaries or StageBoundaries()
    young, junior, adult = STAGES[check_species(species)]
    return ((young, birthday), (junior, add_months(birthday, b.junior_from_months)),
            (adult, add_months(birthday, b.adult_from_months)))


def next_stage_change(species: str, birthday: date, on_date: date, boundaries: StageBoundaries | None = None
                      ) -> tuple[str, date] | None:
    """The next stage the pet enters after ``on_date`` and the day it does; ``None`` once adult."""
    for stage, starts_on in stage_starts(species, birthday, boundaries):
        if starts_on > on_date:
            return stage, starts_on
    return None


def chain_index(species: str, chain_stages: Sequence[str], pet_stage: str) -> int:
    """Which plan of a next-stage chain (``chain_stages``, the starting plan first) a pet in
    ``pet_stage`` gets: move on while the next plan's stage is not later than the pet's. A pet never
    gets a plan for a stage it has not reached yet (a kitten→adult chain keeps a junior pet on kitten
    food until it is adult); without a later plan it stays on the last one."""
    target = stage_rank(species, pet_stage)
    index = 0
    while index + 1 < len(chain_stages) and stage_rank(species, chain_stages[index + 1]) <= target:
        index += 1
    return index
