"""The early-termination penalty is charged once after the signed termination and before the mandate
ends: repeated, crashed and unknown charges resolve to one debit at the sandbox; the ledger equals the
sandbox's funds; a declined penalty stays owed with a manager's task while the termination completes;
late-success webhooks (duplicated) settle it once; the API shows it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from pawpay.platform.hooks import AgreementState
from pawpay.platform.identity.roles import FINANCE
from pawpay.platform.jobs.services import advance_tenant_clock
from pawpay.platform.ledger import services as ledger
from pawpay.platform.providers.services import provider_for
from pawpay.platform.tenancy.context import TenantContext
from pawpay.platform.testing.plugin import create_store
from pawpay.platform.webhooks.services import receive
from pawpay.tenants.contracts import services as contracts
from pawpay.tenants.dunning import endings
from pawpay.tenants.dunning import penalty as penalties
from pawpay.tenants.dunning import services as dunning
from pawpay.tenants.dunning.due import DUE_WORK, DUNNING_QUEUE
from tests.integration.billing.conftest import new_store
from tests.integration.dunning.conftest import move_to_local
from tests.integration.sandbox_webhooks import charge_webhook, process_pending_webhooks

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("pawpay_database")]

async def signed_termination(ctx: TenantContext, contract_id: Any, reason: str = "搬家到外地") -> Any:
    """Retention offered and declined, the termination agreement e-signed at the sandbox; not completed."""
    ending = await endings.start_termination(ctx, contract_id, reason=reason)
    await endings.decline_retention(ctx, ending.id, note="客户坚持解约")
    signing = await endings.start_termination_signing(ctx, ending.id)
    identity, ipctx = await provider_for(ctx, "identity")
    identity.complete_sign_flow(ipctx, signing.sign_url.rstrip("/").rsplit("/", 1)[-1])
    return signing


async def books(ctx: TenantContext) -> dict[str, int]:
    return {b.code: b.balance_fen for b in await ledger.balances(ctx)}


async def penalty_debits(store: Any) -> list[tuple[str, int]]:
    sandbox = await store.sandbox()
    return [(d[1], d[2]) for d in sandbox.debits if d[0] == str(store.ctx.tenant_id) and d[1].startswith("pen-")]


async def agreement_state(store: Any, contract_id: Any) -> AgreementState:
    evidence = await contracts.get_evidence(store.ctx, contract_id)
    sandbox, pctx = await store.sandbox(), await store.pctx()
    return (await sandbox.query_agreement(pctx, evidence.payment_agreement_reference)).state


async def tick(jobs: Any) -> int:
    result = await jobs.scheduler(list(DUE_WORK)).tick(datetime.now(UTC))
    await jobs.join(DUNNING_QUEUE)
    return int(result.sent)


async def _store_with_contract(amount: int, periods: int = 12) -> tuple[Any, Any]:
    store = await new_store()
    await move_to_local(store.ctx, 10)
    contract = await store.sign(amount=amount, periods=periods)
    return store, contract


async def test_the_penalty_is_charged_once_booked_and_receipted_then_the_mandate_ends(jobs_stub: Any) -> None:
    store, c = await _store_with_contract(29_800)
    signing = await signed_termination(store.ctx, c.id)
    expected = 12 * 29_800 // 10  # 10% of the remaining total (35,760 fen)
    done = await endings.complete_termination(store.ctx, signing.id)
    assert (done.status, done.penalty_fen, done.agreement_result) == ("completed", expected, "succeeded")
    [pen] = await penalties.list_penalties(store.ctx, contract_id=c.id)
    assert (pen.status, pen.amount_fen, pen.attempt_id, pen.mandate) == (
        "succeeded", expected, f"pen-{signing.id.hex}", "succeeded")
    assert pen.charge_at is None
    # Repeated: the staff button again, the due work forced, a scheduler tick — nothing new.
    await endings.complete_termination(store.ctx, signing.id)
    await penalties.process_penalty(store.ctx, pen.id, force=True)
    await tick(jobs_stub)  # (the tick also serves other tests' stores: judge this penalty by its row)
    assert (await penalties.get_penalty(store.ctx, pen.id)).charge_at is None, "not due again"
    assert await penalty_debits(store) == [(pen.attempt_id, expected)]
    assert await agreement_state(store, c.id) is AgreementState.TERMINATED
    assert {i.status for i in await contracts.installments(store.ctx, c.id)} == {"cancelled"}
    # Ledger = the sandbox: held funds, the fee, the penalty income, nothing left receivable.
    b = await books(store.ctx)
    sandbox = await store.sandbox()
    charge = next(x for x in sandbox.charges(str(store.ctx.tenant_id)) if x["attempt_id"] == pen.attempt_id)
    assert b["store_funds_held"] == sandbox.funds(str(store.ctx.tenant_id))["held_fen"] == expected - pen.fee_fen
    assert b["platform_fee"] == charge["platform_fee_fen"] == pen.fee_fen > 0
    assert b[penalties.PENALTY_INCOME] == expected
    assert b[f"customer_receivable:{c.contract_no}:penalty"] == 0
    assert b[f"customer_receivable:{c.contract_no}"] == 0
    # The receipt, once.
    notifier, npctx = await provider_for(store.ctx, "notifications")
    receipts = [m for m in notifier.inbox(npctx) if m.template == penalties.RECEIPT_SMS_TEMPLATE]
    assert len(receipts) == 1
    assert receipts[0].params == {"contract_no": c.contract_no, "amount": "357.60"}
    kinds = [a.kind for a in await dunning.list_actions(store.ctx, contract_id=c.id)]
    assert kinds[-2:] == ["terminated", "penalty_collected"]


async def test_a_crash_after_submitting_is_resolved_by_a_query_not_a_second_charge(
        jobs_stub: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    store, c = await _store_with_contract(29_800)
    signing = await signed_termination(store.ctx, c.id)

    async def crash(*_: Any, **__: Any) -> Any:
        raise RuntimeError("worker killed after the provider answered")

    with monkeypatch.context() as m:
        m.setattr(penalties, "apply_outcome", crash)
        done = await endings.complete_termination(store.ctx, signing.id)
    assert (done.status, done.agreement_result) == ("completed", penalties.AWAITING_PENALTY)
    # The termination committed before the charge: debits stopped, the penalty is in flight.
    assert (await contracts.get_contract(store.ctx, c.id)).state == "terminated"
    [pen] = await penalties.list_penalties(store.ctx, contract_id=c.id)
    assert pen.status == "submitted"
    assert await agreement_state(store, c.id) is not AgreementState.TERMINATED, "the mandate waits for the penalty"
    assert await tick(jobs_stub) == 1  # the real scheduler and worker pick it up: query, not charge
    fresh = await penalties.get_penalty(store.ctx, pen.id)
    assert (fresh.status, fresh.tries, fresh.mandate) == ("succeeded", 1, "succeeded")
    assert await penalty_debits(store) == [(pen.attempt_id, pen.amount_fen)]
    assert (await books(store.ctx))["store_funds_held"] == (await store.sandbox()).funds(
        str(store.ctx.tenant_id))["held_fen"]


async def test_a_crash_before_the_provider_got_the_charge_charges_it_with_the_same_id(
        jobs_stub: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    store, c = await _store_with_contract(29_800)
    signing = await signed_termination(store.ctx, c.id)
    sandbox = await store.sandbox()

    async def killed(*_: Any, **__: Any) -> Any:
        raise RuntimeError("worker killed before the request left")

    with monkeypatch.context() as m:
        m.setattr(sandbox, "charge", killed)
        await endings.complete_termination(store.ctx, signing.id)
    [pen] = await penalties.list_penalties(store.ctx, contract_id=c.id)
    assert (pen.status, pen.tries) == ("unknown", 1), "the provider guard reports the fault as an unknown outcome"
    assert await penalty_debits(store) == []
    await advance_tenant_clock(store.ctx, 180)
    assert await tick(jobs_stub) == 1  # query: NOT_FOUND → charged with the same id
    fresh = await penalties.get_penalty(store.ctx, pen.id)
    assert (fresh.status, fresh.tries, fresh.mandate) == ("succeeded", 1, "succeeded")
    assert await penalty_debits(store) == [(pen.attempt_id, pen.amount_fen)]


async def test_an_unknown_outcome_is_queried_before_anything_else(jobs_stub: Any) -> None:
    # 12 x 2,920 = 35,040 → penalty 3,504 fen: the sandbox times out with the money taken (04).
    store, c = await _store_with_contract(2_920)
    signing = await signed_termination(store.ctx, c.id)
    done = await endings.complete_termination(store.ctx, signing.id)
    assert done.agreement_result == penalties.AWAITING_PENALTY
    [pen] = await penalties.list_penalties(store.ctx, contract_id=c.id)
    assert (pen.amount_fen, pen.status, pen.error_code) == (3_504, "unknown", "TIMEOUT")
    await tick(jobs_stub)
    waiting = await penalties.get_penalty(store.ctx, pen.id)
    assert (waiting.status, waiting.tries) == ("unknown", 1), "the query waits its recheck time"
    await advance_tenant_clock(store.ctx, 180)
    await tick(jobs_stub)
    fresh = await penalties.get_penalty(store.ctx, pen.id)
    assert (fresh.status, fresh.tries) == ("succeeded", 1)
    assert await penalty_debits(store) == [(pen.attempt_id, 3_504)]
    assert (await endings.get_ending(store.ctx, signing.id)).agreement_result == "succeeded"
    b = await books(store.ctx)
    assert b["store_funds_held"] == (await store.sandbox()).funds(str(store.ctx.tenant_id))["held_fen"]
    assert b[penalties.PENALTY_INCOME] == 3_504


async def test_a_declined_penalty_stays_owed_with_a_task_and_the_termination_completes(jobs_stub: Any) -> None:
    # 12 x 2,501 = 30,012 → penalty 3,001 fen: the sandbox declines it (01).
    store, c = await _store_with_contract(2_501)
    signing = await signed_termination(store.ctx, c.id)
    done = await endings.complete_termination(store.ctx, signing.id)
    assert (done.status, done.penalty_fen, done.agreement_result) == ("completed", 3_001, "succeeded")
    [pen] = await penalties.list_penalties(store.ctx, contract_id=c.id)
    assert (pen.status, pen.error_code, pen.owed) == ("failed", "INSUFFICIENT_FUNDS", True)
    [task] = await dunning.list_tasks(store.ctx, kind="penalty_owed")
    assert (task.id, task.contract_id, task.assignee_id) == (pen.task_id, c.id, store.s.store.manager_id)
    assert "30.01" in task.note
    assert (await contracts.get_contract(store.ctx, c.id)).state == "terminated"
    assert await agreement_state(store, c.id) is AgreementState.TERMINATED
    assert await penalty_debits(store) == []
    b = await books(store.ctx)
    assert b[f"customer_receivable:{c.contract_no}:penalty"] == 3_001, "owed"
    assert b[penalties.PENALTY_INCOME] == 3_001
    assert b.get("store_funds_held", 0) == 0
    await tick(jobs_stub)
    again = await penalties.get_penalty(store.ctx, pen.id)
    assert (again.status, again.tries, again.charge_at) == ("failed", pen.tries, None), \
        "a declined penalty is not retried by itself"
    notifier, npctx = await provider_for(store.ctx, "notifications")
    assert not [m for m in notifier.inbox(npctx) if m.template == penalties.RECEIPT_SMS_TEMPLATE]


async def test_late_success_webhooks_duplicated_and_reordered_settle_the_penalty_once(jobs_stub: Any) -> None:
    # 12 x 5,005 = 60,060 → penalty 6,006 fen: PENDING, the success comes later (06).
    store, c = await _store_with_contract(5_005)
    signing = await signed_termination(store.ctx, c.id)
    await endings.complete_termination(store.ctx, signing.id)
    [pen] = await penalties.list_penalties(store.ctx, contract_id=c.id)
    assert (pen.amount_fen, pen.status) == (6_006, "unknown")
    sandbox, pctx = await store.sandbox(), await store.pctx()
    raw = sandbox.build_webhook(pctx, pen.attempt_id)  # the vendor resolves it: succeeded
    for _ in range(3):
        await receive("payments", "sandbox", store.ctx.tenant_id, raw)
    for status in ("failed", "succeeded"):
        raw = charge_webhook(store, pctx, pen.attempt_id, status, 6_006)
        await receive("payments", "sandbox", store.ctx.tenant_id, raw)
    assert await process_pending_webhooks(store.ctx.tenant_id) == 3
    settled = await penalties.get_penalty(store.ctx, pen.id)
    assert settled.status == "succeeded"
    assert settled.charge_at is not None, "the mandate's end and the receipt follow as due work"
    assert await tick(jobs_stub) == 1
    fresh = await penalties.get_penalty(store.ctx, pen.id)
    assert (fresh.charge_at, fresh.mandate) == (None, "succeeded")
    assert await agreement_state(store, c.id) is AgreementState.TERMINATED
    assert await penalty_debits(store) == [(pen.attempt_id, 6_006)]
    b = await books(store.ctx)
    assert b["store_funds_held"] == sandbox.funds(str(store.ctx.tenant_id))["held_fen"] == 6_006 - fresh.fee_fen
    assert b[f"customer_receivable:{c.contract_no}:penalty"] == 0


async def test_outside_the_rails_hours_the_penalty_waits_for_the_morning(jobs_stub: Any) -> None:
    store, c = await _store_with_contract(29_800)
    signing = await signed_termination(store.ctx, c.id)
    await move_to_local(store.ctx, 23)
    done = await endings.complete_termination(store.ctx, signing.id)
    assert done.agreement_result == penalties.AWAITING_PENALTY
    [pen] = await penalties.list_penalties(store.ctx, contract_id=c.id)
    assert pen.status == "due"
    assert pen.charge_at is not None
    assert pen.charge_at.astimezone(store_zone()).hour == 8
    assert await agreement_state(store, c.id) is not AgreementState.TERMINATED
    assert (await contracts.get_contract(store.ctx, c.id)).state == "terminated", "debits stopped at once"
    await move_to_local(store.ctx, 8, 1)
    assert await tick(jobs_stub) == 1
    assert (await penalties.get_penalty(store.ctx, pen.id)).status == "succeeded"
    assert await agreement_state(store, c.id) is AgreementState.TERMINATED


def store_zone() -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo("Asia/Shanghai")


async def test_the_penalties_api(signed_in: Any, make_staff: Any) -> None:
    store, c = await _store_with_contract(2_501)  # declined: owed
    signing = await signed_termination(store.ctx, c.id)
    await endings.complete_termination(store.ctx, signing.id)
    _, finance = await make_staff(store.s.store, [FINANCE])
    async with signed_in(finance) as client:  # finance reads
        got = await client.get(f"/api/v1/dunning/contracts/{c.id}/penalties")
        assert got.status_code == 200, got.text
        [row] = got.json()
        assert (row["status"], row["amount_fen"], row["attempt_id"], row["error_code"]) == (
            "failed", 3_001, f"pen-{signing.id.hex}", "INSUFFICIENT_FUNDS")
        assert row["task_id"]
        assert row["mandate"] == "succeeded"
    other = await create_store()
    async with signed_in(other.manager_email) as client:
        assert (await client.get(f"/api/v1/dunning/contracts/{c.id}/penalties")).status_code == 404
