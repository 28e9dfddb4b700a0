"""Pure rules of the merchants component: terms bounds, form parsing, expiry reminders. No I/O."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from pawpay.platform.merchants.errors import ProfileInvalid, TermsInvalid

SETTLEMENT_DAYS = (1, 7)
GUARANTEE_POLICIES = ("store_bears", "platform_guarantee", "partner_bears")
FEE_RATE_MAX_BP = 1000
ADVANCE_RATIO_MIN_BP = 4000
ADVANCE_RATIO_MAX_BP = 5000
ADVANCE_FEE_MAX_BP = 3000
DEPOSIT_RATIO_MIN_BP = 3000
DEPOSIT_RATIO_MAX_BP = 10000
CREDIT_SCORE_MIN = 300
CREDIT_SCORE_MAX = 950
DOWN_PAYMENT_MAX_FEN = 1_000_000
COOLING_OFF_MAX_DAYS = 30
PLAN_AMOUNT_MAX_FEN = 10_000_000
REMINDER_DAYS = (30, 7, 1)


@dataclass(frozen=True)
class MerchantTermsInput:
    """A store's commercial terms as an operator sets them (rates in basis points, money in fen)."""

    fee_rate_bp: int = 300
    settlement_days: int = 7
    advances_allowed: bool = False
    advance_ratio_bp: int = 0
    advance_fee_bp: int = 0
    financing_provider: str = "sandbox"
    guarantee_policy: str = "store_bears"
    deposit_ratio_bp: int = 3000
    min_credit_score: int = 550
    down_payment_fen: int = 9900
    cooling_off_days_min: int = 7
    cooling_off_days_max: int = 14
    plan_amount_warn_min_fen: int = 29800
    plan_amount_warn_max_fen: int = 59800


TERMS_FIELDS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(MerchantTermsInput))
_BOOL_FIELDS = {"advances_allowed"}
_STR_FIELDS = {"financing_provider", "guarantee_policy"}


def default_terms() -> MerchantTermsInput:
    """The platform's default terms (DOMAIN §1, §3, §6): 3% fee, T+7, no advances, 30% deposit."""
    return MerchantTermsInput()


