"""ledger.post_entries: several entries at once (debit batches) with post_entry's guarantees entry by
entry — balanced, audited, idempotent per key (a different replay is a 409), never below zero."""

from __future__ import annotations

import pytest

from pawpay.platform.audit.services import list_entries
from pawpay.platform.errors import ValidationFailed
from pawpay.platform.ledger import services as ledger
from pawpay.platform.ledger.errors import IdempotencyMismatch, InsufficientBalance
from tests.integration.ledger.test_ledger import _contract, _store_ctx

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("pawpay_database")]


def _debit(key: str, amount: int) -> ledger.EntryInput:
    return ledger.EntryInput(idempotency_key=key, description="debit collected",
                             postings=[("store_funds_held", amount), ("customer_receivable:C1", -amount)])


async def test_entries_post_together_audited_and_replay_once() -> None:
    _, ctx = await _store_ctx()
    await _contract(ctx, 100_000)
    first = await ledger.post_entries(ctx, [_debit("d-1", 29_800), _debit("d-2", 10_000)])
    assert [e.idempotency_key for e in first] == ["d-1", "d-2"]
    assert await ledger.balance(ctx, "store_funds_held") == 39_800
    assert await ledger.balance(ctx, "customer_receivable:C1") == 60_200
    assert sum(b.signed_fen for b in await ledger.balances(ctx)) == 0
    audit, _ = await list_entries(ctx, limit=200)
    assert {a.target_id for a in audit if a.action == "ledger.entry_posted"} >= {str(e.id) for e in first}
    # A replay of d-2 returns the recorded entry; d-3 is new.
    again = await ledger.post_entries(ctx, [_debit("d-2", 10_000), _debit("d-3", 200)])
    assert again[0].id == first[1].id
    assert await ledger.balance(ctx, "store_funds_held") == 40_000
    listed, total = await ledger.entries(ctx, account_code="store_funds_held")
    assert total == 3
    assert {e.idempotency_key for e in listed} == {"d-1", "d-2", "d-3"}


async def test_a_different_replay_or_a_negative_balance_posts_nothing() -> None:
    _, ctx = await _store_ctx()
    await _contract(ctx, 1_000)
    await ledger.post_entries(ctx, [_debit("d-1", 600)])
    with pytest.raises(IdempotencyMismatch):
        await ledger.post_entries(ctx, [_debit("d-2", 100), _debit("d-1", 601)])
    # Each entry alone keeps the receivable >= 0, together they would not (the running balance counts).
    with pytest.raises(InsufficientBalance):
        await ledger.post_entries(ctx, [_debit("d-3", 300), _debit("d-4", 300)])
    with pytest.raises(ValidationFailed):
        await ledger.post_entries(ctx, [_debit("d-5", 1), _debit("d-5", 1)])
    assert await ledger.balance(ctx, "store_funds_held") == 600
    assert await ledger.balance(ctx, "customer_receivable:C1") == 400
    assert await ledger.post_entries(ctx, []) == []
