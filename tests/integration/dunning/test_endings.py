"""Pauses and endings against the real database and the sandboxes: an illness pause skips debits and
extends the schedule, then resumes on the store's clock; pet death settles pro rata; the "week cat"
exchange stops debits; cooling-off cancellation; early termination end to end (retention offer first,
the penalty shown, the agreement e-signed at the identity sandbox, debits stopped, the mandate ended at
the payment sandbox); and another store gets NotFound."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from pawpay.platform.errors import NotFound, ValidationFailed
from pawpay.platform.providers.services import provider_for
from pawpay.platform.tenancy.context import TenantContext
from pawpay.platform.testing.plugin import create_store
from pawpay.tenants.billing import services as billing
from pawpay.tenants.contracts import services as contracts
from pawpay.tenants.dunning import endings, rules
from pawpay.tenants.dunning import services as dunning
from pawpay.tenants.dunning.errors import NotSigned, RetentionFirst
from tests.integration.dunning.conftest import advance, fail, tick, world

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("pawpay_database")]


async def test_an_illness_pause_skips_debits_and_extends_the_schedule(jobs_stub: Any) -> None:
    w = await world(phone="13912340101")
    before = w.installments
    pause = await endings.pause_for_illness(w.ctx, w.contract.id, periods=2, reason="猫咪生病住院",
                                            agreement="客户同意暂停两期，之后顺延")
    after = await contracts.installments(w.ctx, w.contract.id)
    assert [i.status for i in after[:3]] == ["paused", "paused", "due"]
    assert all(a.due_on == rules.add_months(b.due_on, 2) for a, b in zip(after, before, strict=True))
    assert (await contracts.get_contract(w.ctx, w.contract.id)).end_on == rules.add_months(w.contract.end_on, 2)
    assert await dunning.installment_paused(w.ctx, after[0].id)
    due = await contracts.due_installments(w.ctx, on_or_before=after[-1].due_on)
    assert after[0].id not in {i.id for i in due}
    assert pause.resume_at is not None
    # Billing plans the reminder for the moved date of the first period still due.
    reminders = await billing.installment_reminders(w.ctx, after[2].id)
    assert after[2].due_on in {r.due_on for r in reminders}
    # The store's clock reaches three days before the first paused period's new due date: due again.
    await advance(w.ctx, days=(after[0].due_on - await dunning.store_today(w.ctx)).days - 2)
    await tick(jobs_stub)
    resumed = await contracts.installments(w.ctx, w.contract.id)
    assert [i.status for i in resumed[:2]] == ["due", "due"]
    assert (await endings.get_pause(w.ctx, pause.id)).status == "ended"
    assert not await dunning.installment_paused(w.ctx, after[0].id)
    assert after[0].due_on in {r.due_on for r in await billing.installment_reminders(w.ctx, after[0].id)}


async def test_a_pause_is_one_or_two_periods_with_an_agreement() -> None:
    w = await world(phone="13912340102")
    with pytest.raises(ValidationFailed) as err:
        await endings.pause_for_illness(w.ctx, w.contract.id, periods=3, reason="病", agreement="同意")
    assert err.value.data["field"] == "periods"
    with pytest.raises(ValidationFailed) as err:
        await endings.pause_for_illness(w.ctx, w.contract.id, periods=1, reason="病", agreement=" ")
    assert err.value.data["field"] == "agreement"


async def test_pet_death_settles_pro_rata() -> None:
    w = await world(phone="13912340103")
    first = await fail(w)
    event_on = first.due_on + timedelta(days=1)
    await advance(w.ctx, days=(event_on - await dunning.store_today(w.ctx)).days + 1)
    ending = await endings.record_pet_death(w.ctx, w.contract.id, kind="pet_death", event_on=event_on,
                                            reason="猫咪因病去世")
    schedule = await contracts.installments(w.ctx, w.contract.id)
    assert schedule[0].status == "failed"  # the delivered period is still owed
    assert all(i.status == "cancelled" for i in schedule[1:])
    assert ending.settlement_fen == first.amount_fen
    assert ending.remaining_fen == sum(i.amount_fen for i in schedule[1:])
    assert ending.penalty_fen == 0
    assert (await contracts.get_contract(w.ctx, w.contract.id)).state == "active"  # until the owed one is paid
    case = await dunning.get_case(w.ctx, first.id)
    assert case is not None
    assert case.status == "open"


async def test_a_week_cat_exchange_stops_debits_until_resumed() -> None:
    w = await world(phone="13912340104")
    ending = await endings.record_exchange(w.ctx, w.contract.id, reason="星期猫：到家三天去世", note="换同品种幼猫")
    assert ending.kind == "exchange"
    schedule = await contracts.installments(w.ctx, w.contract.id)
    assert {i.status for i in schedule} == {"paused"}
    assert await dunning.installment_paused(w.ctx, schedule[0].id)
    await endings.resume_exchange(w.ctx, w.contract.id)
    assert {i.status for i in await contracts.installments(w.ctx, w.contract.id)} == {"due"}


async def test_cooling_off_cancellation_without_penalty() -> None:
    w = await world(phone="13912340105")
    ending = await endings.cancel_in_cooling_off(w.ctx, w.contract.id, reason="客户改变主意")
    assert ending.kind == "cooling_off"
    assert ending.penalty_fen == 0
    assert (await contracts.get_contract(w.ctx, w.contract.id)).state == "cancelled"


async def test_early_termination_end_to_end() -> None:
    w = await world(phone="13912340106")
    ending = await endings.start_termination(w.ctx, w.contract.id, reason="搬家到外地")
    assert ending.status == "retention_offered"
    assert ending.retention["offers"] == ["change_plan", "move_debit_date"]
    with pytest.raises(RetentionFirst):
        await endings.start_termination_signing(w.ctx, ending.id)
    quoted = await endings.decline_retention(w.ctx, ending.id, note="客户不需要")
    remaining = sum(i.amount_fen for i in w.installments)
    assert quoted.remaining_fen == remaining
    assert quoted.penalty_fen == rules.penalty_fen(remaining, w.contract.penalty_rate_bp)
    signing = await endings.start_termination_signing(w.ctx, ending.id, return_url="https://example.test/back")
    assert signing.status == "signing"
    assert signing.sign_url
    with pytest.raises(NotSigned):
        await endings.complete_termination(w.ctx, ending.id)
    identity, ipctx = await provider_for(w.ctx, "identity")
    identity.complete_sign_flow(ipctx, signing.sign_url.rstrip("/").rsplit("/", 1)[-1])
    done = await endings.complete_termination(w.ctx, ending.id)
    assert done.status == "completed"
    assert done.penalty_fen == quoted.penalty_fen
    assert done.agreement_result == "succeeded"
    contract = await contracts.get_contract(w.ctx, w.contract.id)
    assert contract.state == "terminated"
    assert "搬家到外地" in contract.end_reason
    assert {i.status for i in await contracts.installments(w.ctx, w.contract.id)} == {"cancelled"}
    kinds = [a.kind for a in await dunning.list_actions(w.ctx, contract_id=w.contract.id)]
    assert kinds == ["retention_offered", "retention_declined", "termination_signing_started", "terminated",
                     "penalty_collected"]
    assert (await endings.complete_termination(w.ctx, ending.id)).status == "completed"  # idempotent


async def test_a_retained_customer_is_not_terminated() -> None:
    w = await world(phone="13912340107")
    ending = await endings.start_termination(w.ctx, w.contract.id, reason="手头紧")
    kept = await endings.accept_retention(w.ctx, ending.id, offer="move_debit_date", note="改到15号")
    assert kept.status == "retained"
    assert (await contracts.get_contract(w.ctx, w.contract.id)).state == "active"


async def test_another_store_gets_not_found() -> None:
    w = await world(phone="13912340108")
    ending = await endings.start_termination(w.ctx, w.contract.id, reason="x")
    other = await create_store()
    octx = TenantContext(tenant_id=other.tenant_id, actor_id=other.manager_id, actor_label="other")
    with pytest.raises(NotFound):
        await endings.get_ending(octx, ending.id)
    with pytest.raises(NotFound):
        await endings.decline_retention(octx, ending.id)
    with pytest.raises(NotFound):
        await endings.pause_for_illness(octx, w.contract.id, periods=1, reason="x", agreement="y")
    with pytest.raises(NotFound):
        await endings.start_termination(octx, w.contract.id, reason="x")
    assert await endings.list_endings(octx, w.contract.id) == []


async def test_a_mandate_the_provider_did_not_confirm_is_terminated_again(monkeypatch: pytest.MonkeyPatch) -> None:
    w = await world(phone="13912340109")
    ending = await endings.start_termination(w.ctx, w.contract.id, reason="出国")
    await endings.decline_retention(w.ctx, ending.id)
    signing = await endings.start_termination_signing(w.ctx, ending.id)
    identity, ipctx = await provider_for(w.ctx, "identity")
    identity.complete_sign_flow(ipctx, signing.sign_url.rstrip("/").rsplit("/", 1)[-1])

    async def down(*_: Any, **__: Any) -> str:
        return "error"

    with monkeypatch.context() as m:
        m.setattr(endings, "_terminate_mandate", down)
        done = await endings.complete_termination(w.ctx, ending.id)
    assert (done.status, done.agreement_result) == ("completed", "error")
    again = await endings.complete_termination(w.ctx, ending.id)
    assert again.agreement_result == "succeeded"
    kinds = [a.kind for a in await dunning.list_actions(w.ctx, contract_id=w.contract.id)]
    assert kinds[-1] == "mandate_termination_retried"
