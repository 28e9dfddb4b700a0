"""Pure rules of the signing flow: the step machine, one-time codes, inputs, the risk decision.

Nothing here touches the database or a provider; services.py applies these rules.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Final

from stdnum.cn import ric
from stdnum.exceptions import ValidationError as StdnumValidationError

from pawpay.tenants.signing.errors import (
    InvalidInput,
    OtpRefused,
    SigningClosed,
    SigningErrorCode,
    StepLocked,
    StepOutOfOrder,
)

# --- the steps ------------------------------------------------------------------------------------

PLAN, PET, DETAILS, IDENTITY, RISK, CONTRACT, DEBIT = "plan", "pet", "details", "identity", "risk", "contract", "debit"
STEPS: Final = (PLAN, PET, DETAILS, IDENTITY, RISK, CONTRACT, DEBIT)
TOTAL_STEPS: Final = len(STEPS)
# Steps the customer may go back to and change, until the identity check has passed.
EDITABLE: Final = frozenset({PLAN, PET, DETAILS})

IN_PROGRESS, MANUAL_REVIEW, DECLINED, COMPLETED = "in_progress", "manual_review", "declined", "completed"
EXPIRED = "expired"  # abandoned half-way (see services.expire_stale)
STATES: Final = (IN_PROGRESS, MANUAL_REVIEW, DECLINED, COMPLETED, EXPIRED)


def step_number(step: str) -> int:
    """1-based position of ``step`` ("第 3 步，共 7 步")."""
    return STEPS.index(step) + 1


def next_step(completed: Mapping[str, object]) -> str | None:
    """The first step not completed yet (``None``: every step is done)."""
    for step in STEPS:
        if step not in completed:
            return step
    return None


def check_state(state: str) -> None:
    """Refuses any step of a signing that is waiting for a review, declined or finished."""
    if state == MANUAL_REVIEW:
        raise SigningClosed("the store is reviewing your application; you will be told the result",
                            SigningErrorCode.SIGNING_UNDER_REVIEW)
    if state == DECLINED:
        raise SigningClosed("this application was declined", SigningErrorCode.SIGNING_DECLINED)
    if state == COMPLETED:
        raise SigningClosed("this contract is already signed")
    if state == EXPIRED:
        raise SigningClosed("this signing has expired; start again from the store's link")


def check_step(step: str, completed: Mapping[str, object], state: str) -> None:
    """Whether ``step`` may be submitted now. A step before its turn (e.g. the e-sign before the
    face check) raises :class:`StepOutOfOrder`; a completed step that can no longer change
    raises :class:`StepLocked`."""
    if step not in STEPS:
        raise StepOutOfOrder("there is no such step", step=step)
    check_state(state)
    expected = next_step(completed)
    assert expected is not None  # a signing with every step done is completed
    if STEPS.index(step) > STEPS.index(expected):
        raise StepOutOfOrder("finish the earlier steps first", step=step, expected=expected)
    if step in completed and (step not in EDITABLE or IDENTITY in completed):
        raise StepLocked(step=step)


# --- one-time codes and session tokens --------------------------------------------------------------

OTP_TTL: Final = timedelta(minutes=5)
OTP_MAX_ATTEMPTS: Final = 5
OTP_RESEND_AFTER: Final = timedelta(seconds=60)
OTP_MAX_PER_HOUR: Final = 5
OTP_MAX_PER_IP_HOUR: Final = 20  # per store
SESSION_TTL: Final = timedelta(hours=2)
_CODE = re.compile(r"^\d{6}$")


def new_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def new_token() -> tuple[str, str]:
    """A session token and the sha256 (hex) that is stored instead of it."""
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def clean_code(value: str) -> str:
    text = (value or "").strip()
    if not _CODE.match(text):
        raise OtpRefused("enter the 6-digit code from the SMS", SigningErrorCode.SIGNING_OTP_WRONG)
    return text


def otp_problem(*, expires_at: datetime, used_at: datetime | None, attempts: int, now: datetime) -> None:
    """Refuses a code that was used, has expired or was guessed at too often."""
    if used_at is not None:
        raise OtpRefused("this code was already used; ask for a new one", SigningErrorCode.SIGNING_OTP_USED)
    if now >= expires_at:
        raise OtpRefused("this code has expired; ask for a new one", SigningErrorCode.SIGNING_OTP_EXPIRED)
    if attempts >= OTP_MAX_ATTEMPTS:
        raise OtpRefused("too many wrong codes; ask for a new one", SigningErrorCode.SIGNING_OTP_TOO_MANY_ATTEMPTS)


def csrf_for(token: str) -> str:
    """The form token of a signing session (derived from its secret, so never stored)."""
    return hashlib.sha256(("csrf:" + token).encode("utf-8")).hexdigest()[:32]


# --- step inputs ----------------------------------------------------------------------------------

SPECIES: Final = ("cat", "dog")
OCCUPATIONS: Final = ("employed", "self_employed", "retired", "student", "unemployed", "other")
INCOMES: Final = ("stable", "unstable", "none")
RESIDENCES: Final = ("owned", "rented", "with_family", "none")
DEBIT_DAYS: Final = (5, 10, 15)


def clean_text(value: str | None, *, field: str, max_length: int, required: bool = True) -> str:
    text = " ".join((value or "").split())
    if required and not text:
        raise InvalidInput("this field is required", field=field)
    if len(text) > max_length:
        raise InvalidInput("this text is too long", field=field, max_length=max_length)
    return text


def choice(value: str | None, options: Sequence[str], *, field: str) -> str:
    if value is None or value not in options:
        raise InvalidInput("choose one of the options", field=field, allowed=list(options))
    return value


@dataclass(frozen=True, slots=True)
class PetAnswers:
    name: str
    species: str
    breed: str
    birthday: date
    adoption_date: date


def check_pet(*, name: str, species: str, breed: str, birthday: date | None, adoption_date: date | None,
              today: date) -> PetAnswers:
    """A pet's birthday is neither in the future nor after its adoption date (default: today)."""
    clean_name = clean_text(name, field="pet_name", max_length=50)
    clean_species = choice(species, SPECIES, field="species")
    clean_breed = clean_text(breed, field="breed", max_length=50, required=False)
    if birthday is None:
        raise InvalidInput("enter the pet's birthday", field="birthday")
    adopted = adoption_date or today
    if birthday > today:
        raise InvalidInput("the pet's birthday cannot be in the future", field="birthday")
    if adopted > today:
        raise InvalidInput("the adoption date cannot be in the future", field="adoption_date")
    if birthday > adopted:
        raise InvalidInput("the pet's birthday cannot be after its adoption date", field="birthday")
    if (today - birthday).days > 30 * 366:
        raise InvalidInput("the pet's birthday is too long ago", field="birthday")
    return PetAnswers(clean_name, clean_species, clean_breed, birthday, adopted)


