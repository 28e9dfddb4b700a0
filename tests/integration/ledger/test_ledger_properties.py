"""Property-based: for any sequence of contract signings, debits, refunds, releases (with the
platform fee) and reversals, against the real database,

* every entry balances, and the signed balances of all the store's accounts sum to zero;
* no account that may not go negative does; an operation that would make one is refused and
  changes nothing (a plain-Python model of the books predicts exactly which are refused);
* replaying the recorded operations with the same idempotency keys changes nothing.

Pattern (pytest-asyncio + hypothesis): ``@given`` decorates the ``async def`` test directly.
pytest-asyncio (>= 0.23) recognises hypothesis tests and wraps hypothesis' *inner* test so that
each example runs to completion on the session's event loop, the loop the database pool lives
on. No ``.example()`` (nondeterministic), no nested event loop, no thread. Every example gets an
idempotency-key prefix and contracts of its own, and reads the shared store's balances first,
so examples need no per-example store and no rollback (which would skip the COMMIT-time checks).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pawpay.platform.ledger import services as ledger
from pawpay.platform.ledger.errors import InsufficientBalance
from pawpay.platform.ledger.rules import CHART, PREFIXED_CHART, definition, normal_balance
from pawpay.platform.ledger.tables import LedgerPosting
from pawpay.platform.tenancy.context import TenantContext
from pawpay.platform.tenancy.scope import tenant_scope
from pawpay.platform.testing.plugin import create_store

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("pawpay_database")]

CONTRACTS = ("C1", "C2")
amounts = st.integers(min_value=1, max_value=50_000)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("sign"), st.sampled_from(CONTRACTS), amounts),
        st.tuples(st.just("debit"), st.sampled_from(CONTRACTS), amounts),
        st.tuples(st.just("refund"), amounts),
        st.tuples(st.just("release"), amounts, st.integers(min_value=0, max_value=10)),  # fee percent
        st.tuples(st.just("reverse"), st.integers(min_value=0, max_value=20)),  # which earlier entry
    ),
    min_size=1,
    max_size=14,
)


@pytest.fixture(scope="module")
async def books() -> TenantContext:
    store = await create_store()
    return TenantContext(tenant_id=store.tenant_id, actor_id=store.manager_id, actor_label="property test")


@dataclass
class Model:
    """What the books should say, on each account's normal side."""

    balances: dict[str, int]
    # (idempotency key, entry id, postings, the entry it reverses)
    recorded: list[tuple[str, uuid.UUID, list[tuple[str, int]], uuid.UUID | None]] = field(default_factory=list)
    reversed: set[int] = field(default_factory=set)

    def allows(self, lines: list[tuple[str, int]]) -> bool:
        after = dict(self.balances)
        for code, amount in lines:
            kind = definition(code).kind
            after[code] = after.get(code, 0) + normal_balance(kind, amount)
        return all(after[c] >= 0 or definition(c).may_go_negative for c, _ in lines)

    def apply(self, lines: list[tuple[str, int]]) -> None:
        for code, amount in lines:
            self.balances[code] = self.balances.get(code, 0) + normal_balance(definition(code).kind, amount)


def _lines(op: tuple[Any, ...], prefix: str) -> list[tuple[str, int]]:
    kind = op[0]
    if kind == "sign":
        return [(f"customer_receivable:{prefix}{op[1]}", op[2]), ("contract_sales", -op[2])]
    if kind == "debit":
        return [("store_funds_held", op[2]), (f"customer_receivable:{prefix}{op[1]}", -op[2])]
    if kind == "refund":
        return [("refunds", op[1]), ("store_funds_held", -op[1])]
    fee = op[1] * op[2] // 100
    lines = [("store_funds_released", op[1] - fee), ("store_funds_held", -op[1])]
    return [*lines, ("platform_fee", fee)] if fee else lines


async def _signed_balances(ctx: TenantContext) -> dict[str, int]:
    return {b.code: b.signed_fen for b in await ledger.balances(ctx)}


@settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=operations)
async def test_any_sequence_of_operations_keeps_the_books_sound(books: TenantContext, ops: list[Any]) -> None:
    ctx = books
    prefix = f"p{uuid.uuid4().hex[:10]}-"
    await ledger.ensure_accounts(ctx, [*CHART, *(f"customer_receivable:{prefix}{c}" for c in CONTRACTS)])
    start = await _signed_balances(ctx)
    model = Model({code: normal_balance(definition(code).kind, signed) for code, signed in start.items()})

    for index, op in enumerate(ops):
        key = f"{prefix}{index}"
        if op[0] == "reverse":
            if not model.recorded:
                continue
            target = op[1] % len(model.recorded)
            _, entry_id, original, reverses = model.recorded[target]
            lines = [(code, -amount) for code, amount in original]
            if target in model.reversed or reverses is not None:
                continue  # reversals of reversals and second reversals are covered by the example tests
            if model.allows(lines):
                entry = await ledger.reverse_entry(ctx, entry_id, idempotency_key=f"{prefix}r{index}", reason="test")
                model.apply(lines)
                model.reversed.add(target)
                model.recorded.append((f"{prefix}r{index}", entry.id, lines, entry_id))
            else:
                with pytest.raises(InsufficientBalance):
                    await ledger.reverse_entry(ctx, entry_id, idempotency_key=f"{prefix}r{index}", reason="test")
            continue
        lines = _lines(op, prefix)
        if model.allows(lines):
            entry = await ledger.post_entry(ctx, idempotency_key=key, description=op[0], postings=lines)
            model.apply(lines)
            model.recorded.append((key, entry.id, lines, None))
        else:
            with pytest.raises(InsufficientBalance):
                await ledger.post_entry(ctx, idempotency_key=key, description=op[0], postings=lines)

    after = await _signed_balances(ctx)
    # The database agrees with the model, account by account.
    assert {c: normal_balance(definition(c).kind, s) for c, s in after.items()} == {
        c: model.balances.get(c, 0) for c in after
    }
    # Every entry balances (also enforced at COMMIT); all accounts together sum to zero.
    async with tenant_scope(ctx):
        unbalanced = await LedgerPosting.raw(
            "SELECT entry_id FROM ledger_posting WHERE tenant_id = {} GROUP BY entry_id "
            "HAVING SUM(amount_fen) <> 0 OR COUNT(*) < 2", ctx.tenant_id,
        )
    assert unbalanced == []
    assert sum(after.values()) == 0
    # Nothing that may not go negative is negative.
    for balance in await ledger.balances(ctx):
        assert balance.may_go_negative or balance.balance_fen >= 0, balance

    # Replaying what was recorded, with the same keys, returns the same entries and changes nothing.
    # (Refused operations recorded nothing; retried later they may rightly succeed, so they are
    # not part of the replay.)
    _, entries_before = await ledger.entries(ctx)
    for key, entry_id, lines, reverses in model.recorded:
        if reverses is not None:
            again = await ledger.reverse_entry(ctx, reverses, idempotency_key=key, reason="replay")
        else:
            again = await ledger.post_entry(ctx, idempotency_key=key, description="replay", postings=lines)
        assert again.id == entry_id
    assert await _signed_balances(ctx) == after
    assert (await ledger.entries(ctx))[1] == entries_before


def test_the_chart_covers_the_property_test_accounts() -> None:
    assert {"store_funds_held", "store_funds_released", "platform_fee", "refunds", "contract_sales"} <= set(CHART)
    assert "customer_receivable:" in PREFIXED_CHART
