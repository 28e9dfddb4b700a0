"""Onboarding's pure rules: the state machine, field validation and the automatic checks."""

from __future__ import annotations

from datetime import date

import pytest
from stdnum.cn import ric, uscc

from pawpay.platform.onboarding import rules
from pawpay.platform.onboarding.errors import ApplicationInvalid, InvalidTransition
from pawpay.platform.onboarding.rules import DocumentFacts

pytestmark = pytest.mark.unit

TODAY = date(2026, 11, 22)


def an_id(birth: str = "19900101", seq: str = "550") -> str:
    base = f"110101{birth}{seq}"
    return base + ric.calc_check_digit(base + "0")  # stdnum wants a placeholder check digit


def a_uscc(body: str = "91110000600037341") -> str:
    return body + uscc.calc_check_digit(body)


def test_the_workflow_allows_only_its_transitions() -> None:
    assert rules.next_state(rules.DRAFT, rules.SUBMIT) == rules.SUBMITTED
    assert rules.next_state(rules.NEEDS_INFO, rules.SUBMIT) == rules.SUBMITTED
    assert rules.next_state(rules.SUBMITTED, rules.START_REVIEW) == rules.IN_REVIEW
    assert rules.next_state(rules.IN_REVIEW, rules.APPROVE) == rules.APPROVED
    assert rules.next_state(rules.IN_REVIEW, rules.REQUEST_INFO) == rules.NEEDS_INFO
    assert rules.next_state(rules.SUBMITTED, rules.REJECT) == rules.REJECTED
    for state, action in [(rules.DRAFT, rules.APPROVE), (rules.SUBMITTED, rules.APPROVE),
                          (rules.APPROVED, rules.REJECT), (rules.REJECTED, rules.SUBMIT),
                          (rules.APPROVED, rules.SUBMIT), (rules.IN_REVIEW, rules.SUBMIT)]:
        with pytest.raises(InvalidTransition):
            rules.next_state(state, action)
    assert rules.allowed_actions(rules.APPROVED) == []
    assert set(rules.allowed_actions(rules.IN_REVIEW)) == {rules.APPROVE, rules.REJECT, rules.REQUEST_INFO}


def test_valid_fields_have_no_problems() -> None:
    values = {"uscc": a_uscc(), "legal_rep_id_number": an_id(), "contact_phone": "13912345678",
              "contact_email": "a@b.cn", "certificate_expires_on": date(2027, 1, 1), "opened_on": date(2025, 1, 1)}
    assert rules.validate_fields(values, TODAY) == []


def test_bad_fields_are_each_named_with_a_code() -> None:
    good_uscc, good_id = a_uscc(), an_id()
    bad_uscc = good_uscc[:-1] + ("0" if good_uscc[-1] != "0" else "1")
    bad_id = good_id[:-1] + ("0" if good_id[-1] != "0" else "1")
    problems = rules.validate_fields({
        "uscc": bad_uscc, "legal_rep_id_number": bad_id, "contact_phone": "12345", "contact_email": "nope",
        "certificate_expires_on": date(2026, 11, 21), "opened_on": date(2026, 11, 23), "store_name": "x" * 201,
    }, TODAY)
    assert dict(problems) == {
        "uscc": "USCC_INVALID", "legal_rep_id_number": "RESIDENT_ID_INVALID", "contact_phone": "PHONE_INVALID",
        "contact_email": "EMAIL_INVALID", "certificate_expires_on": "CERTIFICATE_EXPIRED",
        "opened_on": "OPENED_IN_FUTURE", "store_name": "FIELD_TOO_LONG",
    }


def test_a_minor_cannot_be_the_legal_representative() -> None:
    minor = an_id("20081123")  # 18 tomorrow
    adult = an_id("20081122")  # 18 today
    assert rules.validate_fields({"legal_rep_id_number": minor}, TODAY) == [("legal_rep_id_number", "LEGAL_REP_MINOR")]
    assert rules.validate_fields({"legal_rep_id_number": adult}, TODAY) == []
    assert rules.check_adult(minor, TODAY).status == rules.FAILED
    assert rules.check_adult(adult, TODAY).evidence["age"] == 18


