"""Debit batches (billing.batch): a store's due attempts in one message — the plain ones submitted and
recorded together, every other answer and every retry through the single-attempt path, each
installment collected once, heard of once, receipted once; a duplicate message does nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, timedelta
from typing import Any

import pytest

from pawpay.platform.audit.services import AuditFilter, list_entries
from pawpay.platform.hooks import hookimpl
from pawpay.platform.hooks._manager import get_plugin_manager
from pawpay.platform.ledger import services as ledger
from pawpay.platform.settlement import services as settlement
from pawpay.tenants.billing import batch
from pawpay.tenants.billing import services as billing
from pawpay.tenants.contracts import services as contracts
from pawpay.tenants.customers import services as customers
from tests.integration.billing.conftest import local, move, new_store, run_debits

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("pawpay_database")]


async def _first(store: Any, contract: Any) -> Any:
    return (await contracts.installments(store.ctx, contract.id))[0]


async def _audit(store: Any, action: str) -> list[str]:
    entries, _ = await list_entries(store.ctx, AuditFilter(action=action), limit=500)
    return [e.target_id for e in entries]


async def test_a_mixed_batch_collects_each_installment_once(clock: Any, jobs_stub: Any, paid_listener: Any) -> None:
    store = await new_store()
    await billing.set_retry_schedule(store.ctx, [24], reason="test")
    # Sandbox scripts by the amount's last two digits: 00 paid, 01 declined, 04 unknown (money taken),
    # 03 busy once (not submitted).
    plain = [await store.sign(amount=29_800, periods=12) for _ in range(3)]
    declined = await store.sign(amount=29_801, periods=12)
    unknown = await store.sign(amount=29_804, periods=12)
    busy = await store.sign(amount=29_803, periods=12)
    first = {c.id: await _first(store, c) for c in [*plain, declined, unknown, busy]}
    due_on = first[plain[0].id].due_on
    due = local(due_on.year, due_on.month, due_on.day, 8, 5)
    move(clock, due)

    claimed = await run_debits(jobs_stub, due)

    assert claimed["billing.debit"] == 6, "one claim, one message for the store"
    status = {c.id: await billing.installment_debits(store.ctx, first[c.id].id)
              for c in [*plain, declined, unknown, busy]}
    for c in plain:
        [attempt] = status[c.id]
        assert (attempt.status, attempt.fee_fen) == ("succeeded", 29_800 * 300 // 10_000)
        assert (await contracts.get_installment(store.ctx, first[c.id].id)).status == "paid"
        assert await billing.points_balance(store.ctx, c.customer_id) == 298
        item = await settlement.get_item(store.ctx, attempt.id)
        assert (item.amount_fen, item.fee_fen) == (29_800, attempt.fee_fen)
        messages = await customers.list_messages(store.ctx, c.customer_id)
        assert len([m for m in messages if "扣款成功" in m.body and m.channel == "sms"]) == 1, "receipted once"
    assert [(a.attempt_no, a.status) for a in status[declined.id]] == [(1, "failed"), (2, "planned")]
    assert (await contracts.get_installment(store.ctx, first[declined.id].id)).status == "failed"
    assert [(a.status, a.error_code) for a in status[unknown.id]] == [("unknown", "TIMEOUT")]
    assert [(a.status, a.error_code) for a in status[busy.id]] == [("planned", "SYSTEM_BUSY")]
    paid_ids = {str(first[c.id].id) for c in plain}
    assert sorted(e.installment_id for _, e in paid_listener.paid) == sorted(paid_ids), "each heard once"
    assert [sorted(b) for b in paid_listener.batches] == [sorted(paid_ids)], "the batch heard once, as one"
    assert [e.installment_id for _, e in paid_listener.paid] == paid_listener.batches[0], "then each, in its order"
    # The audit trail is the single path's, entry by entry.
    for action, targets in (("billing.debit_succeeded", paid_ids),
                            ("contract.installment_paid", {str(c.id) for c in plain})):
        assert set(await _audit(store, action)) >= targets, action
    assert len(await _audit(store, "billing.debit_succeeded")) == 3
    assert len(await _audit(store, "settlement.collection_recorded")) == 3

    # Later: the unknown one is queried (the money was taken), the busy one charged with the same id;
    # the retry of the declined one (attempt 2) goes through the single-attempt path in its batch.
    later = due + timedelta(hours=24, minutes=1)
    move(clock, later)
    await run_debits(jobs_stub, later)
    [u] = await billing.installment_debits(store.ctx, first[unknown.id].id)
    [b] = await billing.installment_debits(store.ctx, first[busy.id].id)
    assert (u.status, b.status) == ("succeeded", "succeeded")
    assert [(a.attempt_no, a.status) for a in await billing.installment_debits(store.ctx, first[declined.id].id)] == [
        (1, "failed"), (2, "failed")]
    sandbox = await store.sandbox()
    tenant = str(store.ctx.tenant_id)
    debits = [d for d in sandbox.debits if d[0] == tenant]
    assert len(debits) == 5, "five installments charged"
    assert len({d[1] for d in debits}) == 5, "each once"
    balances = {b.code: b.balance_fen for b in await ledger.balances(store.ctx)}
    assert sandbox.funds(tenant)["held_fen"] == balances["store_funds_held"], "the ledger equals the provider"
    assert len(paid_listener.paid) == 5
    heard = sorted(e.installment_id for _, e in paid_listener.paid)
    assert sorted(i for b in paid_listener.batches for i in b) == heard

    # A duplicate message of the first batch (a redelivery) changes nothing.
    attempt_ids = [billing.attempt_id_for(first[c.id].id, 1) for c in [*plain, unknown, busy]]
    await batch.run_batch(store.ctx, attempt_ids, attempt_ids)
    assert len([d for d in sandbox.debits if d[0] == tenant]) == 5
    assert len(paid_listener.paid) == 5
    assert sum(len(b) for b in paid_listener.batches) == 5
    for c in plain:
        messages = await customers.list_messages(store.ctx, c.customer_id)
        assert len([m for m in messages if "扣款成功" in m.body and m.channel == "sms"]) == 1


async def test_receipts_wait_while_debits_are_in_flight(clock: Any, jobs_stub: Any) -> None:
    from pawpay.platform.tenancy.scope import platform_scope
    from pawpay.tenants.billing.due import DEBIT_ATTEMPTS

    store = await new_store()
    c = await store.sign(amount=29_800, periods=12)
    other = await store.sign(amount=29_800, periods=12)
    inst = await _first(store, c)
    due = local(inst.due_on.year, inst.due_on.month, inst.due_on.day, 8, 5)
    move(clock, due)
    # Debit one of them by hand: its receipt is now in the outbox.
    attempt_id = billing.attempt_id_for(inst.id, 1)
    await batch.debit_batch(store.ctx, [attempt_id])
    assert (await billing.get_attempt(store.ctx, attempt_id)).status == "succeeded"
    now = due.astimezone(UTC)
    # The other debit is claimed (in flight): the receipt is not claimed alongside.
    async with platform_scope("test claim"):
        items = await DEBIT_ATTEMPTS.claim(now, 100)
    [item] = items
    assert item.args[1] == [billing.attempt_id_for((await _first(store, other)).id, 1)]
    assert item.args[2] == [], "receipts wait for the debits in flight"
    async with platform_scope("test claim"):
        assert await DEBIT_ATTEMPTS.claim(now, 100) == [], "in flight, and the receipt is not overdue yet"
    # Once the receipt has waited longer than the work allows, it goes out anyway.
    overdue = now + DEBIT_ATTEMPTS.then_max_delay + timedelta(seconds=1)
    async with platform_scope("test claim"):
        [late] = await DEBIT_ATTEMPTS.claim(overdue, 100)
    assert late.args[2] == [attempt_id]
    await batch.run_batch(store.ctx, [], list(late.args[2]))
    messages = await customers.list_messages(store.ctx, c.customer_id)
    assert len([m for m in messages if "扣款成功" in m.body and m.channel == "sms"]) == 1
    assert uuid.UUID(str(item.tenant_id)) == store.ctx.tenant_id


async def test_a_deferred_receipt_waits_out_the_quiet_hours(clock: Any) -> None:
    from pawpay.platform.tenancy.scope import tenant_scope
    from pawpay.tenants.billing.tables import DebitAttempt

    store = await new_store()
    c = await store.sign(amount=29_800, periods=12)
    inst = await _first(store, c)
    late = local(inst.due_on.year, inst.due_on.month, inst.due_on.day, 21, 58)  # the rail closes at 22:00
    move(clock, late)
    attempt_id = billing.attempt_id_for(inst.id, 1)
    await batch.debit_batch(store.ctx, [attempt_id])
    assert (await billing.get_attempt(store.ctx, attempt_id)).status == "succeeded"
    move(clock, late + timedelta(minutes=10))  # 22:08: quiet hours
    await batch.send_receipts(store.ctx, [attempt_id])
    messages = await customers.list_messages(store.ctx, c.customer_id)
    assert not [m for m in messages if "扣款成功" in m.body], "no contact in quiet hours"
    async with tenant_scope(store.ctx):
        row = await DebitAttempt.select(DebitAttempt.receipt_due_at).where(DebitAttempt.id == attempt_id).first()
    assert row is not None
    next_morning = local(inst.due_on.year, inst.due_on.month, inst.due_on.day + 1, 8, 0)
    assert row["receipt_due_at"] == next_morning
    move(clock, next_morning + timedelta(minutes=1))
    await batch.send_receipts(store.ctx, [attempt_id])
    messages = await customers.list_messages(store.ctx, c.customer_id)
    assert len([m for m in messages if "扣款成功" in m.body and m.channel == "sms"]) == 1


class _BreaksOnce:
    """A listener whose SQL fails once — on ``installment_id``'s own event (``batch=False``) or on
    the batch hook (``batch=True``) — breaking the shared transaction of the paid events."""

    def __init__(self, installment_id: str, *, batch: bool) -> None:
        self.installment_id, self.batch = installment_id, batch
        self.broke = False

    async def _break(self, tenant_id: str) -> None:
        from pawpay.platform.tenancy.scope import tenant_scope
        from pawpay.tenants.billing.tables import DebitAttempt

        self.broke = True
        async with tenant_scope(uuid.UUID(tenant_id)):
            await DebitAttempt.raw("SELECT 1 / 0")

    @hookimpl
    async def pawpay_installment_paid(self, tenant_id: str, installment: Any) -> None:
        if not self.batch and installment.installment_id == self.installment_id and not self.broke:
            await self._break(tenant_id)

    @hookimpl
    async def pawpay_installments_paid(self, tenant_id: str, installments: Any) -> None:
        if self.batch and not self.broke:
            await self._break(tenant_id)


class _Writes:
    """A listener with durable work on both hooks: an audit entry per installment heard
    (``test.installment_heard`` per event, ``test.batch_heard`` per installment of each batch)."""

    async def _write(self, tenant_id: str, action: str, installment_ids: list[str]) -> None:
        from pawpay.platform.audit.services import AuditRecord, record_many
        from pawpay.platform.tenancy.context import TenantContext
        from pawpay.platform.tenancy.scope import tenant_scope

        ctx = TenantContext(tenant_id=uuid.UUID(tenant_id), actor_label="test")
        async with tenant_scope(ctx):
            await record_many(ctx, [AuditRecord(action, target_type="installment", target_id=i)
                                    for i in installment_ids])

    @hookimpl
    async def pawpay_installment_paid(self, tenant_id: str, installment: Any) -> None:
        await self._write(tenant_id, "test.installment_heard", [installment.installment_id])

    @hookimpl
    async def pawpay_installments_paid(self, tenant_id: str, installments: Any) -> None:
        await self._write(tenant_id, "test.batch_heard", [i.installment_id for i in installments])


class _Announced:
    """Hears the audit entries announced after commit (``pawpay_audit_recorded``)."""

    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []

    @hookimpl
    def pawpay_audit_recorded(self, entry: dict[str, Any]) -> None:
        self.entries.append(entry)

    def targets(self, action: str) -> list[str]:
        return [e["target_id"] for e in self.entries if e["action"] == action]


@pytest.mark.parametrize("batch", [False, True], ids=["per-installment listener", "batch listener"])
async def test_a_listener_that_breaks_the_transaction_loses_no_one_elses_work(clock: Any, jobs_stub: Any,
                                                                            batch: bool) -> None:
    from pawpay.tenants.fulfilment import services as fulfilment

    store = await new_store()
    signed = [await store.sign(amount=29_800, periods=12) for _ in range(3)]
    insts = [await _first(store, c) for c in signed]
    due = local(insts[0].due_on.year, insts[0].due_on.month, insts[0].due_on.day, 8, 5)
    move(clock, due)
    breaker, writer, announced = _BreaksOnce(str(insts[1].id), batch=batch), _Writes(), _Announced()
    pm = get_plugin_manager()
    pm.register(writer)  # heard before the breaker (events.broadcast calls in registration order)
    pm.register(breaker)
    pm.register(announced)
    try:
        await run_debits(jobs_stub, due)
    finally:
        pm.unregister(breaker)
        pm.unregister(writer)
        pm.unregister(announced)
    assert breaker.broke
    paid = sorted(str(i.id) for i in insts)
    # The rolled-back work's after-commit announcements were dropped with it: each entry announced once.
    for action in ("test.installment_heard", "test.batch_heard"):
        assert sorted(announced.targets(action)) == paid, action
    # The rolled-back part is redone once after the commit, never twice.
    assert sorted(await _audit(store, "test.installment_heard")) == paid, "every event's durable work kept, once"
    assert sorted(await _audit(store, "test.batch_heard")) == paid, "every batch's durable work kept, once"
    for i in insts:
        assert (await contracts.get_installment(store.ctx, i.id)).status == "paid"
    # Fulfilment's own listener (the batch hook) released every period all the same, once.
    shipments, _total = await fulfilment.list_shipments(store.ctx)
    assert sorted(str(s.installment_id) for s in shipments if s.kind == "period") == paid


async def test_the_backpressure_leases_a_backlog_one_full_claim_at_a_time(clock: Any) -> None:
    """``max_in_flight``: no claim while a full one would not fit under the leased rows in flight."""
    import dataclasses

    from pawpay.platform.tenancy.scope import platform_scope
    from pawpay.tenants.billing.due import DEBIT_ATTEMPTS

    store = await new_store()
    signed = [await store.sign(amount=29_800, periods=12) for _ in range(3)]
    ids = sorted([billing.attempt_id_for((await _first(store, c)).id, 1) for c in signed])
    inst = await _first(store, signed[0])
    due = local(inst.due_on.year, inst.due_on.month, inst.due_on.day, 8, 5)
    move(clock, due)
    now = due.astimezone(UTC)
    async with platform_scope("test count"):  # other tests' rows still leased count too (one table)
        elsewhere = await DEBIT_ATTEMPTS._in_flight_count(now, 1_000_000)
    work = dataclasses.replace(DEBIT_ATTEMPTS, claim_limit=2, max_in_flight=elsewhere + 3, then=None)
    async with platform_scope("test claim"):
        [first] = await work.claim(now, 100)
    assert len(first.args[1]) == 2, "a full claim"
    async with platform_scope("test claim"):
        assert await work.claim(now, 100) == [], "2 in flight + a claim of 2 > 3: wait"
    await batch.debit_batch(store.ctx, [first.args[1][0]])  # done: its lease is cleared
    async with platform_scope("test claim"):
        [second] = await work.claim(now, 100)
    assert second.args[1] == sorted(set(ids) - set(first.args[1])), "the rest, once there is room"
