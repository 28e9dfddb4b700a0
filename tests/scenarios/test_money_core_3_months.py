"""Issue 5's "done when": one test-mode store over three months with 50 contracts.

Contracts are made and signed through the contracts domain's own services (its activation posts
the receivable and broadcasts ``pawpay_contract_signed``, which requests the advance where the
pinned terms allow it). The store's test clock is moved day by day; each day the real due work
runs (the settlement daily job: the day's batch, then yesterday's reconciliation), then the day's
due installments are charged at the sandbox rail with held funds and recorded through
``settlement.record_collection``. Checked along the way and at the end:

* every release happens on the item's T+1 / T+7 business day, across weekends and National Day 2026;
* the deposit is built to its target (then debits are released again);
* an advance is paid and fully repaid by splits of its contract's releases;
* every daily reconciliation is clean;
* at every step the ledger balances and mirrors the sandbox's own record of held/released/split funds.
"""

from __future__ import annotations

import dataclasses
import itertools
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import chinese_calendar
import pytest
from stdnum.cn import ric

from pawpay.platform.advances import services as advances
from pawpay.platform.clock import FrozenClock, set_clock
from pawpay.platform.deposits import services as deposits
from pawpay.platform.hooks import ChargeRequest, ProviderStatus
from pawpay.platform.identity.roles import MANAGER, OPS_ADMIN
from pawpay.platform.jobs.services import advance_tenant_clock, tenant_now
from pawpay.platform.ledger import services as ledger
from pawpay.platform.merchants.rules import MerchantTermsInput
from pawpay.platform.merchants.services import set_terms, terms_version
from pawpay.platform.providers.services import provider_for, set_store_provider
from pawpay.platform.reconciliation import services as reconciliation
from pawpay.platform.settlement import services as settlement
from pawpay.platform.settlement.due import DAILY_SETTLEMENT
from pawpay.platform.tenancy.context import PlatformContext, TenantContext
from pawpay.platform.tenancy.scope import platform_scope
from pawpay.platform.testing.plugin import create_store
from pawpay.tenants.catalog import services as catalog
from pawpay.tenants.contracts import services as contracts
from pawpay.tenants.customers import services as customers
from pawpay.tenants.plans import services as plans

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.usefixtures("pawpay_database")]

OPS = PlatformContext(roles=frozenset({OPS_ADMIN}), actor_label="scenario")
START = datetime(2026, 9, 22, 2, 0, tzinfo=UTC)  # Tue 22 Sep 2026, 10:00 in Beijing
END = date(2026, 12, 31)
_serial = itertools.count(1)


def _id_number() -> str:
    body = f"11010119900307{next(_serial) % 1000:03d}"[:17]
    return body + ric.calc_check_digit(body + "0")


def _nth_workday(start: date, n: int) -> date:
    day, found = start, 0
    while found < n:
        day += timedelta(days=1)
        if chinese_calendar.is_workday(day):
            found += 1
    return day


@pytest.fixture
def process_clock() -> Iterator[None]:
    """The process clock stands still; only the store's test clock moves."""
    previous = set_clock(FrozenClock(START))
    try:
        yield
    finally:
        set_clock(previous)


async def _plan(ctx: TenantContext, periods: int, amount: int) -> Any:
    sku = await catalog.create_sku(ctx, catalog.SkuInput(code=f"F{uuid.uuid4().hex[:6]}", name="幼猫粮", kind="food",
                                                         unit="袋"))
    return await plans.create_plan(ctx, plans.PlanInput(
        name=f"幼猫{periods}期", species="cat", stage="kitten", periods=periods, monthly_amount_fen=amount,
        contents=[plans.ContentInput(item_type="sku", item_id=sku.id, quantity=2)], gift_text="",
        debit_days=(5, 10, 15)), confirm_amount_warning=True)


