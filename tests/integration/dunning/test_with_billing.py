"""Dunning behind the real billing: a declined scheduled debit (the sandbox's ``…01`` amounts) opens the
case through ``debit_failed`` and the ladder contacts the customer at once; the paid event closes it."""

from __future__ import annotations

import uuid
from datetime import UTC
from typing import Any

import pytest

from pawpay.platform.hooks import InstallmentPaid
from pawpay.tenants.billing import services as billing
from pawpay.tenants.contracts import services as contracts
from pawpay.tenants.dunning import services as dunning
from pawpay.tenants.dunning.due import DUE_WORK, DUNNING_QUEUE
from tests.integration.billing.conftest import clock, local, move, new_store, run_debits  # noqa: F401 - fixture
from tests.integration.dunning.conftest import inbox

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("pawpay_database")]


async def test_a_declined_debit_walks_into_the_ladder_and_payment_closes_it(clock: Any, jobs_stub: Any) -> None:  # noqa: F811
    store = await new_store()
    c = await store.sign(amount=29_801, periods=12, phone="13912340301")
    first = (await contracts.installments(store.ctx, c.id))[0]
    due = local(first.due_on.year, first.due_on.month, first.due_on.day, 8, 5)
    move(clock, due)
    await run_debits(jobs_stub, due)
    case = await dunning.get_case(store.ctx, first.id)
    assert case is not None
    assert (case.status, case.last_error_code) == ("open", "INSUFFICIENT_FUNDS")
    await jobs_stub.scheduler(list(DUE_WORK)).tick(due.astimezone(UTC))
    await jobs_stub.join(DUNNING_QUEUE)
    assert "DUNNING_FAILED_SMS" in {m.template for m in await inbox(store.ctx)}
    # How billing tells the system of a payment (both paid hooks): dunning's listener closes the case.
    await billing.announce_paid(store.ctx, [InstallmentPaid(
        installment_id=str(first.id), contract_id=str(c.id), contract_no=c.contract_no, sequence=1,
        amount_fen=first.amount_fen, paid_at=due, attempt_id=f"manual-{uuid.uuid4().hex[:6]}")])
    closed = await dunning.get_case(store.ctx, first.id)
    assert closed is not None
    assert (closed.status, closed.close_reason) == ("closed", "paid")


async def test_an_illness_pause_skips_the_debit_until_the_new_date(clock: Any, jobs_stub: Any) -> None:  # noqa: F811
    from pawpay.tenants.dunning import endings

    store = await new_store()
    c = await store.sign(amount=29_800, periods=12, phone="13912340302")
    first = (await contracts.installments(store.ctx, c.id))[0]
    await endings.pause_for_illness(store.ctx, c.id, periods=1, reason="猫咪生病", agreement="暂停一期")
    due = local(first.due_on.year, first.due_on.month, first.due_on.day, 8, 5)
    move(clock, due)
    await run_debits(jobs_stub, due)
    attempts = await billing.installment_debits(store.ctx, first.id)
    assert [a.status for a in attempts] == ["planned"], "no debit while paused"
    sandbox = await store.sandbox()
    assert not [d for d in sandbox.debits if d[0] == str(store.ctx.tenant_id)]
    moved = (await contracts.installments(store.ctx, c.id))[0]
    assert moved.status == "paused"
    assert moved.due_on > first.due_on
