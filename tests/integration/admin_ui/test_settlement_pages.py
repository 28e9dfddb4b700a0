"""Settlement and deposit pages: a store's batches, statement and downloads (manager/finance
only), its deposit; operators' overview, re-run, statement and deposit release by decision."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest
from openpyxl import load_workbook

from pawpay.platform.clock import FrozenClock, set_clock
from pawpay.platform.deposits import services as deposits
from pawpay.platform.hooks import ChargeRequest
from pawpay.platform.identity.roles import FINANCE, FRONT_DESK, MANAGER, OPS_FINANCE, OPS_REVIEWER
from pawpay.platform.ledger import services as ledger
from pawpay.platform.providers.services import provider_for, set_store_provider
from pawpay.platform.settlement import services as settlement
from pawpay.platform.tenancy.context import TenantContext
from pawpay.platform.testing.plugin import create_store

pytestmark = pytest.mark.integration

NOON = datetime(2026, 9, 14, 4, 0, tzinfo=UTC)  # 12:00 in Beijing, a Monday


async def _store_with_batch(amounts: list[int], *, monthly: int | None = None) -> tuple[Any, TenantContext, Any]:
    store = await create_store(name=f"0 结算测试 {uuid.uuid4().hex[:6]}")  # listed first by name
    ctx = TenantContext(tenant_id=store.tenant_id, actor_id=store.manager_id, roles=frozenset({MANAGER}),
                        actor_label=store.manager_email)
    await set_store_provider(ctx, "payments", "sandbox", {"merchant_id": "m_pages",
                                                          "webhook_secret": "whsec-pages-" + uuid.uuid4().hex})
    if monthly is not None:
        await deposits.set_monthly_fulfilment(ctx, monthly, reason="contracts")
    previous = set_clock(FrozenClock(NOON))
    try:
        for amount in amounts:
            attempt = f"att-{uuid.uuid4().hex[:10]}"
            await ledger.ensure_accounts(ctx, ["customer_receivable:C9", "contract_sales"])
            await ledger.post_entry(ctx, idempotency_key=f"sign:{attempt}", description="signed",
                                    postings=[("customer_receivable:C9", amount), ("contract_sales", -amount)])
            provider, pctx = await provider_for(ctx, "payments")
            await provider.charge(pctx, ChargeRequest(attempt_id=attempt, payment_id="p", agreement_id=attempt,
                                                      amount_fen=amount, description="d", hold_funds=True,
                                                      platform_fee_fen=500))
            await settlement.record_collection(ctx, attempt_id=attempt, contract_ref="C9", amount_fen=amount,
                                               fee_fen=500, collected_at=NOON, settlement_days=1,
                                               provider_name="sandbox")
        batch = await settlement.run_settlement_batch(ctx, date(2026, 9, 15))
    finally:
        set_clock(previous)
    return store, ctx, batch


async def test_a_manager_sees_batches_statement_and_downloads(new_browser: Any) -> None:
    store, _ctx, batch = await _store_with_batch([30_000, 20_000])
    browser = await new_browser()
    await browser.sign_in(store.manager_email)
    listing = await browser.get("/admin/settlement")
    assert listing.status_code == 200
    assert "2026-09-15" in listing.text
    assert "¥490.00" in listing.text
    assert 'href="/admin/settlement"' in listing.text  # nav
    page = await browser.get(f"/admin/settlement/{batch.id}")
    assert page.status_code == 200
    assert "结算单 2026-09-15" in page.text  # zh-CN first
    assert "下载 Excel" in page.text
    assert page.text.count("<code>att-") == 2
    csv_file = await browser.get(f"/admin/settlement/{batch.id}/statement.csv")
    assert csv_file.status_code == 200
    assert csv_file.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv_file.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(csv_file.content.decode("utf-8-sig"))))
    assert rows[-1][9] == "49000"
    xlsx = await browser.get(f"/admin/settlement/{batch.id}/statement.xlsx")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    assert [c.value for c in list(sheet.iter_rows())[-1]][9] == 49_000
    assert (await browser.get(f"/admin/settlement/{batch.id}/statement.pdf")).status_code in (404, 405)


async def test_other_stores_and_other_roles_are_refused(new_browser: Any, make_staff: Any) -> None:
    _store, _ctx, batch = await _store_with_batch([30_000])
    other = await create_store()
    browser = await new_browser()
    await browser.sign_in(other.manager_email)
    assert (await browser.get(f"/admin/settlement/{batch.id}")).status_code == 404
    assert (await browser.get(f"/admin/settlement/{batch.id}/statement.csv")).status_code == 404
    front_desk = await new_browser()
    await front_desk.sign_in(await make_staff(other.tenant_id, FRONT_DESK))
    assert (await front_desk.get("/admin/settlement")).status_code == 403
    assert (await front_desk.get("/admin/deposit")).status_code == 403
    finance = await new_browser()
    await finance.sign_in(await make_staff(other.tenant_id, FINANCE))
    assert (await finance.get("/admin/settlement")).status_code == 200


async def test_the_store_sees_its_deposit_and_operators_release_it(new_browser: Any, make_operator: Any) -> None:
    store, ctx, batch = await _store_with_batch([30_000, 30_000, 30_000], monthly=100_000)
    held = (await deposits.get_deposit(ctx)).balance_fen
    assert held >= 30_000
    browser = await new_browser()
    await browser.sign_in(store.manager_email)
    page = await browser.get("/admin/deposit")
    assert page.status_code == 200
    assert f"¥{held / 100:,.2f}" in page.text
    assert "/release" not in page.text  # the store cannot release its deposit
    ops = await new_browser()
    await ops.sign_in(await make_operator(OPS_FINANCE))
    overview = await ops.get("/ops/settlement?day=2026-09-15&limit=100")
    assert overview.status_code == 200
    assert f"/ops/settlement/stores/{store.tenant_id}/{batch.id}" in overview.text
    assert f'href="/ops/settlement/stores/{store.tenant_id}/deposit"' in overview.text  # the deposits table
    statement = await ops.get(f"/ops/settlement/stores/{store.tenant_id}/{batch.id}")
    assert statement.status_code == 200
    assert (await ops.get(f"/ops/settlement/stores/{store.tenant_id}/{batch.id}/statement.xlsx")).status_code == 200
    deposit_url = f"/ops/settlement/stores/{store.tenant_id}/deposit"
    refused = await ops.submit(f"{deposit_url}/release", {"amount": "abc", "reason": "x"}, csrf_from=deposit_url)
    assert refused.status_code == 422
    no_reason = await ops.submit(f"{deposit_url}/release", {"amount": "300.00", "reason": ""}, csrf_from=deposit_url)
    assert no_reason.status_code == 422
    done = await ops.submit(f"{deposit_url}/release", {"amount": "300.00", "reason": "合同提前结清"},
                            csrf_from=deposit_url)
    assert done.status_code == 303
    assert (await deposits.get_deposit(ctx)).balance_fen == held - 29_500  # one whole debit, net of its fee
    assert "合同提前结清" in (await ops.get(deposit_url)).text
    reviewer = await new_browser()
    await reviewer.sign_in(await make_operator(OPS_REVIEWER))
    assert (await reviewer.get("/ops/settlement")).status_code == 200
    forbidden = await reviewer.client.post(f"{deposit_url}/release", data={"amount": "1", "reason": "x",
                                                                           "_csrf": await reviewer.csrf("/ops")})
    assert forbidden.status_code == 403


async def test_operators_rerun_a_day_and_nothing_changes(new_browser: Any, make_operator: Any) -> None:
    _store, ctx, batch = await _store_with_batch([30_000])
    before = {b.code: b.balance_fen for b in await ledger.balances(ctx)}
    ops = await new_browser()
    await ops.sign_in(await make_operator(OPS_FINANCE))
    response = await ops.submit("/ops/settlement/run", {"day": "2026-09-15"}, csrf_from="/ops/settlement")
    assert response.status_code == 303
    assert {b.code: b.balance_fen for b in await ledger.balances(ctx)} == before
    again = await settlement.get_statement(ctx, batch.id)
    assert again.batch.release_fen == batch.release_fen
    api = await ops.client.post("/api/v1/ops/settlement/run?day=2026-09-15",
                                headers={"x-csrftoken": await ops.csrf("/ops")})
    assert api.status_code == 200, api.text
    mine = [o for o in api.json() if o["tenant_id"] == str(ctx.tenant_id)]
    assert mine[0]["batch"]["id"] == str(batch.id)
    assert mine[0]["batch"]["release_fen"] == batch.release_fen
    assert {b.code: b.balance_fen for b in await ledger.balances(ctx)} == before


async def test_the_store_api_lists_batches_and_statements(new_browser: Any) -> None:
    store, _ctx, batch = await _store_with_batch([30_000])
    browser = await new_browser()
    await browser.sign_in(store.manager_email)
    listed = await browser.get("/api/v1/settlement/batches", headers={"accept": "application/json"})
    assert listed.status_code == 200, listed.text
    assert [b["id"] for b in listed.json()["items"]] == [str(batch.id)]
    statement = await browser.get(f"/api/v1/settlement/batches/{batch.id}", headers={"accept": "application/json"})
    assert statement.status_code == 200
    assert statement.json()["batch"]["release_fen"] == 29_500
    assert [line["status"] for line in statement.json()["lines"]] == ["succeeded"]
    csv_file = await browser.get(f"/api/v1/settlement/batches/{batch.id}/statement.csv")
    assert csv_file.status_code == 200
    other = await new_browser()
    await other.sign_in((await create_store()).manager_email)
    assert (await other.get(f"/api/v1/settlement/batches/{batch.id}",
                            headers={"accept": "application/json"})).status_code == 404