def test_a_certificate_expiring_today_is_still_valid() -> None:
    assert rules.check_certificate("C-1", TODAY, TODAY).status == rules.PASSED
    assert rules.check_certificate("C-1", date(2026, 11, 21), TODAY).status == rules.FAILED
    assert rules.check_certificate("", TODAY, TODAY).status == rules.FAILED


def test_operating_period_is_six_months_or_three_for_quality_stores() -> None:
    assert rules.check_operating(date(2026, 5, 22), TODAY, quality=False).status == rules.PASSED
    assert rules.check_operating(date(2026, 5, 23), TODAY, quality=False).status == rules.FAILED
    assert rules.check_operating(date(2026, 5, 23), TODAY, quality=True).status == rules.PASSED
    assert rules.check_operating(date(2026, 8, 23), TODAY, quality=True).status == rules.FAILED
    assert rules.check_operating(None, TODAY, quality=False).status == rules.FAILED
    assert rules.add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)


def _photos(*labels: str) -> list[DocumentFacts]:
    return [DocumentFacts(rules.PHOTO, label) for label in labels]


def test_photos_need_three_to_five_with_both_required_labels() -> None:
    singles = [DocumentFacts(k) for k in rules.SINGLE_DOCUMENTS]
    assert rules.validate_documents(singles + _photos("pet_selection_area", "signing_area", "other")) == []
    assert rules.validate_documents(singles + _photos("pet_selection_area", "signing_area")) == [
        ("photos", "PHOTO_COUNT")]
    assert rules.validate_documents(singles + _photos(*["other"] * 6)) == [("photos", "PHOTO_COUNT")]
    assert rules.validate_documents(singles + _photos("storefront", "signing_area", "other")) == [
        ("photos", "PHOTO_LABELS_MISSING")]
    assert ("business_licence", "DOCUMENT_MISSING") in rules.validate_documents([])
    check = rules.check_photos(_photos("storefront", "signing_area", "other"))
    assert check.status == rules.FAILED
    assert check.evidence["missing_labels"] == ["pet_selection_area"]


def test_submit_needs_every_field() -> None:
    problems = rules.validate_for_submit({}, [], TODAY, id_number_on_file=False)
    assert ("store_name", "FIELD_REQUIRED") in problems
    assert ("legal_rep_id_number", "FIELD_REQUIRED") in problems
    on_file = rules.validate_for_submit({}, [], TODAY, id_number_on_file=True)
    assert ("legal_rep_id_number", "FIELD_REQUIRED") not in on_file


def test_checksum_checks_keep_no_personal_data_in_evidence() -> None:
    number = an_id()
    assert rules.check_resident_id(number).status == rules.PASSED
    assert number not in str(rules.check_resident_id(number).evidence)
    assert number not in str(rules.check_adult(number, TODAY).evidence)
    assert rules.check_uscc(a_uscc()).status == rules.PASSED
    assert rules.check_uscc("91110000600037341X").status == rules.FAILED


def test_credit_outcomes_map_to_check_statuses() -> None:
    assert rules.credit_status("succeeded", "pass") == rules.PASSED
    assert rules.credit_status("succeeded", "fail") == rules.FAILED
    assert rules.credit_status("succeeded", "conditional") == rules.PENDING
    assert rules.credit_status("unknown", None) == rules.PENDING
    assert rules.credit_status("failed", None) == rules.ERROR


def test_application_invalid_lists_every_problem() -> None:
    one = ApplicationInvalid([("uscc", "USCC_INVALID")])
    assert str(one.code) == "USCC_INVALID"
    assert one.http_status == 422
    assert one.data["field"] == "uscc"
    many = ApplicationInvalid([("uscc", "USCC_INVALID"), ("photos", "PHOTO_COUNT")])
    assert str(many.code) == "APPLICATION_INVALID"
    assert many.data["errors"] == [{"field": "uscc", "code": "USCC_INVALID"},
                                   {"field": "photos", "code": "PHOTO_COUNT"}]
