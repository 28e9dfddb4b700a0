"""Fault test with real processes (issue 7, "Faults to survive"): the payment vendor's state lives
outside the worker, the worker is SIGKILLed at random points of a debit run and restarted, two
schedulers run at once, every provider webhook is delivered twice and out of order, and one charge
times out with the money taken. Afterwards every due installment is charged exactly once at the
vendor, the ledger equals the vendor's records store by store, and no ladder step or message went
out twice.

The moving parts:

* the **sandbox vendor** (``python -m pawpay.plugins.payments.sandbox.vendor``) in its own process;
  this process and the workers reach it through ``PAWPAY_SANDBOX_PAYMENTS_URL``. It can hold its
  answer to a charge it has already made, which opens a deterministic window to kill the worker
  after the money was taken and before the worker recorded it;
* real ``pawpay worker`` processes (:class:`Workers`), killed with SIGKILL on their process group
  and replaced;
* two schedulers ticking concurrently (:class:`Schedulers`), their tick time moved past the leases
  after each kill (instead of waiting minutes of real time);
* a courier (:class:`Courier`) handing the vendor's webhooks to the real webhook pipeline (stored,
  verified, de-duplicated, processed by the workers), twice each, shuffled, while the workers run.

Day 1 (the 10th): store C's one payer is charged; the vendor takes the money but answers after the
worker's timeout (``PAWPAY_SANDBOX_PAYMENTS_TIMEOUT``): the attempt is recorded ``unknown`` and
resolved later by a query or the webhook.
Day 2 (the 15th): 9 debits over three stores (on-time payers, late successes, a decline that opens
the dunning ladder). Kill 1 is deterministic: the vendor holds store A's (and, if it comes within a
second, store B's) first on-time charge and the worker is killed while it waits. Then a seeded random
schedule of kills at random moments of the run, each worker replaced by one started before the kill
(two workers overlap, as in production); after the first kill the vendor answers every charge half
a second late, so these kills land mid-run. The last worker finishes the day.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
import uuid
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import dramatiq
import dramatiq.broker
import pytest

from pawpay.platform.jobs.broker import configure_broker
from pawpay.platform.jobs.services import advance_tenant_clock, tenant_now
from pawpay.platform.ledger import services as ledger
from pawpay.platform.settings import load_settings
from pawpay.platform.testing.jobs import wait_until
from pawpay.platform.webhooks.due import PROCESS_EVENTS
from pawpay.plugins.payments.sandbox.vendor import vendor_process
from pawpay.plugins.payments.sandbox.wire import VENDOR_TIMEOUT_ENV, VENDOR_URL_ENV, VendorClient
from pawpay.tenants.billing import services as billing
from pawpay.tenants.billing.due import DEBIT_ATTEMPTS
from pawpay.tenants.contracts import services as contracts
from pawpay.tenants.customers import services as customers
from pawpay.tenants.dunning import services as dunning
from pawpay.tenants.dunning.due import LADDER_WORK
from tests.integration.billing.conftest import SHANGHAI, Store, new_store
from tests.integration.billing.support.kill_harness import Courier, Schedulers, Workers
from tests.integration.contracts.conftest import add_customer, evidence, plan_for

pytestmark = [pytest.mark.integration, pytest.mark.broker]

SEED = 20261122
ON_TIME, LATE, DECLINED, TIMED_OUT = 29_800, 29_806, 29_801, 29_900  # sandbox: 06 pending, 01 declined
CLIENT_TIMEOUT = 4  # seconds the workers wait for the vendor
WINDOW = 120  # seconds the vendor holds an answer to open a kill window (the kill comes first)
VENDOR_LATENCY = 0.5  # seconds per charge answer after the first kill
RANDOM_KILLS = 3
# Past every lease the dead worker may hold (debits 5 min, webhooks 5 min, the ladder 10 min).
LEASES = timedelta(minutes=11)


async def _sign(store: Store, *, amount: int, debit_day: int) -> Any:
    plan = await plan_for(store.ctx, periods=12, amount=amount)
    customer, pet = await add_customer(store.ctx, phone=f"139{uuid.uuid4().int % 10**8:08d}", openid="ox_killed")
    draft = await contracts.create_draft(store.ctx, customer_id=customer.id, pet_id=pet.id, plan_id=plan.id,
                                         plan_version=plan.version, debit_day=debit_day, channel="h5",
                                         started_by="customer")
    await contracts.mark_pending_signature(store.ctx, draft.id)
    return await contracts.activate(store.ctx, draft.id, evidence=evidence(
        payment_agreement_reference=f"agr-{draft.id.hex[:12]}"))


async def _first(store: Store, contract: Any) -> Any:
    return (await contracts.installments(store.ctx, contract.id))[0]


async def _move_to(stores: list[Store], day: Any) -> None:
    """Every store's clock to 08:05 of ``day`` (Shanghai), inside the rail's hours."""
    target = datetime.combine(day, datetime.min.time(), tzinfo=SHANGHAI) + timedelta(hours=8, minutes=5)
    for store in stores:
        gap = int((target - await tenant_now(store.ctx)).total_seconds())
        assert gap > 0
        await advance_tenant_clock(store.ctx, gap)


async def test_workers_killed_at_random_points_charge_each_installment_once(
    pawpay_database: Any, pawpay_redis_url: str, owner: Any, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = random.Random(SEED)  # noqa: S311 - a reproducible fault schedule, not a secret
    started = time.monotonic()
    with vendor_process() as vendor:
        monkeypatch.setenv(VENDOR_URL_ENV, vendor.base_url)  # this process's sandbox calls go there too
        await _run(vendor, rng, pawpay_redis_url, owner, tmp_path)
    print(f"worker-kill test: {time.monotonic() - started:.1f} s")


async def _run(vendor: VendorClient, rng: random.Random, redis_url: str, owner: Any, tmp_path: Path) -> None:
    setup_started = time.monotonic()
    a, b, c = stores = [await new_store() for _ in range(3)]
    tenants = [str(s.ctx.tenant_id) for s in stores]
    payers: dict[str, list[tuple[Any, int]]] = {t: [] for t in tenants}  # (contract, amount) expected to pay
    declined = timed_out = None

    async def sign_all(store: Store, amounts: tuple[int, ...]) -> None:
        nonlocal declined, timed_out
        for amount in amounts:
            contract = await _sign(store, amount=amount, debit_day=10 if amount == TIMED_OUT else 15)
            if amount == DECLINED:
                declined = contract
            else:
                payers[str(store.ctx.tenant_id)].append((contract, amount))
            if amount == TIMED_OUT:
                timed_out = contract

    # The stores sign side by side (each its own transactions); one store's contracts one after another.
    await asyncio.gather(sign_all(a, (ON_TIME, ON_TIME, LATE, DECLINED)),
                         sign_all(b, (ON_TIME, ON_TIME, ON_TIME, LATE)), sign_all(c, (ON_TIME, TIMED_OUT)))
    assert declined is not None
    assert timed_out is not None
    day1 = (await _first(c, timed_out)).due_on
    day2 = (await _first(a, declined)).due_on
    assert day2 > day1

    print(f"setup {time.monotonic() - setup_started:.1f}s")
    previous = dramatiq.broker.global_broker
    broker = configure_broker(load_settings(broker_url=redis_url), shared_loop=True)
    workers = Workers({**_env(), "PAWPAY_BROKER_URL": redis_url, VENDOR_URL_ENV: vendor.base_url,
                       VENDOR_TIMEOUT_ENV: str(CLIENT_TIMEOUT), "PAWPAY_LOG_LEVEL": "INFO"}, tmp_path)

    schedulers = Schedulers(broker, [DEBIT_ATTEMPTS, PROCESS_EVENTS, LADDER_WORK])

    async def vendor_webhooks() -> list[Any]:
        found = []
        for store in stores:
            sandbox, pctx = await store.sandbox(), await store.pctx()
            found.extend(await asyncio.to_thread(sandbox.webhooks, pctx))
        return found

    courier = Courier(rng, vendor_webhooks)
    sandbox = await a.sandbox()

    def charges(tenant: str) -> list[dict[str, Any]]:
        return sandbox.charges(tenant)  # type: ignore[no-any-return]

    async def charged_count() -> int:
        return sum([len(await asyncio.to_thread(charges, t)) for t in tenants])

    async def held_open(tenant: str) -> dict[str, Any] | None:
        held = await asyncio.to_thread(vendor.held)
        return next((h for h in held if h["tenant_id"] == tenant and not h["answered"] and h["seconds"] >= WINDOW),
                    None)

    window_kills = 0
    marks: list[tuple[str, float]] = [("start", time.monotonic())]

    def mark(what: str) -> None:
        marks.append((what, time.monotonic()))

    async def kill_in_windows(held_stores: list[Store]) -> None:
        """Kill every live worker while the vendor holds its answers to charges it has made: for the
        first store's (awaited, then asserted strictly: no kill happened yet, so no leftover message
        can have recorded it meanwhile) and, if it comes within a second, the others'."""
        nonlocal window_kills
        tenants_held = [str(s.ctx.tenant_id) for s in held_stores]

        async def holding() -> bool:
            schedulers.check()
            return await held_open(tenants_held[0]) is not None

        await wait_until(holding, within=30, interval=0.02, what="the vendor to hold a charge's answer")
        for _ in range(50):  # up to a second; the kill comes either way
            if all([await held_open(t) for t in tenants_held[1:]]):
                break
            await asyncio.sleep(0.02)
        await workers.kill_all()
        for store, tenant in zip(held_stores, tenants_held, strict=True):
            held = await held_open(tenant)
            if held is None:
                continue
            attempt = await billing.get_attempt(store.ctx, held["reference"])
            assert [ch["status"] for ch in charges(tenant) if ch["attempt_id"] == attempt.id] == ["succeeded"]
            if store is held_stores[0]:
                assert attempt.status == "submitted", "killed after the money was taken, before it was recorded"
            window_kills += attempt.status == "submitted"

    async def start_worker() -> None:
        # No new messages while it boots: dramatiq's worker threads consume before the
        # ``after_worker_boot`` hook has started the database pool (see the report), and a
        # message that fails there waits for its lease to run out.
        schedulers.paused = True
        try:
            await workers.start()
        finally:
            schedulers.paused = False

    try:
        schedulers.start()
        courier.start()

        # --- day 1: a timeout with the money taken ------------------------------------------------
        await asyncio.to_thread(vendor.hold_replies, str(c.ctx.tenant_id), "charge",
                                seconds=CLIENT_TIMEOUT + 2, amount_fen=TIMED_OUT)
        await start_worker()
        await _move_to(stores, day1)
        first_c = await _first(c, timed_out)

        async def timed_out_recorded() -> bool:
            schedulers.check()
            attempts = await billing.installment_debits(c.ctx, first_c.id)
            return bool(attempts) and attempts[0].status == "unknown" and attempts[0].error_code == "TIMEOUT"

        await wait_until(timed_out_recorded, within=45, interval=0.1, what="the worker to record the timeout")
        mark("day 1 timeout")
        [timeout_charge] = charges(str(c.ctx.tenant_id))
        assert timeout_charge["status"] == "succeeded", "the vendor took the money"

        # --- day 2: the debit run, killed -----------------------------------------------------------
        for store in (a, b):
            await asyncio.to_thread(vendor.hold_replies, str(store.ctx.tenant_id), "charge", seconds=WINDOW,
                                    amount_fen=ON_TIME)
        await _move_to(stores, day2)
        await kill_in_windows([a, b])
        mark("kill 1 (held)")
        courier.paused = False
        all_charges = sum(_expected_day2(s, payers, a) for s in stores)
        for store in stores:  # from now on the vendor answers charges slowly: kills land mid-run
            await asyncio.to_thread(vendor.hold_replies, str(store.ctx.tenant_id), "charge", seconds=VENDOR_LATENCY,
                                    count=100)
        await start_worker()
        schedulers.shift += LEASES  # the dead worker's rows are claimable again
        for kill in range(RANDOM_KILLS):
            before = await charged_count()
            replacement = await workers.spawn()  # boots while the doomed one works

            async def progressed(before: int = before) -> bool:
                schedulers.check()
                return await charged_count() > before

            if before < all_charges:  # else: a kill among the webhooks and the ladder
                await wait_until(progressed, within=45, interval=0.05, what="the workers to charge")
            await asyncio.sleep(rng.uniform(0.0, 0.8))  # a random point of the run
            await workers.kill_oldest()
            mark(f"kill {kill + 2} ({await charged_count()}/{all_charges} charged)")
            await workers.wait_ready(replacement)
            # Past the dead worker's leases, and those of messages the replacement got while booting.
            schedulers.shift += LEASES

        # --- the last worker finishes the day -------------------------------------------------------
        paying = [(store, ct) for store in stores for ct, _ in payers[str(store.ctx.tenant_id)]]
        first_declined = await _first(a, declined)

        last_bump = time.monotonic()

        async def settled() -> bool:
            nonlocal last_bump
            schedulers.check()
            courier.check()
            if time.monotonic() - last_bump > 10:  # time passes: leases of lost messages run out
                schedulers.shift += LEASES
                last_bump = time.monotonic()
            for store, ct in paying:
                if (await _first(store, ct)).status != "paid":
                    return False
            case = await dunning.get_case(a.ctx, first_declined.id)
            return case is not None and sorted(case.steps_done) == [0, 0]

        await wait_until(settled, within=60, interval=0.2, what="every installment paid and the ladder's day 0 run")
        mark("settled")
        await courier.stop()
        await courier.round(flush=True)  # the backlog: every webhook out twice

        async def webhooks_processed() -> bool:
            left = await owner.fetchval(
                "SELECT count(*) FROM webhook_event WHERE tenant_id = ANY($1::uuid[]) AND processed_at IS NULL",
                [s.ctx.tenant_id for s in stores])
            return bool(left == 0)

        await wait_until(webhooks_processed, within=30, interval=0.1, what="every webhook event processed")
        mark("webhooks processed")
        await schedulers.stop()
        await workers.stop()
    finally:
        await courier.stop()
        await schedulers.stop()
        await workers.stop()
        broker.close()
        dramatiq.broker.global_broker = previous
        print(" ".join(f"{what} +{at - marks[0][1]:.1f}s" for what, at in marks[1:]))

    # --- what the faults must not have changed --------------------------------------------------------
    assert workers.kills == 1 + RANDOM_KILLS
    assert window_kills >= 1
    assert set(courier.delivered.values()) == {2}, "every webhook delivered exactly twice"
    assert len(courier.delivered) >= sum(len(p) for p in payers.values()) + 1
    for store in stores:
        tenant = str(store.ctx.tenant_id)
        await _check_store(store, payers[tenant], charges(tenant), sandbox)
    await _check_declined(a, first_declined, charges(str(a.ctx.tenant_id)))


