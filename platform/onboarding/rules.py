"""Onboarding's pure rules: the review state machine, field validation and the automatic checks.

No I/O here: dates ("today") come in as arguments, so every rule is a plain function to test.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final

from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError as StdnumError

from pawpay.platform.onboarding.errors import InvalidTransition
from pawpay.platform.onboarding.errors import OnboardingErrorCode as E

# --- states ------------------------------------------------------------------------------------

DRAFT: Final = "draft"
SUBMITTED: Final = "submitted"
IN_REVIEW: Final = "in_review"
APPROVED: Final = "approved"
REJECTED: Final = "rejected"
NEEDS_INFO: Final = "needs_info"
STATES: Final = (DRAFT, SUBMITTED, IN_REVIEW, NEEDS_INFO, APPROVED, REJECTED)
# States the applicant may edit (through the resume link).
EDITABLE: Final = frozenset({DRAFT, NEEDS_INFO})
# States whose USCC no other application may use.
HOLDS_USCC: Final = frozenset({SUBMITTED, IN_REVIEW, NEEDS_INFO, APPROVED})
# States waiting for an operator (a due date applies).
AWAITING_OPERATOR: Final = frozenset({SUBMITTED, IN_REVIEW})

SUBMIT: Final = "submit"
START_REVIEW: Final = "start_review"
APPROVE: Final = "approve"
REJECT: Final = "reject"
REQUEST_INFO: Final = "request_info"

TRANSITIONS: Final[Mapping[tuple[str, str], str]] = {
    (DRAFT, SUBMIT): SUBMITTED,
    (NEEDS_INFO, SUBMIT): SUBMITTED,
    (SUBMITTED, START_REVIEW): IN_REVIEW,
    (IN_REVIEW, APPROVE): APPROVED,
    (SUBMITTED, REJECT): REJECTED,
    (IN_REVIEW, REJECT): REJECTED,
    (SUBMITTED, REQUEST_INFO): NEEDS_INFO,
    (IN_REVIEW, REQUEST_INFO): NEEDS_INFO,
}

REVIEW_BUSINESS_DAYS: Final = 3


def next_state(state: str, action: str) -> str:
    """The state ``action`` leads to from ``state``; raises :class:`InvalidTransition` otherwise."""
    try:
        return TRANSITIONS[(state, action)]
    except KeyError:
        raise InvalidTransition(state, action) from None


def allowed_actions(state: str) -> list[str]:
    return [action for (from_state, action) in TRANSITIONS if from_state == state]


# --- documents ---------------------------------------------------------------------------------

BUSINESS_LICENCE: Final = "business_licence"
ID_FRONT: Final = "id_front"
ID_BACK: Final = "id_back"
CERTIFICATE: Final = "certificate"
PHOTO: Final = "photo"
SINGLE_DOCUMENTS: Final = (BUSINESS_LICENCE, ID_FRONT, ID_BACK, CERTIFICATE)
DOCUMENT_KINDS: Final = (*SINGLE_DOCUMENTS, PHOTO)
PHOTO_LABELS: Final = ("pet_selection_area", "signing_area", "storefront", "other")
REQUIRED_PHOTO_LABELS: Final = ("pet_selection_area", "signing_area")
MIN_PHOTOS: Final = 3
MAX_PHOTOS: Final = 5

# --- fields ------------------------------------------------------------------------------------

TEXT_FIELDS: Final[Mapping[str, int]] = {
    "store_name": 200, "legal_name": 200, "uscc": 18, "legal_rep_name": 100, "legal_rep_id_number": 18,
    "contact_name": 100, "contact_phone": 20, "contact_email": 254, "region": 100, "address": 300,
    "certificate_number": 64,
}
DATE_FIELDS: Final = ("opened_on", "certificate_expires_on")
REQUIRED_FIELDS: Final = (*TEXT_FIELDS, *DATE_FIELDS)
ADULT_AGE: Final = 18
MIN_MONTHS: Final = 6
MIN_MONTHS_QUALITY: Final = 3

_PHONE = re.compile(r"^1[3-9]\d{9}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def clean_uscc(value: str) -> str:
    return uscc.compact(value) if value else ""


def clean_id_number(value: str) -> str:
    return ric.compact(value).upper() if value else ""


def clean_phone(value: str) -> str:
    digits = re.sub(r"[\s-]", "", value)
    return digits[3:] if digits.startswith("+86") else digits


def age_on(born: date, day: date) -> int:
    """Whole years from ``born`` to ``day`` (a 29 February birthday counts on 1 March)."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months (the 31st becomes the month's last day)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, candidate)
        except ValueError:
            continue
    raise ValueError("unreachable")  # pragma: no cover


