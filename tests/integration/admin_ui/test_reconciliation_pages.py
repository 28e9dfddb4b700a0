"""The reconciliation page: runs and open differences, running a day, resolving a difference with
a reason (ops finance/admin only)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest

from pawpay.platform.clock import FrozenClock, set_clock
from pawpay.platform.hooks import ChargeRequest
from pawpay.platform.identity.roles import MANAGER, OPS_FINANCE, OPS_REVIEWER
from pawpay.platform.ledger import services as ledger
from pawpay.platform.providers.services import provider_for, set_store_provider
from pawpay.platform.reconciliation import services as reconciliation
from pawpay.platform.settlement import services as settlement
from pawpay.platform.tenancy.context import TenantContext
from pawpay.platform.testing.plugin import create_store

pytestmark = pytest.mark.integration

NOON = datetime(2026, 9, 14, 4, 0, tzinfo=UTC)  # Monday 14 Sep 2026, 12:00 in Beijing


async def _store_with_difference() -> tuple[Any, TenantContext]:
    store = await create_store(name=f"0 对账测试 {uuid.uuid4().hex[:6]}")
    ctx = TenantContext(tenant_id=store.tenant_id, actor_id=store.manager_id, roles=frozenset({MANAGER}),
                        actor_label=store.manager_email)
    await set_store_provider(ctx, "payments", "sandbox", {"merchant_id": "m_recon",
                                                          "webhook_secret": "whsec-recon-" + uuid.uuid4().hex})
    previous = set_clock(FrozenClock(NOON))
    try:
        for amount in (30_000, 20_011):  # 11: the sandbox's statement shows it 1 fen higher
            attempt = f"att-{uuid.uuid4().hex[:10]}"
            await ledger.ensure_accounts(ctx, ["customer_receivable:C9", "contract_sales"])
            await ledger.post_entry(ctx, idempotency_key=f"sign:{attempt}", description="signed",
                                    postings=[("customer_receivable:C9", amount), ("contract_sales", -amount)])
            provider, pctx = await provider_for(ctx, "payments")
            await provider.charge(pctx, ChargeRequest(attempt_id=attempt, payment_id="p", agreement_id=attempt,
                                                      amount_fen=amount, description="d", hold_funds=True))
            await settlement.record_collection(ctx, attempt_id=attempt, contract_ref="C9", amount_fen=amount,
                                               fee_fen=0, collected_at=NOON, settlement_days=1,
                                               provider_name="sandbox")
        await reconciliation.reconcile_day(ctx, date(2026, 9, 14))
    finally:
        set_clock(previous)
    return store, ctx


async def test_operators_see_and_resolve_differences(new_browser: Any, make_operator: Any) -> None:
    store, ctx = await _store_with_difference()
    ops = await new_browser()
    await ops.sign_in(await make_operator(OPS_FINANCE))
    page = await ops.get("/ops/reconciliation?day=2026-09-14&limit=200")
    assert page.status_code == 200
    assert "对账" in page.text  # zh-CN first
    assert store.name in page.text
    differences = await reconciliation.store_differences(ctx)
    assert [d.kind for d in differences] == ["amount_mismatch"]
    action = f"/ops/reconciliation/differences/{differences[0].id}/resolve"
    assert action in page.text
    refused = await ops.submit(action, {"reason": ""}, csrf_from="/ops/reconciliation")
    assert refused.status_code == 422
    done = await ops.submit(action, {"reason": "支付机构账单更正"}, csrf_from="/ops/reconciliation")
    assert done.status_code == 303
    assert [d.status for d in await reconciliation.store_differences(ctx)] == ["resolved"]
    ran = await ops.submit("/ops/reconciliation/run", {"day": "2026-09-14"}, csrf_from="/ops/reconciliation")
    assert ran.status_code == 303
    reviewer = await new_browser()
    await reviewer.sign_in(await make_operator(OPS_REVIEWER))
    assert (await reviewer.get("/ops/reconciliation")).status_code == 200
    forbidden = await reviewer.client.post("/ops/reconciliation/run", data={
        "day": "2026-09-14", "_csrf": await reviewer.csrf("/ops")})
    assert forbidden.status_code == 403
