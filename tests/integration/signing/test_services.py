"""The signing services: one-time codes, bad input, tampering, double submits, the same pet twice,
the risk paths, the down payment's unknown outcome, the review queue, cross-store isolation."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest

from pawpay.platform.errors import BusinessRuleViolation, Conflict, NotFound, PermissionDenied, ValidationFailed
from pawpay.platform.merchants import services as merchants
from pawpay.platform.providers.services import provider_for
from pawpay.platform.tenancy.context import PlatformContext, TenantContext
from pawpay.tenants.contracts import services as contracts
from pawpay.tenants.contracts.errors import PetHasOpenContract
from pawpay.tenants.signing import services as signing
from pawpay.tenants.signing.errors import SigningErrorCode, StepOutOfOrder
from tests.integration.contracts.conftest import plan_for
from tests.integration.signing.conftest import (
    complete_page,
    last_code,
    login,
    make_id,
    new_phone,
    sign_and_debit,
    signing_store,
    walk_to_risk,
)

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("pawpay_database")]


@pytest.fixture(autouse=True)
def _no_form_time_signal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(signing, "min_form_seconds", 0)


# --- one-time codes ---------------------------------------------------------------------------------

async def test_code_is_single_use_and_counts_wrong_attempts() -> None:
    s = await signing_store()
    phone = new_phone()
    sent = await signing.request_code(s.ctx, phone)
    assert sent.phone_masked.endswith(phone[-4:])
    assert phone not in sent.phone_masked
    code = await last_code(s.ctx, phone)
    wrong = "000000" if code != "000000" else "111111"
    with pytest.raises(ValidationFailed) as bad:
        await signing.verify_code(s.ctx, phone, wrong)
    assert str(bad.value.code) == SigningErrorCode.SIGNING_OTP_WRONG
    token, session = await signing.verify_code(s.ctx, phone, code)
    assert (await signing.session_for(s.ctx, token)).id == session.id
    with pytest.raises(ValidationFailed) as reused:
        await signing.verify_code(s.ctx, phone, code)
    assert str(reused.value.code) == SigningErrorCode.SIGNING_OTP_USED


async def test_expired_code_is_refused(owner: Any) -> None:
    s = await signing_store()
    phone = new_phone()
    await signing.request_code(s.ctx, phone)
    await owner.execute("UPDATE signing_otp SET expires_at = now() - interval '1 second' WHERE tenant_id = $1",
                        s.store.tenant_id)
    with pytest.raises(ValidationFailed) as expired:
        await signing.verify_code(s.ctx, phone, await last_code(s.ctx, phone))
    assert str(expired.value.code) == SigningErrorCode.SIGNING_OTP_EXPIRED


async def test_too_many_wrong_codes_lock_the_code_and_resends_are_limited() -> None:
    s = await signing_store()
    phone = new_phone()
    await signing.request_code(s.ctx, phone)
    code = await last_code(s.ctx, phone)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        with pytest.raises(ValidationFailed):
            await signing.verify_code(s.ctx, phone, wrong)
    with pytest.raises(ValidationFailed) as locked:
        await signing.verify_code(s.ctx, phone, code)  # even the right code: too many tries
    assert str(locked.value.code) == SigningErrorCode.SIGNING_OTP_TOO_MANY_ATTEMPTS
    with pytest.raises(BusinessRuleViolation) as limited:
        await signing.request_code(s.ctx, phone)
    assert str(getattr(limited.value, "code", "")) == SigningErrorCode.SIGNING_OTP_RATE_LIMITED
    with pytest.raises(ValidationFailed):
        await signing.request_code(s.ctx, "12345")


async def test_sessions_belong_to_one_store() -> None:
    s = await signing_store()
    other = await signing_store()
    phone = new_phone()
    await signing.request_code(s.ctx, phone)
    token, _ = await signing.verify_code(s.ctx, phone, await last_code(s.ctx, phone))
    with pytest.raises(PermissionDenied):
        await signing.session_for(other.ctx, token)
    with pytest.raises(PermissionDenied):
        await signing.session_for(s.ctx, "not-a-token")
    await signing.end_session(s.ctx, token)
    with pytest.raises(PermissionDenied):
        await signing.session_for(s.ctx, token)


# --- bad input and tampering ---------------------------------------------------------------------------

async def test_bad_inputs_change_nothing() -> None:
    s = await signing_store()
    session = await login(s.ctx, new_phone())
    view = await signing.start_signing(s.ctx, session, s.plan.id)
    await signing.submit_plan(s.ctx, session, view.id, plan_id=s.plan.id, debit_day=10)
    with pytest.raises(ValidationFailed) as future:
        await signing.submit_pet(s.ctx, session, view.id, name="咪咪", species="cat", breed="",
                                 birthday=datetime.now(UTC).date() + timedelta(days=30))
    assert future.value.data["field"] == "birthday"
    with pytest.raises(ValidationFailed):
        await signing.submit_pet(s.ctx, session, view.id, name="咪咪", species="cat", breed="",
                                 birthday=date(2026, 5, 1), adoption_date=date(2026, 4, 1))
    with pytest.raises(ValidationFailed):  # the plan is for cats
        await signing.submit_pet(s.ctx, session, view.id, name="旺财", species="dog", breed="",
                                 birthday=date(2026, 3, 1))
    await signing.submit_pet(s.ctx, session, view.id, name="咪咪", species="cat", breed="",
                             birthday=date(2026, 3, 1))
    good = make_id()
    with pytest.raises(ValidationFailed) as bad_id:
        await signing.submit_details(s.ctx, session, view.id, name="王小明",
                                     id_number=good[:-1] + ("0" if good[-1] != "0" else "1"), address="上海",
                                     occupation="employed", income="stable", residence="owned")
    assert bad_id.value.data["field"] == "id_number"
    # Tampered order: the e-sign, the risk decision or the debit before the face check.
    before = await signing.get_signing(s.ctx, session, view.id)
    with pytest.raises(StepOutOfOrder):
        await signing.start_esign(s.ctx, session, view.id, agree_terms=True)
    with pytest.raises(StepOutOfOrder):
        await signing.run_risk(s.ctx, session, view.id)
    with pytest.raises(StepOutOfOrder):
        await signing.finish_debit(s.ctx, session, view.id)
    with pytest.raises(StepOutOfOrder):
        await signing.contract_preview(s.ctx, session, view.id)
    after = await signing.get_signing(s.ctx, session, view.id)
    assert after.steps == before.steps
    assert after.contract_id is None
    # The face consent is separate and required.
    await signing.submit_details(s.ctx, session, view.id, name="王小明", id_number=good, address="上海",
                                 occupation="employed", income="stable", residence="owned")
    with pytest.raises(ValidationFailed) as consent:
        await signing.start_identity(s.ctx, session, view.id, face_consent=False)
    assert str(consent.value.code) == SigningErrorCode.SIGNING_CONSENT_REQUIRED


async def test_name_and_id_mismatch_is_refused_and_a_face_mismatch_declines() -> None:
    s = await signing_store()
    session = await login(s.ctx, new_phone())
    view = await signing.start_signing(s.ctx, session, s.plan.id)
    await signing.submit_plan(s.ctx, session, view.id, plan_id=s.plan.id, debit_day=5)
    await signing.submit_pet(s.ctx, session, view.id, name="咪咪", species="cat", breed="", birthday=date(2026, 3, 1))
    await signing.submit_details(s.ctx, session, view.id, name="王不符", id_number=make_id(), address="上海",
                                 occupation="employed", income="stable", residence="owned")
    with pytest.raises(ValidationFailed) as mismatch:
        await signing.start_identity(s.ctx, session, view.id, face_consent=True)
    assert mismatch.value.data["field"] == "id_number"
    await signing.submit_details(s.ctx, session, view.id, name="王非本人", id_number=make_id(), address="上海",
                                 occupation="employed", income="stable", residence="owned")
    started = await signing.start_identity(s.ctx, session, view.id, face_consent=True)
    await complete_page(s.ctx, "face", started.action_urls["face"])
    declined = await signing.finish_identity(s.ctx, session, view.id)
    assert declined.state == "declined"
    assert declined.decline_reason == "ID_MISMATCH_FACE"


async def test_under_18_is_declined() -> None:
    s = await signing_store()
    today = datetime.now(UTC).date()
    walk = await walk_to_risk(s, id_number=make_id(born=date(today.year - 17, 1, 1)))
    view = await signing.run_risk(s.ctx, walk.session, walk.view.id)
    assert view.state == "declined"
    decisions = await signing.decisions(s.ctx, view.id)
    assert "UNDERAGE" in decisions[-1].reasons
    assert decisions[-1].inputs["age"] == 17


# --- the last step, twice; the same pet, twice -------------------------------------------------------

async def test_double_submit_of_the_last_step_returns_the_same_contract() -> None:
    s = await signing_store()
    walk = await walk_to_risk(s)
    await signing.run_risk(s.ctx, walk.session, walk.view.id)
    first = await sign_and_debit(s, walk)
    second = await signing.finish_debit(s.ctx, walk.session, walk.view.id)
    assert second.id == first.id
    listed, total = await contracts.list_contracts(s.ctx, customer_id=first.customer_id)
    assert total == 1
    assert listed[0].state == "active"
    assert len(await contracts.installments(s.ctx, first.id)) == first.periods


async def test_two_signings_of_the_same_pet_conflict() -> None:
    s = await signing_store()
    second_plan = await plan_for(s.ctx)
    phone, id_number = new_phone(), make_id()
    first = await walk_to_risk(s, phone=phone, id_number=id_number)
    await signing.run_risk(s.ctx, first.session, first.view.id)
    await signing.contract_preview(s.ctx, first.session, first.view.id)
    # The same person starts another plan for the same pet.
    session = first.session
    other = await signing.start_signing(s.ctx, session, second_plan.id)
    assert other.id != first.view.id
    await signing.submit_plan(s.ctx, session, other.id, plan_id=second_plan.id, debit_day=10)
    await signing.submit_pet(s.ctx, session, other.id, name="咪咪", species="cat", breed="英短",
                             birthday=date(2026, 3, 1))
    await signing.submit_details(s.ctx, session, other.id, name="王小明", id_number=id_number, address="上海",
                                 occupation="employed", income="stable", residence="owned")
    started = await signing.start_identity(s.ctx, session, other.id, face_consent=True)
    await complete_page(s.ctx, "face", started.action_urls["face"])
    await signing.finish_identity(s.ctx, session, other.id)
    assert (await signing.run_risk(s.ctx, session, other.id)).risk_outcome == "approve"
    with pytest.raises(PetHasOpenContract):
        await signing.contract_preview(s.ctx, session, other.id)
    with pytest.raises(Conflict):
        await signing.start_esign(s.ctx, session, other.id, agree_terms=True)
    view = await signing.get_signing(s.ctx, session, other.id)
    assert view.contract_id is None  # nothing half-made was kept
    contract = await sign_and_debit(s, first)
    assert contract.state == "active"
    listed, _ = await contracts.list_contracts(s.ctx, customer_id=contract.customer_id)
    assert [c.id for c in listed] == [contract.id]


# --- conditional: down payment (unknown outcome) and proof ------------------------------------------------

async def test_down_payment_with_an_unknown_outcome_is_queried_before_any_retry() -> None:
    s = await signing_store()
    terms = await merchants.current_terms(s.ctx)
    # 9,904 fen: the sandbox times out on the charge, then a query says it succeeded.
    await merchants.set_terms(PlatformContext(actor_label="test"), s.store.tenant_id,
                              dataclasses.replace(terms.as_input(), down_payment_fen=9904), reason="test")
    walk = await walk_to_risk(s, id_number=make_id(score=520))
    view = await signing.run_risk(s.ctx, walk.session, walk.view.id)
    assert view.risk_outcome == "conditional"
    view = await signing.choose_down_payment(s.ctx, walk.session, walk.view.id)
    assert view.down_payment_fen == 9904
    contract = await sign_and_debit(s, walk)
    assert contract.state == "active"
    payments, _pctx = await provider_for(s.ctx, "payments")
    charged = [a for t, _attempt, a in payments.debits if t == str(s.store.tenant_id)]
    assert charged == [9904]  # charged once
    final = await signing.get_signing(s.ctx, walk.session, walk.view.id)
    assert final.down_payment_status == "succeeded"
    # The charge confirmed by the query is recorded once, like any other.
    from pawpay.platform.settlement import services as settlement

    [attempt_id] = [a for t, a, _amount in payments.debits if t == str(s.store.tenant_id)]
    item = await settlement.get_item(s.ctx, attempt_id)
    assert (item.amount_fen, item.contract_ref, item.status) == (9904, contract.contract_no, "held")
    assert (await contracts.installments(s.ctx, contract.id))[-1].amount_fen == contract.monthly_amount_fen - 9904


async def test_failed_down_payment_can_be_retried_with_a_new_attempt() -> None:
    s = await signing_store()
    terms = await merchants.current_terms(s.ctx)
    await merchants.set_terms(PlatformContext(actor_label="test"), s.store.tenant_id,
                              dataclasses.replace(terms.as_input(), down_payment_fen=9901), reason="test")
    walk = await walk_to_risk(s, id_number=make_id(score=510))
    await signing.run_risk(s.ctx, walk.session, walk.view.id)
    await signing.choose_down_payment(s.ctx, walk.session, walk.view.id)
    with pytest.raises(BusinessRuleViolation) as failed:
        await sign_and_debit(s, walk)
    assert str(getattr(failed.value, "code", "")) == SigningErrorCode.SIGNING_PROVIDER_FAILED
    view = await signing.get_signing(s.ctx, walk.session, walk.view.id)
    assert view.state == "in_progress"
    assert view.down_payment_status == "failed"
    contract = await contracts.get_contract(s.ctx, view.contract_id)  # type: ignore[arg-type]
    assert contract.state == "pending_signature"  # never half-signed


async def test_proof_goes_to_manual_review_and_a_manager_decides() -> None:
    s = await signing_store()
    walk = await walk_to_risk(s, id_number=make_id(score=530))
    await signing.run_risk(s.ctx, walk.session, walk.view.id)
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    view = await signing.upload_proof(s.ctx, walk.session, walk.view.id, kind="income", data=pdf,
                                      filename="income.pdf")
    assert view.state == "manual_review"
    queue, total = await signing.list_signings(s.ctx, state="manual_review")
    assert total == 1
    assert queue[0].id == view.id
    with pytest.raises(ValidationFailed):
        await signing.review(s.ctx, view.id, approve=True, reason=" ")
    approved = await signing.review(s.ctx, view.id, approve=True, reason="收入证明核实")
    assert approved.state == "in_progress"
    assert approved.next_step == "contract"
    with pytest.raises(Conflict):
        await signing.review(s.ctx, view.id, approve=False, reason="again")
    decisions = await signing.decisions(s.ctx, view.id)
    assert decisions[-1].reviewed
    assert decisions[-1].review_outcome == "approve"
    assert (await sign_and_debit(s, walk)).state == "active"


async def test_same_person_in_other_stores_goes_to_review_without_naming_them() -> None:
    id_number = make_id()
    for _ in range(2):
        other = await signing_store()
        await walk_to_risk(other, id_number=id_number)
    s = await signing_store()
    walk = await walk_to_risk(s, id_number=id_number)
    view = await signing.run_risk(s.ctx, walk.session, walk.view.id)
    assert view.state == "manual_review"
    decision = (await signing.decisions(s.ctx, view.id))[-1]
    assert "ID_IN_OTHER_STORES" in decision.reasons
    assert decision.inputs["other_stores_id"] == 2
    assert not any(str(other.store.tenant_id) in str(v) for v in decision.inputs.values())


# --- cross-store ---------------------------------------------------------------------------------------

async def test_another_store_sees_nothing() -> None:
    s = await signing_store()
    other = await signing_store()
    walk = await walk_to_risk(s)
    other_session = await login(other.ctx, new_phone())
    with pytest.raises(NotFound):
        await signing.get_signing(other.ctx, other_session, walk.view.id)
    with pytest.raises(NotFound):
        await signing.staff_signing(other.ctx, walk.view.id)
    with pytest.raises(NotFound):
        await signing.decisions(other.ctx, walk.view.id)
    with pytest.raises(NotFound):
        await signing.review(other.ctx, walk.view.id, approve=True, reason="x")
    rows, total = await signing.list_signings(other.ctx)
    assert total == 0
    assert rows == []
    # Another customer of the same store cannot reach it either.
    stranger = await login(s.ctx, new_phone())
    with pytest.raises(NotFound):
        await signing.get_signing(s.ctx, stranger, walk.view.id)
    forged = dataclasses.replace(walk.session, tenant_id=other.store.tenant_id)
    with pytest.raises(NotFound):
        await signing.submit_plan(TenantContext(tenant_id=other.store.tenant_id), forged, walk.view.id,
                                  plan_id=other.plan.id, debit_day=5)
    assert uuid.UUID(str(walk.view.id))


async def test_staff_link_points_at_the_plan() -> None:
    s = await signing_store()
    url = await signing.signing_link(s.ctx, s.plan.id, base_url="https://pawpay.example/")
    assert url == f"https://pawpay.example/sign/{s.store.slug}/start?plan={s.plan.id}"
    with pytest.raises(NotFound):
        await signing.resolve_store("no-such-store-xyz")
    assert (await signing.resolve_store(s.store.slug)).id == s.store.tenant_id


async def test_the_same_name_and_id_mismatch_three_times_declines() -> None:
    s = await signing_store()
    session = await login(s.ctx, new_phone())
    view = await signing.start_signing(s.ctx, session, s.plan.id)
    await signing.submit_plan(s.ctx, session, view.id, plan_id=s.plan.id, debit_day=5)
    await signing.submit_pet(s.ctx, session, view.id, name="咪咪", species="cat", breed="", birthday=date(2026, 3, 1))
    for _ in range(2):
        await signing.submit_details(s.ctx, session, view.id, name="李不符", id_number=make_id(), address="上海",
                                     occupation="employed", income="stable", residence="owned")
        with pytest.raises(ValidationFailed):
            await signing.start_identity(s.ctx, session, view.id, face_consent=True)
    await signing.submit_details(s.ctx, session, view.id, name="李不符", id_number=make_id(), address="上海",
                                 occupation="employed", income="stable", residence="owned")
    declined = await signing.start_identity(s.ctx, session, view.id, face_consent=True)
    assert declined.state == "declined"
    assert declined.decline_reason == "ID_MISMATCH_REAL_NAME"


async def test_an_abandoned_signing_expires_and_frees_the_pet() -> None:
    from pawpay.platform.clock import utcnow

    s = await signing_store()
    walk = await walk_to_risk(s)
    await signing.run_risk(s.ctx, walk.session, walk.view.id)
    preview = await signing.contract_preview(s.ctx, walk.session, walk.view.id)
    assert await signing.expire_stale(utcnow()) == 0 or (
        await signing.get_signing(s.ctx, walk.session, walk.view.id)).state == "in_progress"
    assert (await signing.get_signing(s.ctx, walk.session, walk.view.id)).state == "in_progress"
    assert await signing.expire_stale(utcnow() + timedelta(hours=25)) >= 1
    view = await signing.get_signing(s.ctx, walk.session, walk.view.id)
    assert view.state == "expired"
    assert (await contracts.get_contract(s.ctx, preview.contract_id)).state == "cancelled"
    with pytest.raises(Conflict):
        await signing.start_esign(s.ctx, walk.session, walk.view.id, agree_terms=True)


def test_the_expiry_job_is_registered() -> None:
    from pawpay.platform.hooks._manager import get_plugin_manager

    names = [w.name for works in get_plugin_manager().hook.pawpay_due_work() for w in works]
    assert "periodic:signing_expire_stale" in names
    assert "pawpay.tenants.signing.actors" in [m for ms in get_plugin_manager().hook.pawpay_actor_modules() for m in ms]


async def test_one_address_cannot_ask_codes_for_many_phones() -> None:
    s = await signing_store()
    for _ in range(20):
        await signing.request_code(s.ctx, new_phone(), ip="198.51.100.99")
    with pytest.raises(BusinessRuleViolation) as limited:
        await signing.request_code(s.ctx, new_phone(), ip="198.51.100.99")
    assert str(limited.value.code) == SigningErrorCode.SIGNING_OTP_RATE_LIMITED
    await signing.request_code(s.ctx, new_phone(), ip="198.51.100.100")


async def test_down_payment_is_held_recorded_prepaid_released_and_reconciled() -> None:
    """The conditional path's down payment (9,900 fen) is charged like a debit (funds held, the pinned
    platform fee split off), recorded in the ledger and the settlement items in the activating
    transaction, applied to the schedule from the last installment backwards, released on its T+N
    business day and reconciled without differences; the last step submitted twice changes nothing."""
    from zoneinfo import ZoneInfo

    from pawpay.platform.audit import services as audit
    from pawpay.platform.clock import FrozenClock, set_clock
    from pawpay.platform.jobs.services import get_tenant_clock
    from pawpay.platform.ledger import services as ledger
    from pawpay.platform.reconciliation import services as reconciliation
    from pawpay.platform.settlement import services as settlement
    from pawpay.tenants.billing import services as billing
    from pawpay.tenants.billing.services import fee_for

    s = await signing_store()
    walk = await walk_to_risk(s, id_number=make_id(score=520))
    assert (await signing.run_risk(s.ctx, walk.session, walk.view.id)).risk_outcome == "conditional"
    chosen = await signing.choose_down_payment(s.ctx, walk.session, walk.view.id)
    assert chosen.down_payment_fen == 9900
    preview = await signing.contract_preview(s.ctx, walk.session, walk.view.id)
    contract = await sign_and_debit(s, walk)
    assert contract.total_fen == preview.total_fen  # the down payment is part of the total shown
    again = await signing.finish_debit(s.ctx, walk.session, walk.view.id)
    assert again.id == contract.id

    terms = await merchants.terms_version(s.ctx, contract.terms_version)
    fee = fee_for(9900, terms.fee_rate_bp)
    payments, _pctx = await provider_for(s.ctx, "payments")
    tenant = str(s.store.tenant_id)
    [(attempt_id, charged)] = [(a, amount) for t, a, amount in payments.debits if t == tenant]  # charged once
    assert charged == 9900
    # held (hold_funds) net of the platform fee split off at the charge (the sandbox counts only held charges)
    assert payments.funds(tenant) == {"held_fen": 9900 - fee, "released_fen": 0, "split_fen": 0}

    # The ledger: held net of the fee, the fee, the receivable reduced by the down payment.
    assert await ledger.balance(s.ctx, "store_funds_held") == 9900 - fee
    assert await ledger.balance(s.ctx, "platform_fee") == fee
    receivable = await ledger.balance(s.ctx, f"customer_receivable:{contract.contract_no}")
    assert receivable == contract.total_fen - 9900
    assert payments.funds(tenant)["held_fen"] == 9900 - fee  # the provider's records equal the ledger
    item = await settlement.get_item(s.ctx, attempt_id)
    assert (item.amount_fen, item.fee_fen, item.contract_ref, item.status) == (9900, fee, contract.contract_no,
                                                                               "held")

    # The schedule: the last installment is reduced by 9,900; one prepayment, one collection.
    schedule = await contracts.installments(s.ctx, contract.id)
    assert [i.amount_fen for i in schedule[:-1]] == [contract.monthly_amount_fen] * (contract.periods - 1)
    assert schedule[-1].amount_fen == contract.monthly_amount_fen - 9900
    assert schedule[-1].status == "due"
    assert sum(i.amount_fen for i in schedule) == receivable
    # Billing planned the schedule after the commit, so it charges the reduced amount.
    [planned] = await billing.installment_debits(s.ctx, schedule[-1].id)
    assert planned.amount_fen == contract.monthly_amount_fen - 9900
    again_schedule = await contracts.apply_prepayment(s.ctx, contract.id, 9900, reference=attempt_id,
                                                      paid_at=item.collected_at)
    assert again_schedule == schedule
    assert (await ledger.entries(s.ctx, account_code="store_funds_held"))[1] == 1  # one collection
    _, prepayments = await audit.list_entries(s.ctx, audit.AuditFilter(
        action=contracts.PREPAYMENT_ACTION, target_id=str(contract.id)))
    assert prepayments == 1

    # Released on its T+N business day; that day and the collection day reconcile cleanly.
    assert item.releasable_on is not None
    offset = timedelta(seconds=(await get_tenant_clock(s.ctx)).offset_seconds)
    release_at = datetime.combine(item.releasable_on, time(6), tzinfo=ZoneInfo("Asia/Shanghai")) - offset
    previous = set_clock(FrozenClock(release_at))  # the store's clock: 06:00 on the release day
    try:
        batch = await settlement.run_settlement_batch(s.ctx, item.releasable_on)
    finally:
        set_clock(previous)
    assert batch.status == "completed"
    assert (batch.item_count, batch.gross_fen, batch.fee_fen, batch.release_fen) == (1, 9900, fee, 9900 - fee)
    assert (await settlement.get_item(s.ctx, attempt_id)).status == "released"
    assert await ledger.balance(s.ctx, "store_funds_held") == 0
    assert payments.funds(tenant)["held_fen"] == 0
    assert payments.funds(tenant)["released_fen"] == await ledger.balance(s.ctx, "store_funds_released") == 9900 - fee
    for day in sorted({item.collected_on, item.releasable_on}):
        run = await reconciliation.reconcile_day(s.ctx, day)
        assert (run.status, run.differences) == ("clean", 0), (
            day, item, [(d.kind, d.provider_fen, d.ledger_fen, d.reference) for d in
                        await reconciliation.store_differences(s.ctx, day)])


async def test_a_prepayment_reduces_the_schedule_from_the_last_installment_once() -> None:
    s = await signing_store()
    walk = await walk_to_risk(s)
    await signing.run_risk(s.ctx, walk.session, walk.view.id)
    contract = await sign_and_debit(s, walk)
    monthly, at = contract.monthly_amount_fen, datetime(2026, 11, 1, 2, tzinfo=UTC)
    with pytest.raises(ValidationFailed):
        await contracts.apply_prepayment(s.ctx, contract.id, 0, reference="pp-1", paid_at=at)
    with pytest.raises(ValidationFailed):
        await contracts.apply_prepayment(s.ctx, contract.id, 100, reference=" ", paid_at=at)
    with pytest.raises(ValidationFailed):  # more than is still open
        await contracts.apply_prepayment(s.ctx, contract.id, contract.total_fen + 1, reference="pp-0", paid_at=at)
    other = await signing_store()
    with pytest.raises(NotFound):  # another store's contract is not found
        await contracts.apply_prepayment(other.ctx, contract.id, 100, reference="pp-1", paid_at=at)
    schedule = await contracts.apply_prepayment(s.ctx, contract.id, monthly + 100, reference="pp-1", paid_at=at)
    last, before_last = schedule[-1], schedule[-2]
    assert (last.amount_fen, last.status, last.paid_at) == (monthly, "paid", at)  # paid up front, not waived
    assert (before_last.amount_fen, before_last.status) == (monthly - 100, "due")
    assert [i.amount_fen for i in schedule[:-2]] == [monthly] * (contract.periods - 2)
    assert await contracts.apply_prepayment(s.ctx, contract.id, monthly + 100, reference="pp-1",
                                            paid_at=at) == schedule  # the same reference: nothing changes
    assert (await contracts.get_contract(s.ctx, contract.id)).total_fen == contract.total_fen
    assert sum(i.amount_fen for i in schedule if i.status == "due") == contract.total_fen - monthly - 100
    # Billing never charges the paid one: its planned attempt is cancelled when it comes due.
    from pawpay.tenants.billing import services as billing

    [attempt] = await billing.installment_debits(s.ctx, last.id)
    assert await billing.process_attempt(s.ctx, attempt.id, staff=True) is None
    assert (await billing.get_attempt(s.ctx, attempt.id)).status == "cancelled"
