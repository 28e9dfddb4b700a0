"""Books for the advances, reconciliation and reports tests (one copy, imported by their conftests):
a store with advances allowed in its terms, contracts signed into the ledger, debits charged with
held funds at the sandbox and recorded through settlement."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from pawpay.platform.clock import FrozenClock, set_clock
from pawpay.platform.hooks import ChargeRequest, ProviderStatus
from pawpay.platform.identity.roles import MANAGER, OPS_ADMIN
from pawpay.platform.ledger import services as ledger
from pawpay.platform.merchants.rules import MerchantTermsInput
from pawpay.platform.merchants.services import set_terms
from pawpay.platform.providers.services import provider_for, set_store_provider
from pawpay.platform.settlement import services as settlement
from pawpay.platform.tenancy.context import PlatformContext, TenantContext
from pawpay.platform.testing.plugin import create_store

OPS = PlatformContext(roles=frozenset({OPS_ADMIN}), actor_label="ops-test")


@dataclass
class Books:
    ctx: TenantContext
    store: Any
    terms_version: int = 0

    async def sign(self, contract: str, total: int) -> None:
        await ledger.ensure_accounts(self.ctx, [f"customer_receivable:{contract}", "contract_sales"])
        await ledger.post_entry(self.ctx, idempotency_key=f"contract-signed:{contract}", description="signed",
                                postings=[(f"customer_receivable:{contract}", total), ("contract_sales", -total)])

    async def collect(self, contract: str, amount: int, at: datetime, *, fee: int = 0, days: int = 1,
                      attempt: str | None = None) -> settlement.SettlementItemView:
        attempt = attempt or f"att-{uuid.uuid4().hex[:12]}"
        previous = set_clock(FrozenClock(at))
        try:
            provider, pctx = await provider_for(self.ctx, "payments")
            result = await provider.charge(pctx, ChargeRequest(
                attempt_id=attempt, payment_id=f"pay-{attempt}", agreement_id=f"agr-{contract}", amount_fen=amount,
                description="installment", hold_funds=True, platform_fee_fen=fee))
            assert result.status is ProviderStatus.SUCCEEDED, result
            return await settlement.record_collection(
                self.ctx, attempt_id=attempt, contract_ref=contract, amount_fen=amount, fee_fen=fee, collected_at=at,
                settlement_days=days, provider_name="sandbox")
        finally:
            set_clock(previous)

    async def sandbox(self) -> Any:
        return (await provider_for(self.ctx, "payments"))[0]

    async def funds(self) -> dict[str, int]:
        return dict((await self.sandbox()).funds(str(self.ctx.tenant_id)))

    async def balances(self) -> dict[str, int]:
        return {b.code: b.balance_fen for b in await ledger.balances(self.ctx)}


async def new_books(*, advances: bool = True, policy: str = "store_bears", ratio_bp: int = 4500,
                    fee_bp: int = 600) -> Books:
    store = await create_store()
    ctx = TenantContext(tenant_id=store.tenant_id, actor_id=store.manager_id, roles=frozenset({MANAGER}),
                        actor_label=store.manager_email)
    await set_store_provider(ctx, "payments", "sandbox",
                             {"merchant_id": "m_adv", "webhook_secret": "whsec-advances-" + uuid.uuid4().hex})
    terms = dataclasses.replace(MerchantTermsInput(), advances_allowed=advances,
                                advance_ratio_bp=ratio_bp if advances else 0, advance_fee_bp=fee_bp,
                                guarantee_policy=policy, settlement_days=1)
    view = await set_terms(OPS, store.tenant_id, terms, reason="test terms")
    return Books(ctx, store, view.version)


def beijing(year: int, month: int, day: int, hour: int = 12) -> datetime:
    return datetime(year, month, day, hour, 0, tzinfo=UTC) - timedelta(hours=8)


@pytest.fixture
def frozen() -> Iterator[Any]:
    previous = set_clock(FrozenClock(datetime(2026, 9, 30, 4, 0, tzinfo=UTC)))

    def move(at: datetime) -> None:
        set_clock(FrozenClock(at))

    try:
        yield move
    finally:
        set_clock(previous)