def birth_date(id_number: str) -> date | None:
    try:
        return ric.get_birth_date(id_number)
    except (StdnumError, ValueError):
        return None


def validate_fields(values: Mapping[str, Any], today: date) -> list[tuple[str, str]]:
    """Problems with the fields that are *filled in* (a draft may leave any blank): lengths,
    checksums, a minor as legal representative, an expired certificate, a future opening date."""
    problems: list[tuple[str, str]] = []
    for name, limit in TEXT_FIELDS.items():
        value = values.get(name) or ""
        if len(value) > limit:
            problems.append((name, E.FIELD_TOO_LONG))
    code_ = values.get("uscc") or ""
    if code_ and not uscc.is_valid(code_):
        problems.append(("uscc", E.USCC_INVALID))
    id_number = values.get("legal_rep_id_number") or ""
    if id_number:
        if not ric.is_valid(id_number):
            problems.append(("legal_rep_id_number", E.RESIDENT_ID_INVALID))
        else:
            born = birth_date(id_number)
            if born is not None and age_on(born, today) < ADULT_AGE:
                problems.append(("legal_rep_id_number", E.LEGAL_REP_MINOR))
    phone = values.get("contact_phone") or ""
    if phone and not _PHONE.match(phone):
        problems.append(("contact_phone", E.PHONE_INVALID))
    email = values.get("contact_email") or ""
    if email and not _EMAIL.match(email):
        problems.append(("contact_email", E.EMAIL_INVALID))
    expires = values.get("certificate_expires_on")
    if isinstance(expires, date) and expires < today:
        problems.append(("certificate_expires_on", E.CERTIFICATE_EXPIRED))
    opened = values.get("opened_on")
    if isinstance(opened, date) and opened > today:
        problems.append(("opened_on", E.OPENED_IN_FUTURE))
    return [(f, str(c)) for f, c in problems]


@dataclass(frozen=True, slots=True)
class DocumentFacts:
    kind: str
    label: str = ""


def validate_documents(documents: Sequence[DocumentFacts]) -> list[tuple[str, str]]:
    """What submit needs of the uploads: each single document, 3-5 photos with both required labels."""
    problems: list[tuple[str, str]] = []
    kinds = {d.kind for d in documents}
    for kind in SINGLE_DOCUMENTS:
        if kind not in kinds:
            problems.append((kind, str(E.DOCUMENT_MISSING)))
    photos = [d for d in documents if d.kind == PHOTO]
    if not MIN_PHOTOS <= len(photos) <= MAX_PHOTOS:
        problems.append(("photos", str(E.PHOTO_COUNT)))
    elif missing_photo_labels(photos):
        problems.append(("photos", str(E.PHOTO_LABELS_MISSING)))
    return problems


def missing_photo_labels(photos: Iterable[DocumentFacts]) -> list[str]:
    labels = {p.label for p in photos}
    return [label for label in REQUIRED_PHOTO_LABELS if label not in labels]


def validate_for_submit(values: Mapping[str, Any], documents: Sequence[DocumentFacts], today: date,
                        *, id_number_on_file: bool) -> list[tuple[str, str]]:
    """Every problem that keeps an application from being submitted."""
    problems = validate_fields(values, today)
    flagged = {f for f, _ in problems}
    for name in REQUIRED_FIELDS:
        if name == "legal_rep_id_number" and id_number_on_file:
            continue
        if name not in flagged and values.get(name) in (None, ""):
            problems.append((name, str(E.FIELD_REQUIRED)))
    return problems + validate_documents(documents)


# --- automatic checks --------------------------------------------------------------------------

PASSED: Final = "passed"
FAILED: Final = "failed"
PENDING: Final = "pending"
ERROR: Final = "error"