async def _sign(ctx: TenantContext, plan: Any, n: int, debit_day: int) -> Any:
    customer = await customers.upsert_customer(ctx, name=f"客户{n}", phone=f"139{n:08d}", id_number=_id_number(),
                                               region="上海市", address="浦东新区1号", wechat_openid="")
    pet = await customers.add_pet(ctx, customer.id, name=f"咪咪{n}", species="cat", breed="英短",
                                  birthday=date(2026, 3, 1), adoption_date=date(2026, 6, 1))
    draft = await contracts.create_draft(ctx, customer_id=customer.id, pet_id=pet.id, plan_id=plan.id,
                                         plan_version=plan.version, debit_day=debit_day, channel="h5",
                                         started_by="customer")
    await contracts.mark_pending_signature(ctx, draft.id)
    return await contracts.activate(ctx, draft.id, evidence=contracts.EvidenceInput(
        ip="203.0.113.7", user_agent="Mozilla/5.0", device="iPhone", identity_reference=f"idv_{n}",
        esign_reference=f"esign_{n}", face_check_reference=f"face_{n}", payment_agreement_reference=f"agr_{n}",
        consents={"contract_terms": True, "debit_authorisation": True, "face_data": True}))


async def _terms(tenant_id: uuid.UUID, **changes: Any) -> int:
    terms = dataclasses.replace(MerchantTermsInput(), fee_rate_bp=300, **changes)
    return (await set_terms(OPS, tenant_id, terms, reason="scenario")).version


async def _books(ctx: TenantContext, sandbox: Any) -> dict[str, int]:
    """The ledger, checked: it balances, and it mirrors the sandbox's own record of the funds."""
    rows = await ledger.balances(ctx)
    assert sum(b.signed_fen for b in rows) == 0
    books = {b.code: b.balance_fen for b in rows}
    funds = sandbox.funds(str(ctx.tenant_id))
    assert funds["held_fen"] == books.get("store_funds_held", 0) + books.get("deposit_held", 0)
    assert funds["released_fen"] == books.get("store_funds_released", 0)
    assert funds["split_fen"] == books.get("advance_received", 0) + books.get("advance_fee", 0) - books.get(
        "advance_outstanding", 0)
    assert all(b.balance_fen >= 0 for b in rows if not b.may_go_negative)
    return books


async def _run_due_work(ctx: TenantContext) -> list[settlement.SettlementBatchView]:
    """What the scheduler does: claim the due settlement rows (on the store's clock) and run them."""
    async with platform_scope("scenario: claim the due settlement work"):
        due = await DAILY_SETTLEMENT.claim(START, 1_000)
    ran = []
    for item in due:
        tenant_id, schedule_id = item.args
        if tenant_id != str(ctx.tenant_id):
            continue
        batch = await settlement.run_due_batch(uuid.UUID(tenant_id), uuid.UUID(schedule_id))
        assert batch is not None
        ran.append(batch)
    return ran