def _env() -> dict[str, str]:
    return dict(os.environ)


def _expected_day2(store: Store, payers: dict[str, list[tuple[Any, int]]], a: Store) -> int:
    """How many charges the vendor will have made for ``store`` by the end of day 2."""
    count = len(payers[str(store.ctx.tenant_id)])
    return count + (1 if store is a else 0)


async def _check_store(store: Store, paid: list[tuple[Any, int]], at_vendor: list[dict[str, Any]],
                       sandbox: Any) -> None:
    tenant = str(store.ctx.tenant_id)
    succeeded = [ch for ch in at_vendor if ch["status"] == "succeeded"]
    debits = [attempt for t, attempt, _ in sandbox.debits if t == tenant]
    assert len(debits) == len(set(debits)), "an attempt id was debited twice"
    assert sorted(debits) == sorted(ch["attempt_id"] for ch in succeeded)
    by_installment = Counter(ch["payment_id"] for ch in succeeded)
    assert max(by_installment.values()) == 1, "an installment was charged twice"
    books = {bal.code: bal.balance_fen for bal in await ledger.balances(store.ctx)}
    for contract, amount in paid:
        inst = await _first(store, contract)
        assert inst.status == "paid"
        wins = [x for x in await billing.installment_debits(store.ctx, inst.id) if x.status == "succeeded"]
        assert len(wins) == 1, (inst.sequence, wins)
        [charge] = [ch for ch in succeeded if ch["payment_id"] == str(inst.id)]
        assert (charge["attempt_id"], charge["amount_fen"]) == (wins[0].id, amount), "our debit is the vendor's"
        assert books[f"customer_receivable:{contract.contract_no}"] == amount * 11, "collected once"
        assert await billing.points_balance(store.ctx, contract.customer_id) == amount // 100, "points once"
        _no_message_twice(await customers.list_messages(store.ctx, contract.customer_id))
    assert len(succeeded) == len(paid)
    funds = sandbox.funds(tenant)
    assert funds["held_fen"] == books.get("store_funds_held", 0), (funds, books)
    assert sum(ch["amount_fen"] - ch["platform_fee_fen"] for ch in succeeded) == funds["held_fen"]