CHECK_USCC: Final = "uscc_checksum"
CHECK_ID: Final = "resident_id_checksum"
CHECK_ADULT: Final = "legal_rep_adult"
CHECK_CERTIFICATE: Final = "certificate_valid"
CHECK_OPERATING: Final = "operating_period"
CHECK_CREDIT: Final = "business_credit"
CHECK_PHOTOS: Final = "store_photos"
CHECK_NAMES: Final = (CHECK_USCC, CHECK_ID, CHECK_ADULT, CHECK_CERTIFICATE, CHECK_OPERATING, CHECK_CREDIT,
                      CHECK_PHOTOS)


@dataclass(frozen=True, slots=True)
class CheckOutcome:
    name: str
    status: str
    evidence: dict[str, Any] = field(default_factory=dict)


def check_uscc(code_: str) -> CheckOutcome:
    try:
        uscc.validate(code_)
    except StdnumError as exc:
        return CheckOutcome(CHECK_USCC, FAILED, {"standard": "GB 32100-2015", "error": type(exc).__name__})
    return CheckOutcome(CHECK_USCC, PASSED, {"standard": "GB 32100-2015", "uscc": code_})


def check_resident_id(id_number: str) -> CheckOutcome:
    # Evidence never holds the number itself (personal data): only the outcome and the standard.
    try:
        ric.validate(id_number)
    except StdnumError as exc:
        return CheckOutcome(CHECK_ID, FAILED, {"standard": "GB 11643-1999", "error": type(exc).__name__})
    return CheckOutcome(CHECK_ID, PASSED, {"standard": "GB 11643-1999"})


def check_adult(id_number: str, today: date) -> CheckOutcome:
    born = birth_date(id_number)
    if born is None:
        return CheckOutcome(CHECK_ADULT, FAILED, {"error": "no birth date in the ID number"})
    age = age_on(born, today)
    # The age, not the birth date: enough to justify the outcome without more personal data.
    return CheckOutcome(CHECK_ADULT, PASSED if age >= ADULT_AGE else FAILED,
                        {"age": age, "minimum": ADULT_AGE, "as_of": today.isoformat()})


def check_certificate(number: str, expires_on: date | None, today: date) -> CheckOutcome:
    evidence = {"certificate_number": number, "expires_on": expires_on.isoformat() if expires_on else None,
                "as_of": today.isoformat()}
    if not number or expires_on is None:
        return CheckOutcome(CHECK_CERTIFICATE, FAILED, {**evidence, "error": "missing"})
    if expires_on < today:
        return CheckOutcome(CHECK_CERTIFICATE, FAILED, {**evidence, "error": "expired"})
    return CheckOutcome(CHECK_CERTIFICATE, PASSED, evidence)


def check_operating(opened_on: date | None, today: date, *, quality: bool) -> CheckOutcome:
    months = MIN_MONTHS_QUALITY if quality else MIN_MONTHS
    if opened_on is None:
        return CheckOutcome(CHECK_OPERATING, FAILED, {"error": "no opening date", "required_months": months})
    eligible_from = add_months(opened_on, months)
    return CheckOutcome(CHECK_OPERATING, PASSED if eligible_from <= today else FAILED, {
        "opened_on": opened_on.isoformat(), "required_months": months, "quality": quality,
        "eligible_from": eligible_from.isoformat(), "as_of": today.isoformat(),
    })


def check_photos(photos: Sequence[DocumentFacts]) -> CheckOutcome:
    missing = missing_photo_labels(photos)
    ok = MIN_PHOTOS <= len(photos) <= MAX_PHOTOS and not missing
    return CheckOutcome(CHECK_PHOTOS, PASSED if ok else FAILED, {
        "count": len(photos), "minimum": MIN_PHOTOS, "maximum": MAX_PHOTOS,
        "labels": sorted(p.label for p in photos), "missing_labels": missing,
    })


def credit_status(status: str, decision: str | None) -> str:
    """A business check's outcome as a check status: a decided PASS passes, FAIL fails, a
    CONDITIONAL pass waits for the operator (pending); an undecided call is pending (UNKNOWN,
    PENDING: re-run the checks) or an error (FAILED, NOT_SUBMITTED)."""
    if status == "succeeded":
        return {"pass": PASSED, "fail": FAILED}.get(decision or "", PENDING)
    if status in ("pending", "unknown"):
        return PENDING
    return ERROR
