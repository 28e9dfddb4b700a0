"""Helpers for settlement tests: a store with the sandbox payment rail, debits charged with held
funds at the sandbox and recorded through ``record_collection``."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from pawpay.platform.clock import FrozenClock, set_clock
from pawpay.platform.hooks import ChargeRequest, ProviderStatus
from pawpay.platform.identity.roles import MANAGER
from pawpay.platform.ledger import services as ledger
from pawpay.platform.providers.services import provider_for, set_store_provider
from pawpay.platform.settlement import services as settlement
from pawpay.platform.tenancy.context import TenantContext
from pawpay.platform.testing.plugin import create_store


@dataclass
class Money:
    """One store's books and its sandbox, for tests."""

    ctx: TenantContext
    store: Any

    async def sandbox(self) -> Any:
        provider, _ = await provider_for(self.ctx, "payments")
        return provider

    async def funds(self) -> dict[str, int]:
        return dict((await self.sandbox()).funds(str(self.ctx.tenant_id)))

    async def collect(self, amount: int, at: datetime, *, days: int = 1, fee: int = 0, contract: str = "C1",
                      attempt: str | None = None) -> settlement.SettlementItemView:
        """Charge ``amount`` at the sandbox (funds held) at ``at``, then record it."""
        attempt = attempt or f"att-{uuid.uuid4().hex[:12]}"
        previous = set_clock(FrozenClock(at))
        try:
            await ledger.ensure_accounts(self.ctx, [f"customer_receivable:{contract}", "contract_sales"])
            await ledger.post_entry(self.ctx, idempotency_key=f"sign:{contract}:{attempt}", description="signed",
                                    postings=[(f"customer_receivable:{contract}", amount), ("contract_sales", -amount)])
            provider, pctx = await provider_for(self.ctx, "payments")
            result = await provider.charge(pctx, ChargeRequest(
                attempt_id=attempt, payment_id=f"pay-{attempt}", agreement_id=f"agr-{attempt}", amount_fen=amount,
                description="installment", hold_funds=True, platform_fee_fen=fee))
            assert result.status is ProviderStatus.SUCCEEDED, result
            return await settlement.record_collection(
                self.ctx, attempt_id=attempt, contract_ref=contract, amount_fen=amount, fee_fen=fee, collected_at=at,
                settlement_days=days, provider_name="sandbox")
        finally:
            set_clock(previous)

    async def balances(self) -> dict[str, int]:
        return {b.code: b.balance_fen for b in await ledger.balances(self.ctx)}


async def new_money() -> Money:
    store = await create_store()
    ctx = TenantContext(tenant_id=store.tenant_id, actor_id=store.manager_id, roles=frozenset({MANAGER}),
                        actor_label=store.manager_email)
    await set_store_provider(ctx, "payments", "sandbox",
                             {"merchant_id": "m_settle", "webhook_secret": "whsec-settlement-" + uuid.uuid4().hex})
    return Money(ctx, store)


def beijing(year: int, month: int, day: int, hour: int = 12) -> datetime:
    """A Beijing-time instant (UTC+8), as aware UTC."""
    return datetime(year, month, day, hour, 0, tzinfo=UTC) - timedelta(hours=8)


@pytest.fixture
def frozen() -> Iterator[Any]:
    """Set the process clock for the block: ``frozen(at)``."""
    previous = set_clock(FrozenClock(datetime(2026, 9, 30, 4, 0, tzinfo=UTC)))

    def move(at: datetime) -> None:
        set_clock(FrozenClock(at))

    try:
        yield move
    finally:
        set_clock(previous)
