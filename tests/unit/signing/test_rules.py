"""The signing flow's pure rules: the step machine, one-time codes, inputs and the risk decision."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from stdnum.cn import ric

from pawpay.platform.errors import Conflict, ValidationFailed
from pawpay.tenants.signing import rules
from pawpay.tenants.signing.errors import StepLocked, StepOutOfOrder

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
TODAY = date(2026, 11, 22)


def _id(born: str = "19900101", seq: str = "700") -> str:
    body = f"110101{born}{seq}"
    return body + ric.calc_check_digit(body + "0")


# --- the step machine ------------------------------------------------------------------------------

def test_steps_are_seven_and_numbered() -> None:
    assert rules.TOTAL_STEPS == 7
    assert rules.step_number("plan") == 1
    assert rules.step_number("debit") == 7
    assert rules.next_step({}) == "plan"
    assert rules.next_step(dict.fromkeys(rules.STEPS[:3], "t")) == "identity"
    assert rules.next_step(dict.fromkeys(rules.STEPS, "t")) is None


def test_a_step_before_its_turn_is_refused() -> None:
    done = {"plan": "t", "pet": "t", "details": "t"}
    with pytest.raises(StepOutOfOrder):
        rules.check_step("contract", done, rules.IN_PROGRESS)  # the e-sign before the face check
    with pytest.raises(StepOutOfOrder):
        rules.check_step("debit", done, rules.IN_PROGRESS)
    with pytest.raises(StepOutOfOrder):
        rules.check_step("nonsense", done, rules.IN_PROGRESS)
    rules.check_step("identity", done, rules.IN_PROGRESS)


def test_earlier_steps_are_editable_until_the_identity_check() -> None:
    done = {"plan": "t", "pet": "t", "details": "t"}
    rules.check_step("pet", done, rules.IN_PROGRESS)
    with pytest.raises(StepLocked):
        rules.check_step("pet", {**done, "identity": "t"}, rules.IN_PROGRESS)
    with pytest.raises(StepLocked):
        rules.check_step("identity", {**done, "identity": "t"}, rules.IN_PROGRESS)


@pytest.mark.parametrize("state", [rules.MANUAL_REVIEW, rules.DECLINED, rules.COMPLETED])
def test_a_closed_signing_takes_no_step(state: str) -> None:
    with pytest.raises(Conflict):
        rules.check_step("plan", {}, state)


# --- one-time codes ---------------------------------------------------------------------------------

def test_codes_are_six_digits_and_tokens_are_hashed() -> None:
    codes = {rules.new_code() for _ in range(50)}
    assert all(len(c) == 6 and c.isdigit() for c in codes)
    token, digest = rules.new_token()
    assert rules.token_hash(token) == digest
    assert token not in digest
    assert rules.csrf_for(token) != rules.csrf_for(token + "x")


def test_expired_used_and_overtried_codes_are_refused() -> None:
    good = {"expires_at": NOW + timedelta(minutes=1), "used_at": None, "attempts": 0, "now": NOW}
    rules.otp_problem(**good)
    with pytest.raises(ValidationFailed, match="expired"):
        rules.otp_problem(**{**good, "expires_at": NOW})
    with pytest.raises(ValidationFailed, match="already used"):
        rules.otp_problem(**{**good, "used_at": NOW})
    with pytest.raises(ValidationFailed, match="too many"):
        rules.otp_problem(**{**good, "attempts": rules.OTP_MAX_ATTEMPTS})
    with pytest.raises(ValidationFailed):
        rules.clean_code("12345")
    assert rules.clean_code(" 012345 ") == "012345"


# --- inputs ----------------------------------------------------------------------------------------

def test_pet_dates() -> None:
    pet = rules.check_pet(name="咪咪", species="cat", breed="", birthday=date(2026, 3, 1), adoption_date=None,
                          today=TODAY)
    assert pet.adoption_date == TODAY
    with pytest.raises(ValidationFailed) as future:
        rules.check_pet(name="咪咪", species="cat", breed="", birthday=TODAY + timedelta(days=1), adoption_date=None,
                        today=TODAY)
    assert future.value.data["field"] == "birthday"
    with pytest.raises(ValidationFailed, match="after its adoption"):
        rules.check_pet(name="咪咪", species="cat", breed="", birthday=date(2026, 5, 1),
                        adoption_date=date(2026, 4, 1), today=TODAY)
    with pytest.raises(ValidationFailed):
        rules.check_pet(name="咪咪", species="hamster", breed="", birthday=date(2026, 5, 1), adoption_date=None,
                        today=TODAY)


def test_id_numbers_are_checked_with_stdnum() -> None:
    good = _id()
    assert rules.clean_id_number(good.lower()) == good
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    with pytest.raises(ValidationFailed) as wrong:
        rules.clean_id_number(bad)
    assert wrong.value.data["field"] == "id_number"
    with pytest.raises(ValidationFailed):
        rules.clean_id_number("1234")
    with pytest.raises(ValidationFailed, match="future"):
        rules.check_details(name="王", id_number=_id("20991231"), address="上海", occupation="employed",
                            income="stable", residence="owned", today=TODAY)


def test_age_in_full_years() -> None:
    assert rules.age_on(_id("20081123"), TODAY) == 17
    assert rules.age_on(_id("20081122"), TODAY) == 18


# --- the risk decision ----------------------------------------------------------------------------

BASE = rules.RiskInputs(age=30, occupation="employed", income="stable", residence="owned", real_name_matched=True,
                        face_matched=True, credit="pass", form_seconds=60)


def test_pass_is_approved() -> None:
    assert rules.decide(BASE).outcome == rules.APPROVE


@pytest.mark.parametrize(("change", "reason"), [
    ({"age": 17}, "UNDERAGE"),
    ({"real_name_matched": False}, "ID_MISMATCH_REAL_NAME"),
    ({"face_matched": False}, "ID_MISMATCH_FACE"),
    ({"payer_matched": False}, "ID_MISMATCH_PAYER"),
    ({"occupation": "student"}, "DECLARED_STUDENT"),
    ({"income": "none"}, "NO_STABLE_INCOME"),
    ({"income": "unstable"}, "NO_STABLE_INCOME"),
    ({"residence": "none"}, "NO_FIXED_ADDRESS"),
    ({"credit": "fail"}, "CREDIT_FAIL"),
])
def test_hard_rules_and_credit_fail_decline(change: dict[str, object], reason: str) -> None:
    result = rules.decide(replace(BASE, **change))  # type: ignore[arg-type]
    assert result.outcome == rules.DECLINE
    assert reason in result.reasons


def test_hard_rules_win_over_everything() -> None:
    result = rules.decide(replace(BASE, age=16, edits=10, credit="conditional"))
    assert result.outcome == rules.DECLINE


@pytest.mark.parametrize(("change", "reason"), [
    ({"form_seconds": 1}, "FORM_TOO_FAST"),
    ({"edits": 4}, "MANY_EDITS"),
    ({"other_stores_id": 2}, "ID_IN_OTHER_STORES"),
    ({"other_stores_phone": 2}, "PHONE_IN_OTHER_STORES"),
    ({"attempts": 3}, "MANY_ATTEMPTS"),
])
def test_fraud_signals_go_to_manual_review(change: dict[str, object], reason: str) -> None:
    result = rules.decide(replace(BASE, **change))  # type: ignore[arg-type]
    assert result.outcome == rules.REVIEW
    assert reason in result.reasons


def test_form_time_threshold_is_configurable_and_unknown_time_is_no_signal() -> None:
    assert rules.decide(replace(BASE, form_seconds=1, min_form_seconds=0)).outcome == rules.APPROVE
    assert rules.decide(replace(BASE, form_seconds=None)).outcome == rules.APPROVE


def test_conditional_offers_a_down_payment_or_a_proof() -> None:
    result = rules.decide(replace(BASE, credit="conditional"))
    assert result.outcome == rules.CONDITIONAL
    assert set(result.conditions) == {rules.CONDITION_DOWN_PAYMENT, rules.CONDITION_PROOF}
    below = rules.decide(replace(BASE, credit_score=540, min_credit_score=550))
    assert below.outcome == rules.CONDITIONAL
    assert below.reasons == ("SCORE_BELOW_THRESHOLD",)
    assert rules.decide(replace(BASE, credit_score=600, min_credit_score=550)).outcome == rules.APPROVE

