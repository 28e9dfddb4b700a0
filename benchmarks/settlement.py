"""pawpay's settlement benchmark: how long the daily settlement batch takes for many stores.

Usage (from the repository root)::

    .venv/bin/python benchmarks/settlement.py [--quick] [--stores N] [--items N] [--concurrency N] [--json out.json]

Default: 1,000 stores with 100,000 held debits in total (100 each), all releasable on the same
business day; ``--quick``: 20 stores x 50 debits (1,000 in total), as CI runs it
(tests/benchmarks/test_settlement_benchmark.py). Every 10th store has a deposit target, so its
batch withholds debits too.

It creates, migrates and seeds its own database on the PostgreSQL server named by
``PAWPAY_BENCH_DATABASE_URL`` (default ``postgresql://postgres@127.0.0.1:5432/postgres``) and
drops it at the end, even on failure.

Seeding (not timed): the stores and their sandbox payment settings go through the real
services; the debits are bulk-inserted as the owner (ledger accounts, one signing entry per store,
one collection entry per debit with its postings, the settlement items), and the in-memory
sandbox is given the same held charges directly (its ``charge`` scans every earlier charge for
the daily cap, which is quadratic at this size). The database's deferred checks (balanced
entries, no negative balance) run when the seed commits.

Timed: ``run_settlement_batch`` for every store, ``--concurrency`` stores at a time (default 4),
each through the guarded sandbox provider (one release call per debit) and the real ledger;
then the same again (a re-run: nothing changes, nothing is asked again). Afterwards the ledger
and the sandbox are checked to agree store by store. It is a benchmark, not a test: nothing here
fails on speed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

DEFAULT_SERVER_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
SECRET_KEY = "benchmark-secret-key-not-for-production"  # noqa: S105 - throwaway key, throwaway database
COLLECTED_ON = date(2026, 9, 14)  # a Monday
BUSINESS_DAY = date(2026, 9, 15)  # its T+1
AMOUNT_FEN, FEE_FEN = 29_800, 600
DEPOSIT_EVERY = 10  # every 10th store has a deposit target (a tenth of its debits' net)


@dataclass
class Report:
    mode: str
    stores: int
    items: int
    concurrency: int
    seed_seconds: float
    seconds: float
    items_per_second: float
    rerun_seconds: float
    released_fen: int
    deposit_fen: int
    meta: dict[str, Any] = field(default_factory=dict)


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def use_environment(app_dsn: str, owner_dsn: str, data_dir: str) -> None:
    from pawpay.platform.settings import get_settings

    for name in [k for k in os.environ if k.startswith("PAWPAY_") and k != "PAWPAY_BENCH_DATABASE_URL"]:
        del os.environ[name]
    os.environ.update({
        "PAWPAY_ENV": "test", "PAWPAY_DATABASE_URL": app_dsn, "PAWPAY_MIGRATE_DATABASE_URL": owner_dsn,
        "PAWPAY_DATA_DIR": data_dir, "PAWPAY_SECRET_KEY": SECRET_KEY, "PAWPAY_LOG_LEVEL": "WARNING",
    })
    get_settings.cache_clear()


async def create_stores(count: int) -> list[Any]:
    from pawpay.platform.providers.services import set_store_provider
    from pawpay.platform.tenancy.context import PlatformContext, TenantContext
    from pawpay.platform.tenancy.services import create_tenant

    ops = PlatformContext(actor_label="benchmark")
    suffix = uuid.uuid4().hex[:6]
    contexts = []
    for i in range(count):
        tenant = await create_tenant(ops, slug=f"bench-{suffix}-{i}", name=f"Benchmark {i} 宠物店")
        ctx = TenantContext(tenant_id=tenant.id, actor_label="benchmark")
        await set_store_provider(ctx, "payments", "sandbox",
                                 {"merchant_id": f"m_bench_{i}", "webhook_secret": f"whsec-bench-{uuid.uuid4().hex}"})
        contexts.append(ctx)
    return contexts


async def seed_debits(owner: asyncpg.Connection, contexts: list[Any], per_store: int) -> None:
    """Bulk-insert the debits (ledger + settlement items) as the owner, in one transaction."""
    accounts = [("store_funds_held", "asset"), ("store_funds_released", "asset"), ("deposit_held", "asset"),
                ("platform_fee", "expense"), ("refunds", "expense"), ("contract_sales", "income"),
                ("customer_receivable:BENCH", "asset")]
    tenants = [c.tenant_id for c in contexts]
    collected_at = datetime(2026, 9, 14, 4, 0, tzinfo=UTC)
    async with owner.transaction():
        await owner.execute(
            "INSERT INTO ledger_account (id, tenant_id, code, kind, may_go_negative, created_at) "
            "SELECT gen_random_uuid(), t, a.code, a.kind, false, now() "
            "FROM unnest($1::uuid[]) AS t, unnest($2::text[], $3::text[]) AS a(code, kind)",
            tenants, [a[0] for a in accounts], [a[1] for a in accounts])
        # One signing entry per store: the receivable the debits are collected against.
        await owner.execute(
            "CREATE TEMP TABLE bench_sign ON COMMIT DROP AS SELECT t AS tenant_id, gen_random_uuid() AS entry_id "
            "FROM unnest($1::uuid[]) AS t", tenants)
        await owner.execute(
            "INSERT INTO journal_entry (id, tenant_id, idempotency_key, description, effective_at, recorded_at, "
            "reverses_entry_id, created_by) SELECT entry_id, tenant_id, 'sign:BENCH', 'benchmark contract', $1, now(), "
            "NULL, 'benchmark' FROM bench_sign", collected_at - timedelta(days=30))
        await owner.execute(
            "INSERT INTO ledger_posting (id, tenant_id, entry_id, account_id, amount_fen, currency) "
            "SELECT gen_random_uuid(), s.tenant_id, s.entry_id, a.id, "
            "CASE a.code WHEN 'contract_sales' THEN -$1::bigint ELSE $1::bigint END, 'CNY' "
            "FROM bench_sign s JOIN ledger_account a ON a.tenant_id = s.tenant_id "
            "AND a.code IN ('contract_sales', 'customer_receivable:BENCH')", per_store * AMOUNT_FEN)
        # The debits: one collection entry each (held + fee = receivable), and a settlement item.
        await owner.execute(
            "CREATE TEMP TABLE bench_debit ON COMMIT DROP AS SELECT t AS tenant_id, n, "
            "gen_random_uuid() AS entry_id, gen_random_uuid() AS item_id, 'bench-' || t || '-' || n AS attempt_id "
            "FROM unnest($1::uuid[]) AS t, generate_series(1, $2) AS n", tenants, per_store)
        await owner.execute(
            "INSERT INTO journal_entry (id, tenant_id, idempotency_key, description, effective_at, recorded_at, "
            "reverses_entry_id, created_by) SELECT entry_id, tenant_id, 'collection:' || attempt_id, "
            "'debit collected, held at the provider (BENCH)', $1, now(), NULL, 'benchmark' FROM bench_debit",
            collected_at)
        await owner.execute(
            "INSERT INTO ledger_posting (id, tenant_id, entry_id, account_id, amount_fen, currency) "
            "SELECT gen_random_uuid(), d.tenant_id, d.entry_id, a.id, CASE a.code "
            "WHEN 'store_funds_held' THEN $1::bigint WHEN 'platform_fee' THEN $2::bigint ELSE -$3::bigint END, 'CNY' "
            "FROM bench_debit d JOIN ledger_account a ON a.tenant_id = d.tenant_id "
            "AND a.code IN ('store_funds_held', 'platform_fee', 'customer_receivable:BENCH')",
            AMOUNT_FEN - FEE_FEN, FEE_FEN, AMOUNT_FEN)
        await owner.execute(
            "INSERT INTO settlement_item (id, tenant_id, attempt_id, contract_ref, provider_name, amount_fen, fee_fen, "
            "refunded_fen, collected_at, collected_on, settlement_days, releasable_on, status, batch_id, created_at, "
            "updated_at) SELECT item_id, tenant_id, attempt_id, 'BENCH', 'sandbox', $1, $2, 0, $3, $4, 1, $5, 'held', "
            "NULL, now(), now() FROM bench_debit", AMOUNT_FEN, FEE_FEN, collected_at, COLLECTED_ON, BUSINESS_DAY)
        await owner.execute(
            "INSERT INTO settlement_schedule (id, tenant_id, next_run_at, lease_until, last_run_at, last_error) "
            "SELECT gen_random_uuid(), t, NULL, NULL, NULL, '' FROM unnest($1::uuid[]) AS t", tenants)
    await owner.execute("ANALYZE")


async def seed_sandbox(contexts: list[Any], per_store: int) -> None:
    """Give the in-memory sandbox the same held charges the ledger holds."""
    from pawpay.platform.hooks import ChargeRequest, ProviderResult, ProviderStatus
    from pawpay.platform.providers.services import provider_for
    from pawpay.plugins.payments.sandbox.provider import _Charge

    for ctx in contexts:
        sandbox, _ = await provider_for(ctx, "payments")
        for n in range(1, per_store + 1):
            attempt = f"bench-{ctx.tenant_id}-{n}"
            request = ChargeRequest(attempt_id=attempt, payment_id=attempt, agreement_id=attempt, amount_fen=AMOUNT_FEN,
                                    description="benchmark", hold_funds=True, platform_fee_fen=FEE_FEN)
            result = ProviderResult(ProviderStatus.SUCCEEDED, provider_reference=f"sbx_txn_{attempt}")
            sandbox._charges[(str(ctx.tenant_id), attempt)] = _Charge(request, result, None, COLLECTED_ON)


async def set_deposits(contexts: list[Any], per_store: int) -> None:
    from pawpay.platform.deposits.services import set_monthly_fulfilment
    from pawpay.platform.merchants.services import current_terms

    for ctx in contexts[::DEPOSIT_EVERY]:
        ratio = (await current_terms(ctx)).deposit_ratio_bp
        # A target of about a tenth of the store's held debits.
        monthly = per_store * (AMOUNT_FEN - FEE_FEN) * 1_000 // max(ratio, 1)
        await set_monthly_fulfilment(ctx, monthly, reason="benchmark")


async def run_batches(contexts: list[Any], concurrency: int) -> tuple[float, list[Any]]:
    from pawpay.platform.settlement.services import run_settlement_batch

    queue: asyncio.Queue[Any] = asyncio.Queue()
    for ctx in contexts:
        queue.put_nowait(ctx)
    results: list[Any] = []

    async def worker() -> None:
        while not queue.empty():
            ctx = queue.get_nowait()
            results.append(await run_settlement_batch(ctx, BUSINESS_DAY))

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started, results


async def check(contexts: list[Any], batches: list[Any], per_store: int) -> tuple[int, int]:
    """The ledger and the sandbox agree for every store; every batch completed."""
    from pawpay.platform.ledger.services import balances
    from pawpay.platform.providers.services import provider_for

    assert len(batches) == len(contexts), "a store's batch is missing"
    assert all(b.status == "completed" and b.item_count == per_store for b in batches), "a batch did not complete"
    released = deposit = 0
    for ctx in contexts:
        books = {b.code: b.balance_fen for b in await balances(ctx)}
        sandbox, _ = await provider_for(ctx, "payments")
        funds = sandbox.funds(str(ctx.tenant_id))
        assert funds["released_fen"] == books["store_funds_released"], (ctx.tenant_id, funds, books)
        assert funds["held_fen"] == books["store_funds_held"] + books["deposit_held"], (ctx.tenant_id, funds, books)
        released += books["store_funds_released"]
        deposit += books["deposit_held"]
    assert released + deposit == len(contexts) * per_store * (AMOUNT_FEN - FEE_FEN)
    return released, deposit


async def run(args: argparse.Namespace, server_dsn: str) -> Report:
    from pawpay.platform.db.engine import close_pool, configure_engine, start_pool
    from pawpay.platform.db.migrate import migrate
    from pawpay.platform.db.roles import ensure_database
    from pawpay.platform.testing.database import APP_ROLE, describe, drop_database, new_database_name

    db = describe(server_dsn, new_database_name())
    with tempfile.TemporaryDirectory(prefix="pawpay-bench-settlement-") as workdir:
        use_environment(db.app_dsn, db.owner_dsn, workdir)
        try:
            say(f"creating and migrating database {db.name} …")
            await ensure_database(server_dsn, db.name)
            await migrate(db.owner_dsn, APP_ROLE, progress=lambda _line: None)
            configure_engine(db.app_dsn)
            await start_pool(1, max(4, args.concurrency + 2))
            owner = await asyncpg.connect(db.owner_dsn)
            try:
                seed_started = time.perf_counter()
                say(f"creating {args.stores} stores …")
                contexts = await create_stores(args.stores)
                say(f"seeding {args.stores * args.items} debits …")
                await seed_debits(owner, contexts, args.items)
                await seed_sandbox(contexts, args.items)
                await set_deposits(contexts, args.items)
                seed_seconds = time.perf_counter() - seed_started
                say(f"running {args.stores} batches, {args.concurrency} at a time …")
                seconds, batches = await run_batches(contexts, args.concurrency)
                say("running them again (nothing may change) …")
                rerun_seconds, again = await run_batches(contexts, args.concurrency)
                assert sorted(b.id for b in again) == sorted(b.id for b in batches), "a re-run made a new batch"
                released, deposit = await check(contexts, batches, args.items)
                meta = {"postgres_version": await owner.fetchval("SHOW server_version"),
                        "cpu_count": os.cpu_count(), "python": sys.version.split()[0],
                        "load_average_at_end": [round(x, 2) for x in os.getloadavg()]}
            finally:
                await owner.close()
                await close_pool()
        finally:
            try:
                await drop_database(server_dsn, db.name)
            except Exception as exc:  # never hide the original failure behind this one
                say(f"warning: could not drop database {db.name}: {exc}")
    items = args.stores * args.items
    return Report(mode="quick" if args.quick else "full", stores=args.stores, items=items,
                  concurrency=args.concurrency, seed_seconds=round(seed_seconds, 2), seconds=round(seconds, 2),
                  items_per_second=round(items / seconds, 1) if seconds else 0.0,
                  rerun_seconds=round(rerun_seconds, 2), released_fen=released, deposit_fen=deposit, meta=meta)


def render(report: Report) -> str:
    return "\n".join([
        f"settlement benchmark ({report.mode}): {report.stores} stores, {report.items} debits, "
        f"{report.concurrency} batches at a time",
        f"  stores            {report.stores}",
        f"  items             {report.items}",
        f"  seconds           {report.seconds:.2f}",
        f"  items/s           {report.items_per_second:.1f}",
        f"  re-run seconds    {report.rerun_seconds:.2f}  (every batch again: nothing changes)",
        f"  seed seconds      {report.seed_seconds:.2f}  (not part of the figure)",
        f"  released          ¥{report.released_fen / 100:,.2f}; kept as deposit ¥{report.deposit_fen / 100:,.2f}",
    ])


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Benchmark pawpay's daily settlement batch.")
    parser.add_argument("--quick", action="store_true", help="20 stores x 50 debits, as CI runs it")
    parser.add_argument("--stores", type=int, help="stores (default 1000; quick 20)")
    parser.add_argument("--items", type=int, help="debits per store (default 100; quick 50)")
    parser.add_argument("--concurrency", type=int, default=4, help="stores' batches run at a time (default 4)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the results as JSON to PATH")
    args = parser.parse_args(argv)
    args.stores = args.stores or (20 if args.quick else 1_000)
    args.items = args.items or (50 if args.quick else 100)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    server_dsn = os.environ.get("PAWPAY_BENCH_DATABASE_URL", DEFAULT_SERVER_DSN)
    report = asyncio.run(run(args, server_dsn))
    print(render(report))
    if args.json:
        args.json.write_text(json.dumps(asdict(report), indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