def clean_id_number(value: str) -> str:
    """An 18-character resident ID number with a valid check digit and birth date (``stdnum.cn.ric``)."""
    text = (value or "").strip().upper()
    if len(text) != 18:
        raise InvalidInput("a resident ID number has 18 characters", field="id_number")
    try:
        return str(ric.validate(text))
    except StdnumValidationError:
        raise InvalidInput("the resident ID number is not valid (check digit or birth date)",
                           field="id_number") from None


def age_on(id_number: str, day: date) -> int:
    born = ric.get_birth_date(id_number)
    years = day.year - born.year
    if (day.month, day.day) < (born.month, born.day):
        years -= 1
    return years


@dataclass(frozen=True, slots=True)
class DetailAnswers:
    name: str
    id_number: str
    address: str
    occupation: str
    income: str
    residence: str


def check_details(*, name: str, id_number: str, address: str, occupation: str, income: str, residence: str,
                  today: date) -> DetailAnswers:
    clean_name = clean_text(name, field="name", max_length=50)
    clean_id = clean_id_number(id_number)
    if ric.get_birth_date(clean_id) > today:
        raise InvalidInput("the birth date in the ID number is in the future", field="id_number")
    return DetailAnswers(
        clean_name, clean_id, clean_text(address, field="address", max_length=200),
        choice(occupation, OCCUPATIONS, field="occupation"), choice(income, INCOMES, field="income"),
        choice(residence, RESIDENCES, field="residence"),
    )


