"""Property-based, against the real database and the sandbox rail: for any sequence of
collections (some of whose releases first answer UNKNOWN), refunds, deposit targets and daily
batches (in any order of days),

* every entry balances: the signed balances of all the store's accounts sum to zero;
* no account that may not go negative does;
* the ledger's held (plus deposit) and released funds equal the sandbox provider's own records;
* running a batch twice has the effect of running it once (same batch, same books, same provider state).

Each example gets a store of its own (the sandbox keeps its records per store), see
tests/integration/ledger/test_ledger_properties.py for the pytest-asyncio + hypothesis pattern.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pawpay.platform.clock import FrozenClock, set_clock
from pawpay.platform.deposits import services as deposits
from pawpay.platform.hooks import ChargeRequest, ProviderStatus, RefundRequest
from pawpay.platform.ledger import services as ledger
from pawpay.platform.providers.services import provider_for, set_store_provider
from pawpay.platform.settlement import services as settlement
from pawpay.platform.tenancy.context import PlatformContext, TenantContext
from pawpay.platform.tenancy.services import create_tenant

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("pawpay_database")]

FIRST_DAY = date(2026, 9, 7)  # a Monday
# Amounts ending in 09: the sandbox answers the first release UNKNOWN (it did release).
amounts = st.builds(lambda hundreds, suffix: hundreds * 100 + suffix, st.integers(10, 1_500),
                    st.sampled_from([0, 0, 9]))
operations = st.lists(
    st.one_of(
        st.tuples(st.just("collect"), amounts, st.integers(0, 5), st.sampled_from([1, 7]), st.integers(0, 12)),
        st.tuples(st.just("refund"), st.integers(0, 20), st.integers(1, 50_000)),
        st.tuples(st.just("batch"), st.integers(0, 25)),
        st.tuples(st.just("target"), st.integers(0, 500_000)),
    ),
    min_size=1,
    max_size=12,
)


def noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 4, 0, tzinfo=UTC)  # 12:00 in Beijing


async def new_store() -> TenantContext:
    tenant = await create_tenant(PlatformContext(actor_label="property test"),
                                 slug=f"prop-{uuid.uuid4().hex[:10]}", name="Property 宠物店")
    ctx = TenantContext(tenant_id=tenant.id, actor_label="property test")
    await set_store_provider(ctx, "payments", "sandbox",
                             {"merchant_id": "m_prop", "webhook_secret": "whsec-property-" + uuid.uuid4().hex})
    return ctx


async def state(ctx: TenantContext) -> tuple[dict[str, int], dict[str, int]]:
    books = {b.code: b.signed_fen for b in await ledger.balances(ctx)}
    sandbox, _ = await provider_for(ctx, "payments")
    return books, dict(sandbox.funds(str(ctx.tenant_id)))


async def check_invariants(ctx: TenantContext, attempts: list[str]) -> None:
    accounts = await ledger.balances(ctx)
    assert sum(b.signed_fen for b in accounts) == 0
    for b in accounts:
        assert b.may_go_negative or b.balance_fen >= 0, b
    by_code = {b.code: b.balance_fen for b in accounts}
    sandbox, _ = await provider_for(ctx, "payments")
    funds = sandbox.funds(str(ctx.tenant_id))
    # A release whose answer is still UNKNOWN: the provider may have released it, the ledger waits
    # for the answer (the next run asks again). Those are the only funds the two may disagree on.
    in_flight = 0
    for attempt in attempts:
        item = await settlement.get_item(ctx, attempt)
        if item.status == "releasing":
            in_flight += item.amount_fen - item.fee_fen - item.refunded_fen
    assert funds["held_fen"] + in_flight == by_code.get("store_funds_held", 0) + by_code.get("deposit_held", 0)
    assert funds["released_fen"] - in_flight == by_code.get("store_funds_released", 0)


@settings(max_examples=25, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=operations)
async def test_any_sequence_keeps_the_books_and_the_provider_in_step(ops: list[tuple[Any, ...]]) -> None:
    ctx = await new_store()
    attempts: list[str] = []
    previous = set_clock(FrozenClock(noon(FIRST_DAY)))
    try:
        for op in ops:
            if op[0] == "collect":
                _, amount, fee_percent, days, offset = op
                day = FIRST_DAY + timedelta(days=offset)
                set_clock(FrozenClock(noon(day)))
                sandbox, pctx = await provider_for(ctx, "payments")  # its context reads the clock set now
                attempt = f"att-{uuid.uuid4().hex[:12]}"
                fee = amount * fee_percent // 100
                await ledger.ensure_accounts(ctx, ["customer_receivable:P", "contract_sales"])
                await ledger.post_entry(ctx, idempotency_key=f"sign:{attempt}", description="signed",
                                        postings=[("customer_receivable:P", amount), ("contract_sales", -amount)])
                charged = await sandbox.charge(pctx, ChargeRequest(
                    attempt_id=attempt, payment_id=attempt, agreement_id=attempt, amount_fen=amount,
                    description="installment", hold_funds=True, platform_fee_fen=fee))
                assert charged.status is ProviderStatus.SUCCEEDED
                await settlement.record_collection(ctx, attempt_id=attempt, contract_ref="P", amount_fen=amount,
                                                   fee_fen=fee, collected_at=noon(day), settlement_days=days,
                                                   provider_name="sandbox")
                attempts.append(attempt)
            elif op[0] == "refund" and attempts:
                _, which, amount = op
                item = await settlement.get_item(ctx, attempts[which % len(attempts)])
                left = item.amount_fen - item.fee_fen - item.refunded_fen
                if item.status == "releasing" or amount > left:
                    continue  # the platform would not ask the provider for this refund
                refund_id = f"ref-{uuid.uuid4().hex[:12]}"
                sandbox, pctx = await provider_for(ctx, "payments")
                refunded = await sandbox.refund(pctx, RefundRequest(refund_id=refund_id, attempt_id=item.attempt_id,
                                                                    amount_fen=amount,
                                                                    charge_amount_fen=item.amount_fen))
                assert refunded.status is ProviderStatus.SUCCEEDED
                await settlement.record_refund(ctx, refund_id=refund_id, attempt_id=item.attempt_id,
                                               amount_fen=amount, refunded_at=noon(FIRST_DAY))
            elif op[0] == "batch":
                day = FIRST_DAY + timedelta(days=op[1])
                first = await settlement.run_settlement_batch(ctx, day)
                if first.status != "completed":
                    continue  # an UNKNOWN answer: the next run asks again (checked by the invariants)
                after_first = await state(ctx)
                second = await settlement.run_settlement_batch(ctx, day)
                assert (second.id, second.status, second.release_fen, second.item_count) == (
                    first.id, first.status, first.release_fen, first.item_count)
                assert await state(ctx) == after_first
            elif op[0] == "target":
                await deposits.set_monthly_fulfilment(ctx, op[1], reason="property test")
            await check_invariants(ctx, attempts)
        # Settle everything that is due: every UNKNOWN is resolved, the books still agree.
        final = await settlement.run_settlement_batch(ctx, FIRST_DAY + timedelta(days=40))
        if final.status != "completed":  # a new UNKNOWN: asked again with the same release id
            final = await settlement.run_settlement_batch(ctx, FIRST_DAY + timedelta(days=40))
        assert final.status == "completed"
        await check_invariants(ctx, attempts)
        for attempt in attempts:
            assert (await settlement.get_item(ctx, attempt)).status != "releasing"
    finally:
        set_clock(previous)
