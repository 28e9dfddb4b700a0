"""Fault tests: the worker dies at every point of a debit (before the provider call, after the money
was taken, inside the recording transaction) and is restarted; two schedulers run at once. Afterwards
every due installment is charged exactly once, the ledger equals the sandbox's records and no reminder
went out twice."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, timedelta
from typing import Any

import pytest

from pawpay.platform.ledger import services as ledger
from pawpay.tenants.billing import services as billing
from pawpay.tenants.billing.due import DEBIT_ATTEMPTS, DEBIT_REMINDERS
from pawpay.tenants.contracts import services as contracts
from tests.integration.billing.conftest import local, move, new_store, run_debits

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("pawpay_database")]


class Killed(BaseException):
    """The worker process dies here (nothing after this line runs, no clean-up in our code)."""


async def _check_exactly_once(store: Any, installments: list[Any]) -> None:
    sandbox = await store.sandbox()
    tenant = str(store.ctx.tenant_id)
    debited = [d[1] for d in sandbox.debits if d[0] == tenant]
    assert len(debited) == len(set(debited)), "an attempt id was debited twice"
    succeeded = []
    for inst in installments:
        attempts = await billing.installment_debits(store.ctx, inst.id)
        wins = [a for a in attempts if a.status == "succeeded"]
        assert len(wins) == 1, (inst.sequence, attempts)
        succeeded.append(wins[0].id)
        assert (await contracts.get_installment(store.ctx, inst.id)).status == "paid"
    assert sorted(debited) == sorted(succeeded), "charged exactly once each"
    books = {b.code: b.balance_fen for b in await ledger.balances(store.ctx)}
    funds = sandbox.funds(tenant)
    assert funds["held_fen"] == books.get("store_funds_held", 0), (funds, books)


async def test_a_worker_dying_anywhere_in_a_debit_charges_once_after_restart(
    clock: Any, jobs_stub: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = await new_store()
    signed = [await store.sign() for _ in range(3)]
    firsts = [(await contracts.installments(store.ctx, c.id))[0] for c in signed]
    due = local(firsts[0].due_on.year, firsts[0].due_on.month, firsts[0].due_on.day, 8, 5)
    move(clock, due)
    sandbox = await store.sandbox()
    real_charge = sandbox.charge

    async def dies_before(pctx: Any, request: Any) -> Any:
        raise Killed

    async def dies_after(pctx: Any, request: Any) -> Any:
        await real_charge(pctx, request)  # the money is taken ...
        raise Killed  # ... and the answer never reaches the database

    from pawpay.platform.settlement import services as settlement

    real_record = settlement.record_collection

    async def dies_recording(*args: Any, **kwargs: Any) -> Any:
        await real_record(*args, **kwargs)
        raise Killed  # inside the transaction: it never commits

    for inst, patch in zip(firsts, ("before", "after", "recording"), strict=True):
        attempt_id = billing.attempt_id_for(inst.id, 1)
        with monkeypatch.context() as m:
            if patch == "before":
                m.setattr(sandbox, "charge", dies_before)
            elif patch == "after":
                m.setattr(sandbox, "charge", dies_after)
            else:
                m.setattr(settlement, "record_collection", dies_recording)
            with pytest.raises(Killed):
                await billing.process_attempt(store.ctx, attempt_id)
        [attempt] = await billing.installment_debits(store.ctx, inst.id)
        assert attempt.status == "submitted", "the submission was committed before the provider call"
    # The restarted worker: the scheduler claims the unfinished attempts again and they are resolved
    # by querying the provider with the same attempt id before anything else.
    later = due + DEBIT_ATTEMPTS.lease_length() + timedelta(minutes=1)  # the dead worker's leases ran out
    move(clock, later)
    await run_debits(jobs_stub, later)
    await _check_exactly_once(store, firsts)
    await run_debits(jobs_stub, later + timedelta(hours=1))
    await _check_exactly_once(store, firsts)


async def test_two_schedulers_at_once_charge_each_installment_once(clock: Any, jobs_stub: Any) -> None:
    store = await new_store()
    signed = [await store.sign() for _ in range(8)]
    firsts = [(await contracts.installments(store.ctx, c.id))[0] for c in signed]
    reminder_at = local(firsts[0].due_on.year, firsts[0].due_on.month, firsts[0].due_on.day, 8, 0) - timedelta(
        hours=48)
    move(clock, reminder_at)
    works = [DEBIT_ATTEMPTS, DEBIT_REMINDERS]
    a, b = jobs_stub.scheduler(works, batch_size=3), jobs_stub.scheduler(works, batch_size=3)
    for _ in range(6):  # both ticking at once, each claiming a few rows per tick
        await asyncio.gather(a.tick(reminder_at.astimezone(UTC)), b.tick(reminder_at.astimezone(UTC)))
    await jobs_stub.join("billing")
    due = local(firsts[0].due_on.year, firsts[0].due_on.month, firsts[0].due_on.day, 8, 5)
    move(clock, due)
    for _ in range(6):
        await asyncio.gather(a.tick(due.astimezone(UTC)), b.tick(due.astimezone(UTC)))
    await jobs_stub.join("billing")
    await _check_exactly_once(store, firsts)
    notifier, npctx = await store.notifier()
    sent = Counter(m.message_id for m in notifier.inbox(npctx) if m.message_id.startswith("reminder-"))
    assert sent
    assert max(sent.values()) == 1
    assert len([k for k in sent if k.endswith("-sms")]) == len(firsts), "one reminder SMS per installment"
