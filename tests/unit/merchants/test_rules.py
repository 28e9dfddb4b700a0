"""Merchant terms bounds and form parsing, expiry reminder rules (pure, no database)."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from pawpay.platform.errors import ValidationFailed
from pawpay.platform.merchants import rules
from pawpay.platform.merchants.rules import MerchantTermsInput, default_terms, terms_from_form, validate_terms


def test_the_defaults_are_valid_and_match_the_domain() -> None:
    terms = validate_terms(default_terms())
    assert terms.min_credit_score == 550
    assert terms.down_payment_fen == 9900
    assert (terms.cooling_off_days_min, terms.cooling_off_days_max) == (7, 14)
    assert (terms.plan_amount_warn_min_fen, terms.plan_amount_warn_max_fen) == (29800, 59800)
    assert terms.financing_provider == "sandbox"
    assert terms.settlement_days in (1, 7)


@pytest.mark.parametrize(("change", "field"), [
    ({"fee_rate_bp": -1}, "fee_rate_bp"),
    ({"fee_rate_bp": 1001}, "fee_rate_bp"),
    ({"settlement_days": 3}, "settlement_days"),
    ({"advances_allowed": True, "advance_ratio_bp": 3999}, "advance_ratio_bp"),
    ({"advances_allowed": True, "advance_ratio_bp": 5001}, "advance_ratio_bp"),
    ({"deposit_ratio_bp": 2999}, "deposit_ratio_bp"),
    ({"min_credit_score": 299}, "min_credit_score"),
    ({"min_credit_score": 951}, "min_credit_score"),
    ({"cooling_off_days_max": 31}, "cooling_off_days_max"),
    ({"cooling_off_days_min": 10, "cooling_off_days_max": 9}, "cooling_off_days_min"),
    ({"guarantee_policy": "nobody"}, "guarantee_policy"),
    ({"plan_amount_warn_min_fen": 60000, "plan_amount_warn_max_fen": 50000}, "plan_amount_warn_min_fen"),
    ({"down_payment_fen": -1}, "down_payment_fen"),
])
def test_out_of_bounds_terms_name_the_field(change: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        validate_terms(dataclasses.replace(default_terms(), **change))  # type: ignore[arg-type]
    assert caught.value.data["field"] == field
    assert str(caught.value.code) == "MERCHANT_TERMS_INVALID"


def test_the_bounds_themselves_are_allowed() -> None:
    for change in ({"fee_rate_bp": 0}, {"fee_rate_bp": 1000}, {"settlement_days": 1},
                   {"advances_allowed": True, "advance_ratio_bp": 4000},
                   {"advances_allowed": True, "advance_ratio_bp": 5000},
                   {"deposit_ratio_bp": 3000}, {"min_credit_score": 300}, {"min_credit_score": 950},
                   {"cooling_off_days_min": 0, "cooling_off_days_max": 0}, {"cooling_off_days_max": 30}):
        validate_terms(dataclasses.replace(default_terms(), **change))  # type: ignore[arg-type]


def test_a_form_parses_into_terms() -> None:
    terms = terms_from_form({"fee_rate_bp": " 250 ", "settlement_days": "1", "advances_allowed": "on",
                             "advance_ratio_bp": "4500", "advance_fee_bp": "300", "guarantee_policy": "partner_bears",
                             "deposit_ratio_bp": "3500"})
    assert terms == MerchantTermsInput(fee_rate_bp=250, settlement_days=1, advances_allowed=True,
                                       advance_ratio_bp=4500, advance_fee_bp=300, guarantee_policy="partner_bears",
                                       deposit_ratio_bp=3500)


def test_an_unticked_checkbox_means_no_advances_and_blank_fields_take_defaults() -> None:
    assert terms_from_form({}) == default_terms()


@pytest.mark.parametrize(("values", "field"), [
    ({"fee_rate_bp": "2.5"}, "fee_rate_bp"),
    ({"settlement_days": "T+1"}, "settlement_days"),
    ({"advances_allowed": "maybe"}, "advances_allowed"),
    ({"deposit_ratio_bp": "100"}, "deposit_ratio_bp"),
])
def test_a_bad_form_names_the_field(values: dict[str, str], field: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        terms_from_form(values)
    assert caught.value.data["field"] == field


def test_reminders_are_due_30_7_and_1_days_before() -> None:
    expires = date(2026, 12, 31)
    assert rules.reminders_due(expires, date(2026, 11, 30)) == []
    assert rules.reminders_due(expires, date(2026, 12, 1)) == [30]
    assert rules.reminders_due(expires, date(2026, 12, 20)) == [30]
    assert rules.reminders_due(expires, date(2026, 12, 24)) == [7]
    assert rules.reminders_due(expires, date(2026, 12, 30)) == [1]
    assert rules.reminders_due(expires, date(2026, 12, 31)) == [1]
    assert rules.reminders_due(expires, date(2027, 1, 1)) == []
    assert rules.reminders_due(None, date(2027, 1, 1)) == []


def test_a_document_expires_after_its_last_day() -> None:
    assert not rules.expired(date(2026, 12, 31), date(2026, 12, 31))
    assert rules.expired(date(2026, 12, 31), date(2027, 1, 1))
    assert not rules.expired(None, date(2027, 1, 1))


def test_uscc_and_resident_id_checksums() -> None:
    assert rules.check_uscc("91110000802100433B") == "91110000802100433B"
    with pytest.raises(ValidationFailed):
        rules.check_uscc("91110000802100433C")
    assert rules.check_resident_id("11010519491231002X") == "11010519491231002X"
    with pytest.raises(ValidationFailed):
        rules.check_resident_id("110105194912310021")