async def test_one_store_three_months_fifty_contracts(process_clock: None) -> None:
    started = time.monotonic()
    store = await create_store()
    ctx = TenantContext(tenant_id=store.tenant_id, actor_id=store.manager_id, roles=frozenset({MANAGER}),
                        actor_label="scenario")
    await set_store_provider(ctx, "payments", "sandbox",
                             {"merchant_id": "m_scenario", "webhook_secret": "whsec-scenario-" + uuid.uuid4().hex})
    sandbox, pctx = await provider_for(ctx, "payments")
    twelve = await _plan(ctx, 12, 29_800)

    # 24 contracts on T+1 terms; one on T+1 terms that allow advances (the signing hook requests
    # its advance); 24 on T+7 terms. All through the contracts domain.
    signed: list[Any] = []
    await _terms(store.tenant_id, settlement_days=1)
    for n in range(24):
        signed.append(await _sign(ctx, twelve, n, (5, 10, 15)[n % 3]))
    with_advances = await _terms(store.tenant_id, settlement_days=1, advances_allowed=True, advance_ratio_bp=4500,
                                 advance_fee_bp=600, financing_provider="sandbox",
                                 guarantee_policy="platform_guarantee")
    hooked = await _sign(ctx, twelve, 24, 5)
    signed.append(hooked)
    await _terms(store.tenant_id, settlement_days=7)
    for n in range(25, 49):
        signed.append(await _sign(ctx, twelve, n, (5, 10, 15)[n % 3]))
    signing_seconds = time.monotonic() - started
    timings: dict[str, float] = {"jobs": 0.0, "collect": 0.0, "books": 0.0}
    # The 50th contract is a short one (3 monthly debits of 50 000) whose advance can be repaid within
    # the three months: plans have 12 to 24 periods, and 40-50 % of a 12-period contract takes longer
    # than 3 of its own debits to repay. Its signing entry is posted through the ledger directly and its
    # advance requested through the advances service.
    short, short_total = "SHORT-1", 150_000
    await ledger.ensure_accounts(ctx, [f"customer_receivable:{short}", "contract_sales"])
    await ledger.post_entry(ctx, idempotency_key=f"contract-signed:{short}", description="short contract signed",
                            postings=[(f"customer_receivable:{short}", short_total), ("contract_sales", -short_total)])
    advance = await advances.request_advance_for_contract(ctx, contract_ref=short, total_fen=short_total,
                                                          terms_version=with_advances, periods=3,
                                                          first_due_on=date(2026, 10, 5))
    # 45 % of 150 000 (rounded down), the partner's 6 % fee (rounded up).
    assert (advance.state, advance.principal_fen, advance.fee_fen) == ("funded", 67_500, 4_050)
    # The signing hook requested the other one: 45 % of 12 x 29 800.
    hooked_advance = await advances.get_advance(ctx, hooked.contract_no)
    assert (hooked_advance.state, hooked_advance.principal_fen) == ("funded", 357_600 * 45 // 100)
    assert (await advances.list_advances(ctx))[1] == 2
    short_days = {date(2026, 10, 5), date(2026, 11, 5), date(2026, 12, 5)}
    monthly = sum(c.monthly_amount_fen for c in signed) + short_total // 3
    deposit = await deposits.set_monthly_fulfilment(ctx, monthly, reason="50 contracts signed")
    assert deposit.target_fen == -(-monthly * deposit.ratio_bp // 10_000)
    days_of: dict[uuid.UUID, int] = {}
    for c in signed:
        days_of[c.id] = (await terms_version(ctx, c.terms_version)).settlement_days
    by_id = {c.id: c for c in signed}
    await _books(ctx, sandbox)

    collected: dict[str, tuple[date, int]] = {}  # attempt -> (collected on, T+N)
    batches: list[settlement.SettlementBatchView] = []
    day = date(2026, 9, 22)
    while day < END:
        await advance_tenant_clock(ctx, 24 * 3600)
        day += timedelta(days=1)
        now = await tenant_now(ctx)
        _, pctx = await provider_for(ctx, "payments")  # its clock is the store's clock as of now
        # 1. The due work (the batch of today, 06:00 store time; then yesterday's reconciliation).
        mark = time.monotonic()
        ran = await _run_due_work(ctx)
        timings["jobs"] += time.monotonic() - mark
        mark = time.monotonic()
        assert [b.business_day for b in ran] == ([day] if collected else [])  # scheduled from the first debit
        batches.extend(ran)
        # 2. Today's installments are charged with held funds and recorded.
        for installment in await contracts.due_installments(ctx, on_or_before=day):
            contract = by_id[installment.contract_id]
            attempt = f"att-{installment.id.hex[:16]}"
            fee = installment.amount_fen * 300 // 10_000
            result = await sandbox.charge(pctx, ChargeRequest(
                attempt_id=attempt, payment_id=str(installment.id), agreement_id=f"agr-{contract.contract_no}",
                amount_fen=installment.amount_fen, description="月付", hold_funds=True, platform_fee_fen=fee))
            assert result.status is ProviderStatus.SUCCEEDED, result
            item = await settlement.record_collection(
                ctx, attempt_id=attempt, contract_ref=contract.contract_no, amount_fen=installment.amount_fen,
                fee_fen=fee, collected_at=now, settlement_days=days_of[contract.id], provider_name="sandbox")
            await contracts.set_installment_status(ctx, installment.id, "paid", paid_at=now)
            assert item.releasable_on == _nth_workday(day, days_of[contract.id])
            collected[attempt] = (day, days_of[contract.id])
        if day in short_days:
            attempt = f"att-short-{day:%m}"
            result = await sandbox.charge(pctx, ChargeRequest(
                attempt_id=attempt, payment_id=attempt, agreement_id=f"agr-{short}", amount_fen=50_000,
                description="月付", hold_funds=True, platform_fee_fen=1_500))
            assert result.status is ProviderStatus.SUCCEEDED, result
            await settlement.record_collection(ctx, attempt_id=attempt, contract_ref=short, amount_fen=50_000,
                                               fee_fen=1_500, collected_at=now, settlement_days=1,
                                               provider_name="sandbox")
            collected[attempt] = (day, 1)
        timings["collect"] += time.monotonic() - mark
        mark = time.monotonic()
        # 3. The books balance at every step and mirror the sandbox.
        await _books(ctx, sandbox)
        timings["books"] += time.monotonic() - mark

    # Every batch ran on its day; releases only on business days, each on the item's T+N day.
    assert all(b.status == "completed" for b in batches)
    released_days = {b.business_day for b in batches if b.item_count}
    assert all(chinese_calendar.is_workday(d) for d in released_days)
    assert len(collected) == 49 * 3 + 3
    t_plus = {1: 0, 7: 0}
    for b in batches:
        for line in (await settlement.get_statement(ctx, b.id)).lines:
            on, n = collected[line.attempt_id]
            assert line.releasable_on == b.business_day == _nth_workday(on, n)
            assert line.status in ("succeeded", "withheld")
            t_plus[n] += 1
    assert t_plus == {1: 25 * 3 + 3, 7: 24 * 3}
    # Across National Day: debits of 5 Oct (a holiday) were released on 8 Oct (T+1) and 15 Oct (T+7:
    # Saturday 10 Oct is a make-up working day, Sunday 11 Oct is not); across a weekend: Sunday
    # 15 Nov's T+1 debits on Monday 16 Nov.
    assert {on for on, _ in collected.values()} >= {date(2026, 10, 5), date(2026, 11, 15)}
    assert _nth_workday(date(2026, 10, 5), 1) == date(2026, 10, 8)
    assert _nth_workday(date(2026, 10, 5), 7) == date(2026, 10, 15)
    assert _nth_workday(date(2026, 11, 15), 1) == date(2026, 11, 16)
    assert {date(2026, 10, 8), date(2026, 10, 15), date(2026, 11, 16)} <= released_days
    assert not released_days & {date(2026, 10, d) for d in range(1, 8)}
    # Nothing is left held: everything was released, kept as deposit or split to the partner.
    books = await _books(ctx, sandbox)
    assert books["store_funds_held"] == 0
    # The deposit was built to its target (overshooting by less than one debit).
    deposit = await deposits.get_deposit(ctx)
    assert deposit.shortfall_fen == 0
    assert 0 <= deposit.balance_fen - deposit.target_fen < 29_800
    # The advance was paid and fully repaid by splits.
    advance = await advances.get_advance(ctx, short)
    assert (advance.state, advance.repaid_fen, advance.outstanding_fen) == ("repaid", 71_550, 0)
    hooked_advance = await advances.get_advance(ctx, hooked.contract_no)
    assert hooked_advance.state == "repaying"  # its later debits keep repaying it
    assert books["advance_outstanding"] == hooked_advance.outstanding_fen
    assert sandbox.funds(str(ctx.tenant_id))["split_fen"] == 71_550 + hooked_advance.repaid_fen
    # Every day's reconciliation is clean.
    runs, total = await reconciliation.store_runs(ctx, limit=200)
    assert total == len(batches)  # each daily job reconciled the day before
    differences = [(d.business_day, d.kind, d.record_type, d.reference, d.provider_fen, d.ledger_fen)
                   for d in await reconciliation.store_differences(ctx)]
    assert not differences, "; ".join(map(str, differences[:6]))
    assert {r.status for r in runs} == {"clean"}
    assert sum(r.matched for r in runs) == sum(r.statement_lines for r in runs) > 0
    elapsed = time.monotonic() - started
    print(f"\nscenario: {timings}, signing {signing_seconds:.1f} s, total {elapsed:.1f} s, {len(batches)} batches, "
          f"{len(collected)} debits, deposit {deposit.balance_fen}/{deposit.target_fen}")
