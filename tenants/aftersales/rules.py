"""Pure after-sales rules: ticket kinds, the state machine and the SLA timers (no I/O).

SLA (DOMAIN §5): product issues (damaged, near-expiry, missing, wrong item) are **resolved** within
48 h; complaints get a **solution** within 24 h. Pet-health cases: 24 h to a solution, where a
solution is the ticket resolved *or* a partner-clinic coupon sent *or* a pause proposed — a sick pet
cannot wait two days for the store to act, and the coupon or the pause offer is the store's answer.
The clock runs on the store's time from opening (or reopening) and does not stop while waiting for
the customer: the promise is made to the customer, not to the store's process.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

DAMAGED: Final = "damaged"
NEAR_EXPIRY: Final = "near_expiry"
MISSING: Final = "missing"
WRONG_ITEM: Final = "wrong_item"
PET_HEALTH: Final = "pet_health"
COMPLAINT: Final = "complaint"
KINDS: Final = (DAMAGED, NEAR_EXPIRY, MISSING, WRONG_ITEM, PET_HEALTH, COMPLAINT)
PRODUCT_KINDS: Final = frozenset({DAMAGED, NEAR_EXPIRY, MISSING, WRONG_ITEM})

OPEN: Final = "open"
IN_PROGRESS: Final = "in_progress"
WAITING_CUSTOMER: Final = "waiting_customer"
RESOLVED: Final = "resolved"
CLOSED: Final = "closed"
STATES: Final = (OPEN, IN_PROGRESS, WAITING_CUSTOMER, RESOLVED, CLOSED)
ACTIVE_STATES: Final = frozenset({OPEN, IN_PROGRESS, WAITING_CUSTOMER})
DONE_STATES: Final = frozenset({RESOLVED, CLOSED})

# action -> (states it may start from, state it leads to)
TRANSITIONS: Final[dict[str, tuple[frozenset[str], str]]] = {
    "start": (frozenset({OPEN, WAITING_CUSTOMER}), IN_PROGRESS),
    "wait_customer": (frozenset({OPEN, IN_PROGRESS}), WAITING_CUSTOMER),
    "customer_reply": (frozenset({WAITING_CUSTOMER}), IN_PROGRESS),
    "resolve": (frozenset({OPEN, IN_PROGRESS, WAITING_CUSTOMER}), RESOLVED),
    "close": (frozenset({OPEN, IN_PROGRESS, WAITING_CUSTOMER, RESOLVED}), CLOSED),
    "reopen": (frozenset({RESOLVED, CLOSED}), OPEN),
}
STAFF_ACTIONS: Final = ("start", "wait_customer", "resolve", "close", "reopen")
# Actions whose note is required (the resolution, the reason for closing unresolved, the reason to reopen).
NOTE_REQUIRED: Final = frozenset({"resolve", "reopen"})

SLA_HOURS: Final = {DAMAGED: 48, NEAR_EXPIRY: 48, MISSING: 48, WRONG_ITEM: 48, COMPLAINT: 24, PET_HEALTH: 24}
SLA_RESOLVE: Final = "resolve"
SLA_SOLUTION: Final = "solution"
# Events (besides resolving or closing) that give a solution and so stop a kind's SLA clock.
SOLUTION_EVENTS: Final = {PET_HEALTH: frozenset({"coupon_sent", "pause_proposed"})}
MET: Final = "met"
BREACHED: Final = "breached"

MAX_PHOTOS: Final = 9
MAX_PAUSE_PERIODS: Final = 2
MAX_POSTAGE_FEN: Final = 100_000  # 1,000 yuan: anything above is a typo


def next_state(state: str, action: str) -> str | None:
    """The state ``action`` leads to from ``state``, or None when the machine does not allow it."""
    allowed = TRANSITIONS.get(action)
    if allowed is None or state not in allowed[0]:
        return None
    return allowed[1]


def allowed_actions(state: str) -> list[str]:
    return [a for a in STAFF_ACTIONS if state in TRANSITIONS[a][0]]


def sla_goal(kind: str) -> str:
    return SLA_RESOLVE if kind in PRODUCT_KINDS else SLA_SOLUTION


def sla_deadline(kind: str, started_at: datetime) -> datetime:
    """When the ticket's SLA runs out: ``started_at`` (opening or reopening, store time) + the kind's hours."""
    if started_at.tzinfo is None:
        raise ValueError("started_at must be timezone-aware")
    return started_at + timedelta(hours=SLA_HOURS[kind])


def stops_clock(kind: str, event: str) -> bool:
    """Whether ``event`` meets the kind's SLA goal (resolving or closing always does)."""
    return event in ("resolve", "close") or event in SOLUTION_EVENTS.get(kind, frozenset())


def sla_outcome(deadline: datetime, at: datetime) -> str:
    return MET if at <= deadline else BREACHED


@dataclass(frozen=True, slots=True)
class Countdown:
    seconds_left: int  # negative once overdue
    badge: str  # ok | soon | overdue | met | breached


def countdown(deadline: datetime | None, now: datetime, outcome: str = "") -> Countdown | None:
    """What the board shows: time left and a badge (``soon`` in the last 6 hours)."""
    if deadline is None:
        return None
    left = int((deadline - now).total_seconds())
    if outcome in (MET, BREACHED):
        return Countdown(left, outcome)
    if left < 0:
        return Countdown(left, "overdue")
    return Countdown(left, "soon" if left <= 6 * 3600 else "ok")


def format_left(seconds: int) -> str:
    """``5h 12m`` / ``-1h 03m`` (overdue), language-neutral."""
    sign = "-" if seconds < 0 else ""
    minutes = abs(seconds) // 60
    return f"{sign}{minutes // 60}h {minutes % 60:02d}m"


def coupon_discount_valid(kind: str, value: int) -> bool:
    """A percentage off (1-90) or an amount off in fen (1 fen to 10,000 yuan)."""
    if kind == "percent":
        return 1 <= value <= 90
    if kind == "amount":
        return 1 <= value <= 1_000_000
    return False
