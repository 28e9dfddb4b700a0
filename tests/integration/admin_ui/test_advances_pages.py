"""Advances pages: a store's advances and totals (manager/finance), operators' view of every
store, marking a default with a reason (ops finance/admin only; a reviewer is refused)."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest

from pawpay.platform.advances import services as advances
from pawpay.platform.clock import FrozenClock, set_clock
from pawpay.platform.identity.roles import FRONT_DESK, MANAGER, OPS_ADMIN, OPS_FINANCE, OPS_REVIEWER
from pawpay.platform.ledger import services as ledger
from pawpay.platform.merchants.rules import MerchantTermsInput
from pawpay.platform.merchants.services import set_terms
from pawpay.platform.tenancy.context import PlatformContext, TenantContext
from pawpay.platform.testing.plugin import create_store

pytestmark = pytest.mark.integration

NOON = datetime(2026, 9, 14, 4, 0, tzinfo=UTC)


async def store_with_advance(contract: str = "C-PAGE", total: int = 240_000) -> tuple[Any, TenantContext]:
    store = await create_store(name=f"0 垫资测试 {uuid.uuid4().hex[:6]}")
    ctx = TenantContext(tenant_id=store.tenant_id, actor_id=store.manager_id, roles=frozenset({MANAGER}),
                        actor_label=store.manager_email)
    terms = dataclasses.replace(MerchantTermsInput(), advances_allowed=True, advance_ratio_bp=4500,
                                advance_fee_bp=600, guarantee_policy="partner_bears")
    version = (await set_terms(PlatformContext(roles=frozenset({OPS_ADMIN}), actor_label="ops"), store.tenant_id,
                               terms, reason="pages")).version
    previous = set_clock(FrozenClock(NOON))
    try:
        await ledger.ensure_accounts(ctx, [f"customer_receivable:{contract}", "contract_sales"])
        await ledger.post_entry(ctx, idempotency_key=f"contract-signed:{contract}", description="signed",
                                postings=[(f"customer_receivable:{contract}", total), ("contract_sales", -total)])
        await advances.request_advance_for_contract(ctx, contract_ref=contract, total_fen=total,
                                                    terms_version=version, periods=12,
                                                    first_due_on=date(2026, 10, 10))
    finally:
        set_clock(previous)
    return store, ctx


async def test_a_manager_sees_the_stores_advances(new_browser: Any, make_staff: Any) -> None:
    store, _ctx = await store_with_advance()
    browser = await new_browser()
    await browser.sign_in(store.manager_email)
    page = await browser.get("/admin/advances")
    assert page.status_code == 200
    assert "C-PAGE" in page.text
    assert "¥1,080.00" in page.text  # 45 % of 2,400.00
    assert "垫资" in page.text  # zh-CN first
    assert 'href="/admin/advances"' in page.text  # nav
    assert "/default" not in page.text
    assert "C-PAGE" not in (await browser.get("/admin/advances?state=repaid")).text
    front_desk = await new_browser()
    await front_desk.sign_in(await make_staff(store.tenant_id, FRONT_DESK))
    assert (await front_desk.get("/admin/advances")).status_code == 403
    other = await create_store()
    stranger = await new_browser()
    await stranger.sign_in(other.manager_email)
    assert "C-PAGE" not in (await stranger.get("/admin/advances")).text


async def test_operators_mark_a_default_with_a_reason(new_browser: Any, make_operator: Any) -> None:
    store, ctx = await store_with_advance("C-DEF")
    ops = await new_browser()
    await ops.sign_in(await make_operator(OPS_FINANCE))
    overview = await ops.get("/ops/advances?limit=200")
    assert overview.status_code == 200
    assert "C-DEF" in overview.text
    action = f"/ops/advances/{store.tenant_id}/C-DEF/default"
    assert action in overview.text
    refused = await ops.submit(action, {"reason": " "}, csrf_from="/ops/advances")
    assert refused.status_code == 422
    done = await ops.submit(action, {"reason": "客户失联"}, csrf_from="/ops/advances")
    assert done.status_code == 303
    view = await advances.get_advance(ctx, "C-DEF")
    assert (view.state, view.defaulted_by) == ("defaulted", "partner_bears")
    again = await ops.submit(action, {"reason": "again"}, csrf_from="/ops/advances")
    assert again.status_code == 422
    reviewer = await new_browser()
    await reviewer.sign_in(await make_operator(OPS_REVIEWER))
    assert (await reviewer.get("/ops/advances")).status_code == 200
    forbidden = await reviewer.client.post(action, data={"reason": "x", "_csrf": await reviewer.csrf("/ops")})
    assert forbidden.status_code == 403