# --- the risk decision ----------------------------------------------------------------------------

APPROVE, CONDITIONAL, DECLINE, REVIEW = "approve", "conditional", "decline", "manual_review"
OUTCOMES: Final = (APPROVE, CONDITIONAL, DECLINE, REVIEW)
DEFAULT_MIN_SCORE: Final = 550
MIN_FORM_SECONDS: Final = 3
MAX_EDITS: Final = 3
MAX_OTHER_STORES: Final = 1  # seen in more than this many other stores: review
MAX_ATTEMPTS: Final = 2  # more than this many other signings of the same person here in 24 h: review
CONDITION_DOWN_PAYMENT, CONDITION_PROOF = "down_payment", "proof"


@dataclass(frozen=True, slots=True)
class RiskInputs:
    """What the decision is made from (stored with it). ``credit`` is the provider's decision
    (``pass``/``conditional``/``fail``); ``credit_score`` is set only when the provider reports one."""

    age: int
    occupation: str
    income: str
    residence: str
    real_name_matched: bool
    face_matched: bool
    credit: str
    min_credit_score: int = DEFAULT_MIN_SCORE
    credit_score: int | None = None
    payer_matched: bool = True
    form_seconds: int | None = None
    edits: int = 0
    other_stores_id: int = 0
    other_stores_phone: int = 0
    attempts: int = 0
    min_form_seconds: int = MIN_FORM_SECONDS


@dataclass(frozen=True, slots=True)
class RiskResult:
    outcome: str
    reasons: tuple[str, ...]
    conditions: tuple[str, ...] = field(default=())


def hard_reasons(inputs: RiskInputs) -> list[str]:
    reasons = []
    if inputs.age < 18:
        reasons.append("UNDERAGE")
    if not inputs.real_name_matched:
        reasons.append("ID_MISMATCH_REAL_NAME")
    if not inputs.face_matched:
        reasons.append("ID_MISMATCH_FACE")
    if not inputs.payer_matched:
        reasons.append("ID_MISMATCH_PAYER")
    if inputs.occupation == "student":
        reasons.append("DECLARED_STUDENT")
    if inputs.income in ("unstable", "none"):
        reasons.append("NO_STABLE_INCOME")
    if inputs.residence == "none":
        reasons.append("NO_FIXED_ADDRESS")
    return reasons


def fraud_reasons(inputs: RiskInputs) -> list[str]:
    reasons = []
    if inputs.form_seconds is not None and inputs.form_seconds < inputs.min_form_seconds:
        reasons.append("FORM_TOO_FAST")
    if inputs.edits > MAX_EDITS:
        reasons.append("MANY_EDITS")
    if inputs.other_stores_id > MAX_OTHER_STORES:
        reasons.append("ID_IN_OTHER_STORES")
    if inputs.other_stores_phone > MAX_OTHER_STORES:
        reasons.append("PHONE_IN_OTHER_STORES")
    if inputs.attempts > MAX_ATTEMPTS:
        reasons.append("MANY_ATTEMPTS")
    return reasons


def decide(inputs: RiskInputs) -> RiskResult:
    """Hard rules first (decline), then the credit gate (fail: decline), then anti-fraud signals
    (manual review), then pass (approve) or conditional (down payment or proof)."""
    hard = hard_reasons(inputs)
    if hard:
        return RiskResult(DECLINE, tuple(hard))
    if inputs.credit == "fail":
        return RiskResult(DECLINE, ("CREDIT_FAIL",))
    fraud = fraud_reasons(inputs)
    if fraud:
        return RiskResult(REVIEW, tuple(fraud))
    below = inputs.credit_score is not None and inputs.credit_score < inputs.min_credit_score
    if inputs.credit == "conditional" or below:
        reason = "SCORE_BELOW_THRESHOLD" if below else "CREDIT_CONDITIONAL"
        return RiskResult(CONDITIONAL, (reason,), (CONDITION_DOWN_PAYMENT, CONDITION_PROOF))
    if inputs.credit == "pass":
        return RiskResult(APPROVE, ("CREDIT_PASS",))
    raise ValueError(f"unknown credit decision {inputs.credit!r}")
