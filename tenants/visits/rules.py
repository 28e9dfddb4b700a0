"""The visits' rules, as pure functions: when they are due, the form's checks, who gets them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from pawpay.platform.errors import ValidationFailed
from pawpay.tenants.visits.errors import VisitErrorCode, code

DAYS: Final = (7, 30)  # DOMAIN §5: follow-up visits at day 7 and day 30 after adoption
SETTLED: Final = ("yes", "somewhat", "no")
SATISFACTION: Final = (1, 2, 3, 4, 5)
MAX_TEXT: Final = 2000
MAX_RESCHEDULE_DAYS: Final = 30
WINDOWS: Final = ("today", "overdue", "upcoming")
# The catch-up planner looks at contracts signed this many days back (a day-30 visit is still due).
CATCH_UP_DAYS: Final = 31
# After-sales staff make the visits; a store without one gives them to a manager.
PREFERRED_ROLE: Final = "after_sales"


def due_on(adopted_on: date, day: int, signed_on: date) -> date:
    """The store-local day the visit is due: ``day`` calendar days after adoption, and never before
    the contract was signed (a pet adopted earlier gets its late visit on the signing day)."""
    if day not in DAYS:
        raise ValueError(f"visits are at days {DAYS}")
    return max(adopted_on + timedelta(days=day), signed_on)


def window(due: date, today: date) -> str:
    """``overdue``, ``today`` or ``upcoming``: where an open visit is in the staff's list."""
    if due < today:
        return "overdue"
    return "today" if due == today else "upcoming"


@dataclass(frozen=True, slots=True)
class Outcome:
    settled: str
    feeding_questions: str
    satisfaction: int
    notes: str


def _text(value: str | None, field: str) -> str:
    text = (value or "").strip()
    if len(text) > MAX_TEXT:
        raise ValidationFailed(f"at most {MAX_TEXT} characters", field=field,
                               code=code(VisitErrorCode.VISIT_INVALID_FORM))
    return text


def check_outcome(settled: str | None, feeding_questions: str | None, satisfaction: object, notes: str | None
                  ) -> Outcome:
    """The visit form: settled yes/somewhat/no, satisfaction a whole number 1 to 5, texts ≤ 2000."""
    if settled not in SETTLED:
        raise ValidationFailed("say whether the pet has settled in (yes, somewhat or no)", field="settled",
                               code=code(VisitErrorCode.VISIT_INVALID_FORM), allowed=list(SETTLED))
    if isinstance(satisfaction, bool) or not isinstance(satisfaction, int) or satisfaction not in SATISFACTION:
        raise ValidationFailed("satisfaction is a whole number from 1 to 5", field="satisfaction",
                               code=code(VisitErrorCode.VISIT_INVALID_FORM))
    return Outcome(settled, _text(feeding_questions, "feeding_questions"), satisfaction, _text(notes, "notes"))


def check_reschedule(new_due_on: date | None, today: date) -> date:
    """A visit the customer could not be reached for moves to a day from today to 30 days ahead."""
    if new_due_on is None or not today <= new_due_on <= today + timedelta(days=MAX_RESCHEDULE_DAYS):
        raise ValidationFailed(f"choose a day from today to {MAX_RESCHEDULE_DAYS} days ahead", field="reschedule_on",
                               code=code(VisitErrorCode.VISIT_INVALID_RESCHEDULE))
    return new_due_on