def _int_between(terms: MerchantTermsInput, name: str, low: int, high: int) -> None:
    value = getattr(terms, name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise TermsInvalid(f"{name} must be a whole number", field=name)
    if not low <= value <= high:
        raise TermsInvalid(f"{name} must be between {low} and {high}", field=name, minimum=low, maximum=high)


def validate_terms(terms: MerchantTermsInput) -> MerchantTermsInput:
    """Check every field against the platform's bounds; raise :class:`TermsInvalid` with ``field``."""
    _int_between(terms, "fee_rate_bp", 0, FEE_RATE_MAX_BP)
    if terms.settlement_days not in SETTLEMENT_DAYS or isinstance(terms.settlement_days, bool):
        raise TermsInvalid("settlement_days must be 1 (T+1) or 7 (T+7)", field="settlement_days")
    if not isinstance(terms.advances_allowed, bool):
        raise TermsInvalid("advances_allowed must be true or false", field="advances_allowed")
    if terms.advances_allowed:
        _int_between(terms, "advance_ratio_bp", ADVANCE_RATIO_MIN_BP, ADVANCE_RATIO_MAX_BP)
        _int_between(terms, "advance_fee_bp", 0, ADVANCE_FEE_MAX_BP)
        if not isinstance(terms.financing_provider, str) or not terms.financing_provider.strip():
            raise TermsInvalid("a financing provider is required when advances are allowed",
                               field="financing_provider")
    else:
        _int_between(terms, "advance_ratio_bp", 0, ADVANCE_RATIO_MAX_BP)
        _int_between(terms, "advance_fee_bp", 0, ADVANCE_FEE_MAX_BP)
    if not isinstance(terms.financing_provider, str) or len(terms.financing_provider) > 64:
        raise TermsInvalid("financing_provider must be a provider name", field="financing_provider")
    if terms.guarantee_policy not in GUARANTEE_POLICIES:
        raise TermsInvalid("guarantee_policy must be one of " + ", ".join(GUARANTEE_POLICIES),
                           field="guarantee_policy")
    _int_between(terms, "deposit_ratio_bp", DEPOSIT_RATIO_MIN_BP, DEPOSIT_RATIO_MAX_BP)
    _int_between(terms, "min_credit_score", CREDIT_SCORE_MIN, CREDIT_SCORE_MAX)
    _int_between(terms, "down_payment_fen", 0, DOWN_PAYMENT_MAX_FEN)
    _int_between(terms, "cooling_off_days_min", 0, COOLING_OFF_MAX_DAYS)
    _int_between(terms, "cooling_off_days_max", 0, COOLING_OFF_MAX_DAYS)
    if terms.cooling_off_days_min > terms.cooling_off_days_max:
        raise TermsInvalid("the cooling-off minimum may not exceed the maximum", field="cooling_off_days_min")
    _int_between(terms, "plan_amount_warn_min_fen", 0, PLAN_AMOUNT_MAX_FEN)
    _int_between(terms, "plan_amount_warn_max_fen", 0, PLAN_AMOUNT_MAX_FEN)
    if terms.plan_amount_warn_min_fen > terms.plan_amount_warn_max_fen:
        raise TermsInvalid("the plan amount warning minimum may not exceed the maximum",
                           field="plan_amount_warn_min_fen")
    return terms


_TRUE = {"1", "true", "on", "yes", "y"}
_FALSE = {"", "0", "false", "off", "no", "n"}


def terms_from_form(values: Mapping[str, str]) -> MerchantTermsInput:
    """Parse an HTML form (names = attribute names) into validated terms.

    A missing field takes its default, except ``advances_allowed``: an HTML checkbox left unticked
    is absent, so absent means False. Raises :class:`TermsInvalid` with ``field=<attribute>``.
    """
    defaults = default_terms()
    parsed: dict[str, Any] = {}
    for name in TERMS_FIELDS:
        raw_value = values.get(name)
        text = raw_value.strip() if isinstance(raw_value, str) else None
        if name in _BOOL_FIELDS:
            lowered = (text or "").lower()
            if lowered in _TRUE:
                parsed[name] = True
            elif lowered in _FALSE:
                parsed[name] = False
            else:
                raise TermsInvalid(f"{name} must be true or false", field=name)
        elif name in _STR_FIELDS:
            parsed[name] = text if text else getattr(defaults, name)
        elif text is None or text == "":
            parsed[name] = getattr(defaults, name)
        else:
            try:
                parsed[name] = int(text)
            except ValueError:
                raise TermsInvalid(f"{name} must be a whole number", field=name) from None
    return validate_terms(MerchantTermsInput(**parsed))


def terms_as_dict(terms: Any) -> dict[str, Any]:
    """The terms fields of ``terms`` (an input or a view) as a plain dict (audit snapshots, forms)."""
    return {name: getattr(terms, name) for name in TERMS_FIELDS}


# --- profile -----------------------------------------------------------------------------------

def check_text(value: str, field: str, *, max_length: int, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ProfileInvalid(f"{field} is required", field=field)
    if len(text) > max_length:
        raise ProfileInvalid(f"{field} is too long (at most {max_length} characters)", field=field)
    return text


def check_uscc(value: str) -> str:
    from stdnum.cn import uscc
    from stdnum.exceptions import ValidationError

    try:
        return str(uscc.validate(value))
    except ValidationError:
        raise ProfileInvalid("not a valid unified social credit code", field="uscc") from None


def check_resident_id(value: str) -> str:
    from stdnum.cn import ric
    from stdnum.exceptions import ValidationError

    try:
        return str(ric.validate(value))
    except ValidationError:
        raise ProfileInvalid("not a valid resident ID number", field="legal_rep_id_number") from None


# --- expiry ------------------------------------------------------------------------------------

def expired(expires_on: date | None, today: date) -> bool:
    """A document expires at the end of its expiry day."""
    return expires_on is not None and expires_on < today


def reminders_due(expires_on: date | None, today: date) -> list[int]:
    """Which of the 30/7/1-day reminders are due by ``today`` (a late run still sends the nearest one).

    Returns the smallest threshold reached (only one message per run): e.g. 5 days before expiry
    the 7-day reminder is due; the 30-day one is not sent any more.
    """
    if expires_on is None:
        return []
    days_left = (expires_on - today).days
    if days_left < 0:
        return []
    reached = [d for d in REMINDER_DAYS if days_left <= d]
    return [min(reached)] if reached else []