def _no_message_twice(messages: list[Any]) -> None:
    """Never a message twice: each purpose (channel, template, contract; one debit per contract here)
    is logged once. A worker that died between sending and recording re-sends under the same provider
    message id (a no-op at a provider that remembers it) and the log keeps one row per id."""
    rows: Counter[tuple[str, str, Any]] = Counter((m.channel, m.template, m.contract_id) for m in messages)
    assert all(n == 1 for n in rows.values()), f"a message went out twice: {rows}"


async def _check_declined(store: Store, inst: Any, at_vendor: list[dict[str, Any]]) -> None:
    attempts = await billing.installment_debits(store.ctx, inst.id)
    assert [x.status for x in attempts] == ["failed", "planned"], "declined once; the retry waits its hours"
    assert [ch["status"] for ch in at_vendor if ch["payment_id"] == str(inst.id)] == ["failed"]
    assert (await contracts.get_installment(store.ctx, inst.id)).status != "paid"
    case = await dunning.get_case(store.ctx, inst.id)
    assert case is not None
    assert sorted(case.steps_done) == [0, 0], "the day-0 steps ran once each"
    contacts = Counter((x.channel, x.template_code) for x in await dunning.list_contacts(store.ctx,
                                                                                          installment_id=inst.id))
    assert max(contacts.values()) == 1, f"a ladder step was sent twice: {contacts}"
    contract = await contracts.get_contract(store.ctx, inst.contract_id)
    _no_message_twice(await customers.list_messages(store.ctx, contract.customer_id))
