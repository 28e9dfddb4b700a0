"""A declined, owed penalty settled by hand (``penalty.settle_owed``): paid to the store directly or
waived, once, booked in the ledger, the manager's task done, the action logged; refused with a clear
error (changing nothing) for bad input, a penalty that is not owed, a non-manager, another store."""

from __future__ import annotations

from typing import Any

import pytest

from pawpay.platform.errors import ValidationFailed
from pawpay.platform.identity.roles import FINANCE
from pawpay.platform.testing.plugin import create_store
from pawpay.tenants.dunning import endings
from pawpay.tenants.dunning import penalty as penalties
from pawpay.tenants.dunning import services as dunning
from pawpay.tenants.dunning.errors import PenaltyNotOwed
from tests.integration.dunning.test_penalty import _store_with_contract, books, signed_termination

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("pawpay_database")]

OWED = 3_001  # 12 x 2,501 = 30,012 → 10%, rounded: the sandbox declines amounts ending in 01


async def _owed(amount: int = 2_501) -> tuple[Any, Any, Any]:
    store, c = await _store_with_contract(amount)
    signing = await signed_termination(store.ctx, c.id)
    await endings.complete_termination(store.ctx, signing.id)
    [pen] = await penalties.list_penalties(store.ctx, contract_id=c.id)
    return store, c, pen


async def test_paid_to_the_store_directly_credits_the_receivable_once_and_closes_the_task() -> None:
    store, c, pen = await _owed()
    assert (pen.status, pen.amount_fen) == ("failed", OWED)
    receivable = f"customer_receivable:{c.contract_no}:penalty"
    done = await penalties.settle_owed(store.ctx, pen.id, outcome="paid_to_store", note="现金收讫，收据号 A-0012")
    assert (done.status, done.owed) == ("paid_to_store", False)
    b = await books(store.ctx)
    assert b[receivable] == 0, "nothing owed any more"
    assert b[penalties.COLLECTED_BY_STORE] == OWED, "the store has the money, outside the provider"
    assert b[penalties.PENALTY_INCOME] == OWED, "still the store's income"
    assert b.get("store_funds_held", 0) == 0, "the provider never saw it"
    task = await dunning.get_task(store.ctx, pen.task_id)
    assert task.status == "done"
    assert "收据号 A-0012" in task.note
    [action] = [a for a in await dunning.list_actions(store.ctx, contract_id=c.id) if a.kind == "penalty_paid_to_store"]
    assert action.detail["note"] == "现金收讫，收据号 A-0012"
    with pytest.raises(PenaltyNotOwed):
        await penalties.settle_owed(store.ctx, pen.id, outcome="waived", note="again")
    assert await books(store.ctx) == b, "a second settlement changes nothing"


async def test_a_late_success_after_settling_by_hand_changes_nothing_but_is_flagged() -> None:
    """The provider reporting the declined charge collected after all (the customer may have paid twice)."""
    from pawpay.platform.webhooks.services import receive
    from tests.integration.sandbox_webhooks import charge_webhook, process_pending_webhooks

    store, c, pen = await _owed()
    await penalties.settle_owed(store.ctx, pen.id, outcome="paid_to_store", note="现金")
    before = await books(store.ctx)
    raw = charge_webhook(store, await store.pctx(), pen.attempt_id, "succeeded", OWED)
    await receive("payments", "sandbox", store.ctx.tenant_id, raw)
    assert await process_pending_webhooks(store.ctx.tenant_id) == 1
    assert (await penalties.get_penalty(store.ctx, pen.id)).status == "paid_to_store"
    assert await books(store.ctx) == before, "booked once, by hand"
    [flag] = [a for a in await dunning.list_actions(store.ctx, contract_id=c.id) if a.kind == "penalty_late_success"]
    assert flag.detail["status"] == "paid_to_store"


async def test_waived_takes_the_income_back() -> None:
    store, c, pen = await _owed()
    done = await penalties.settle_owed(store.ctx, pen.id, outcome="waived", note="客户家庭困难，店长同意豁免")
    assert done.status == "waived"
    b = await books(store.ctx)
    assert b[f"customer_receivable:{c.contract_no}:penalty"] == 0
    assert b[penalties.PENALTY_INCOME] == 0
    assert b.get(penalties.COLLECTED_BY_STORE, 0) == 0


async def test_bad_input_and_a_penalty_that_is_not_owed_are_refused_and_change_nothing() -> None:
    store, _c, pen = await _owed()
    before = await books(store.ctx)
    with pytest.raises(ValidationFailed) as no_note:
        await penalties.settle_owed(store.ctx, pen.id, outcome="waived", note="  ")
    assert no_note.value.data["field"] == "note"
    with pytest.raises(ValidationFailed) as bad_outcome:
        await penalties.settle_owed(store.ctx, pen.id, outcome="refunded", note="x")
    assert bad_outcome.value.data["field"] == "outcome"
    assert (await penalties.get_penalty(store.ctx, pen.id)).status == "failed"
    assert await books(store.ctx) == before
    # A penalty the provider collected is not owed.
    paid_store, _paid_c, paid = await _owed(2_500)
    assert paid.status == "succeeded"
    with pytest.raises(PenaltyNotOwed) as refused:
        await penalties.settle_owed(paid_store.ctx, paid.id, outcome="waived", note="x")
    assert refused.value.data["current"] == "succeeded"


async def test_the_settle_api_is_for_managers_of_the_store(signed_in: Any, make_staff: Any) -> None:
    store, _c, pen = await _owed()
    path = f"/api/v1/dunning/penalties/{pen.id}/settle"
    _, finance = await make_staff(store.s.store, [FINANCE])
    async with signed_in(finance) as client:
        assert (await client.post(path, json={"outcome": "waived", "note": "x"})).status_code == 403
    other = await create_store()
    async with signed_in(other.manager_email) as client:
        assert (await client.post(path, json={"outcome": "waived", "note": "x"})).status_code == 404
    async with signed_in(store.s.store.manager_email) as client:
        bad = await client.post(path, json={"outcome": "waived", "note": ""})
        assert bad.status_code == 422, bad.text
        ok = await client.post(path, json={"outcome": "paid_to_store", "note": "银行转账 流水号 88"})
        assert ok.status_code == 200, ok.text
        assert ok.json()["status"] == "paid_to_store"
        again = await client.post(path, json={"outcome": "waived", "note": "x"})
        assert again.status_code == 409
        assert again.json()["code"] == "DUNNING_PENALTY_NOT_OWED"
