"""pawpay's debit-day benchmark: N stores x M contracts, all due on one day.

Usage (from the repository root)::

    .venv/bin/python benchmarks/debit_day.py [--quick] [--stores N] [--contracts M] [--threads T] [--json out.json]

Default: 100 stores x 1,000 contracts (100,000 installments due on the same day); ``--quick``:
5 stores x 200 (1,000), as CI runs it (tests/benchmarks/test_debit_day_benchmark.py).

It creates, migrates and seeds its own database on the PostgreSQL server named by
``PAWPAY_BENCH_DATABASE_URL`` (default ``postgresql://postgres@127.0.0.1:5432/postgres``) and drops
it at the end, even on failure.

Seeding (not timed): per store, the sandbox payment rail, a plan, a customer and one contract signed
through the real services (the contracts domain posts its receivable; signing plans its debit attempts
and reminders); then that contract is copied M - 1 times in bulk as the owner (a pet each, the contract,
its schedule, evidence, receivable account, signing entry and postings, planned attempts and
reminders) — signing 100,000 contracts one by one (PDFs, messages) would take hours. The process clock
is frozen on the signing day, then moved to the due day at 08:05 Beijing time.

Timed, **from the first scheduler tick until every installment is settled in the ledger and released
for fulfilment** (``pawpay_installments_paid`` heard): the real scheduler (``billing.debit`` due work,
100 rows per claim, the next tick at once while saturated) and an in-process dramatiq worker (the
in-memory broker, ``--threads`` actors at a time on one event loop) running ``run_debit_attempt``
through the guarded sandbox provider (no latency, but its declared rate limit of 150 requests/s per
store is honoured) — each debit: the attempt's two transactions, the provider charge, the installment
paid, the ledger collection, points, the audit entries, the paid event and the receipt message.

In the same run, the ceiling: PostgreSQL's commit rate for a comparable single-row transaction (a loop
of single-row INSERT transactions over asyncpg, as many connections as the worker's pool, for
``--ceiling-seconds``). Printed: both rates and their ratio. Afterwards the ledger and the sandbox are
checked to agree store by store and every installment is checked paid exactly once. A benchmark, not
a test: nothing here fails on speed.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

DEFAULT_SERVER_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
SECRET_KEY = "benchmark-secret-key-not-for-production"  # noqa: S105 - throwaway key, throwaway database
SHANGHAI = ZoneInfo("Asia/Shanghai")
SIGNED_AT = datetime(2026, 11, 2, 10, 0, tzinfo=SHANGHAI)  # a Monday
DUE_ON = date(2026, 11, 10)  # the first debit day (10th) at least 7 days after signing
DEBIT_AT = datetime(2026, 11, 10, 8, 5, tzinfo=SHANGHAI)
AMOUNT_FEN = 29_800


@dataclass
class Report:
    mode: str
    stores: int
    installments: int
    threads: int
    seed_seconds: float
    seconds: float
    debits_per_second: float
    ceiling_commits_per_second: float
    ratio: float
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


def _id_number(serial: int) -> str:
    from stdnum.cn import ric

    body = f"110101199003{(serial % 28) + 1:02d}{serial % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


async def seed_store(index: int) -> tuple[Any, uuid.UUID]:
    """One store, its sandbox rail, a plan and one contract signed through the real services (the template)."""
    from pawpay.platform.providers.services import set_store_provider
    from pawpay.platform.tenancy.context import PlatformContext, TenantContext
    from pawpay.platform.tenancy.services import create_tenant
    from pawpay.tenants.catalog import services as catalog
    from pawpay.tenants.contracts import services as contracts
    from pawpay.tenants.customers import services as customers
    from pawpay.tenants.plans import services as plans

    ops = PlatformContext(actor_label="benchmark")
    tenant = await create_tenant(ops, slug=f"debit-{uuid.uuid4().hex[:6]}-{index}", name=f"扣款压测 {index} 宠物店")
    ctx = TenantContext(tenant_id=tenant.id, actor_label="benchmark")
    await set_store_provider(ctx, "payments", "sandbox",
                             {"merchant_id": f"m_debit_{index}", "webhook_secret": f"whsec-bench-{uuid.uuid4().hex}"})
    sku = await catalog.create_sku(ctx, catalog.SkuInput(code=f"F{index:04d}", name="幼猫粮", kind="food", unit="袋"))
    plan = await plans.create_plan(ctx, plans.PlanInput(
        name="幼猫月付套餐", species="cat", stage="kitten", periods=12, monthly_amount_fen=AMOUNT_FEN,
        contents=[plans.ContentInput(item_type="sku", item_id=sku.id, quantity=2)], gift_text="",
        debit_days=(5, 10, 15)), confirm_amount_warning=True)
    customer = await customers.upsert_customer(
        ctx, name="压测客户", phone=f"139{index % 10**8:08d}", id_number=_id_number(index), region="上海市",
        address="浦东新区1号", wechat_openid=f"ox_bench_{index}")
    pet = await customers.add_pet(ctx, customer.id, name="咪咪", species="cat", breed="英短",
                                  birthday=date(2026, 3, 1), adoption_date=date(2026, 6, 1))
    draft = await contracts.create_draft(ctx, customer_id=customer.id, pet_id=pet.id, plan_id=plan.id,
                                         plan_version=plan.version, debit_day=10, channel="store",
                                         started_by="benchmark")
    await contracts.mark_pending_signature(ctx, draft.id)
    await contracts.activate(ctx, draft.id, evidence=contracts.EvidenceInput(
        ip="203.0.113.7", user_agent="benchmark", device="benchmark", identity_reference="idv",
        esign_reference="esign", face_check_reference="face",
        payment_agreement_reference=f"agr-{draft.id.hex[:16]}",
        consents={"contract_terms": True, "debit_authorisation": True, "face_data": True}))
    return ctx, draft.id


async def _columns(owner: asyncpg.Connection, table: str) -> list[str]:
    rows = await owner.fetch("SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' "
                             "AND table_name = $1 ORDER BY ordinal_position", table)
    return [r["column_name"] for r in rows]


async def _clone(owner: asyncpg.Connection, table: str, source: str, replace: dict[str, str], *args: Any) -> None:
    """INSERT INTO table SELECT its columns FROM ``source`` (aliased ``t``, joined as needed), with some
    columns replaced by SQL expressions."""
    cols = await _columns(owner, table)
    select = ", ".join(replace.get(c, f"t.{c}") for c in cols)
    await owner.execute(f"INSERT INTO {table} ({', '.join(cols)}) SELECT {select} FROM {source}", *args)


async def clone_contracts(owner: asyncpg.Connection, tenant_id: uuid.UUID, template: uuid.UUID, copies: int) -> None:
    """Copy the template contract ``copies`` times as the owner, in one transaction: a pet each, the contract,
    its schedule and evidence, its receivable in the ledger (account, signing entry, postings) and its planned
    debit attempts and reminders (what signing through the services makes, without the PDFs and messages)."""
    async with owner.transaction():
        await owner.execute(
            "CREATE TEMP TABLE bench_map ON COMMIT DROP AS SELECT k, gen_random_uuid() AS contract_id, "
            "gen_random_uuid() AS pet_id, gen_random_uuid() AS entry_id, gen_random_uuid() AS account_id, "
            "c.contract_no || '-' || k AS contract_no FROM contract c, generate_series(1, $2) AS k WHERE c.id = $1",
            template, copies)
        await owner.execute(
            "CREATE TEMP TABLE bench_inst ON COMMIT DROP AS SELECT m.k, i.id AS old_id, gen_random_uuid() AS new_id "
            "FROM bench_map m, installment i WHERE i.contract_id = $1", template)
        pet = await owner.fetchval("SELECT pet_id FROM contract WHERE id = $1", template)
        await _clone(owner, "pet", "pet t, bench_map m WHERE t.id = $1", {"id": "m.pet_id"}, pet)
        await _clone(owner, "contract", "contract t, bench_map m WHERE t.id = $1",
                     {"id": "m.contract_id", "pet_id": "m.pet_id", "contract_no": "m.contract_no"}, template)
        await _clone(owner, "installment", "installment t JOIN bench_inst b ON b.old_id = t.id "
                     "JOIN bench_map m ON m.k = b.k", {"id": "b.new_id", "contract_id": "m.contract_id"})
        await _clone(owner, "contract_evidence", "contract_evidence t, bench_map m WHERE t.contract_id = $1",
                     {"id": "gen_random_uuid()", "contract_id": "m.contract_id",
                      "payment_agreement_reference": "'agr-' || m.contract_id"}, template)
        number = await owner.fetchval("SELECT contract_no FROM contract WHERE id = $1", template)
        await _clone(owner, "ledger_account", "ledger_account t, bench_map m WHERE t.tenant_id = $1 AND t.code = $2",
                     {"id": "m.account_id", "code": "'customer_receivable:' || m.contract_no", "balance_signed": "0"},
                     tenant_id, f"customer_receivable:{number}")
        await _clone(owner, "journal_entry", "journal_entry t, bench_map m WHERE t.tenant_id = $1 "
                     "AND t.idempotency_key = $2",
                     {"id": "m.entry_id", "idempotency_key": "'contract-signed:' || m.contract_no"},
                     tenant_id, f"contract-signed:{number}")
        await _clone(owner, "ledger_posting", "ledger_posting t JOIN journal_entry e ON e.id = t.entry_id "
                     "JOIN ledger_account a ON a.id = t.account_id, bench_map m WHERE e.tenant_id = $1 "
                     "AND e.idempotency_key = $2",
                     {"id": "gen_random_uuid()", "entry_id": "m.entry_id",
                      "account_id": "CASE WHEN a.code LIKE 'customer_receivable:%' THEN m.account_id "
                                    "ELSE t.account_id END"},
                     tenant_id, f"contract-signed:{number}")
        await _clone(owner, "debit_attempt", "debit_attempt t JOIN bench_inst b ON b.old_id = t.installment_id "
                     "JOIN bench_map m ON m.k = b.k",
                     {"id": "'dbt-' || replace(b.new_id::text, '-', '') || '-' || t.attempt_no",
                      "installment_id": "b.new_id", "contract_id": "m.contract_id"})
        await _clone(owner, "debit_reminder", "debit_reminder t JOIN bench_inst b ON b.old_id = t.installment_id "
                     "JOIN bench_map m ON m.k = b.k",
                     {"id": "gen_random_uuid()", "installment_id": "b.new_id", "contract_id": "m.contract_id"})


async def seed(owner: asyncpg.Connection, stores: int, contracts_per_store: int) -> list[Any]:
    contexts: list[Any] = []
    for i in range(stores):
        ctx, template = await seed_store(i)
        if contracts_per_store > 1:
            await clone_contracts(owner, ctx.tenant_id, template, contracts_per_store - 1)
        contexts.append(ctx)
    return contexts


async def due_count(owner: asyncpg.Connection) -> int:
    return int(await owner.fetchval(
        "SELECT count(*) FROM installment WHERE due_on = $1 AND status IN ('due', 'failed')", DUE_ON))


async def debit_day(total: int, threads: int, batch_size: int, owner: asyncpg.Connection,
                    profile: Path | None = None, receipts: bool = True,
                    ) -> tuple[float, int, float | None, dict[str, int]]:
    """The timed part: scheduler ticks and the worker until every installment is paid and heard of.
    Then (timed apart) until every receipt left the outbox."""
    from pawpay.platform.hooks import hookimpl
    from pawpay.platform.hooks._manager import get_plugin_manager
    from pawpay.platform.jobs.scheduler import Scheduler
    from pawpay.platform.testing.jobs import running_jobs
    from pawpay.tenants.billing.due import DEBIT_ATTEMPTS

    heard: list[str] = []
    done = asyncio.Event()
    ticks = {"ticks": 0, "rows": 0, "messages": 0}

    class Fulfilment:
        @hookimpl
        def pawpay_installments_paid(self, tenant_id: str, installments: Any) -> None:
            heard.extend(i.installment_id for i in installments)
            if len(heard) >= total:
                done.set()

    listener = Fulfilment()
    get_plugin_manager().register(listener)
    try:
        async with running_jobs(None, threads=threads) as jobs:
            scheduler = Scheduler(jobs.broker, [DEBIT_ATTEMPTS], batch_size=batch_size)
            profiler = cProfile.Profile() if profile else None
            if profiler:
                profiler.enable()
            started = time.perf_counter()
            stop = asyncio.Event()

            async def ticking() -> None:
                while not stop.is_set():
                    result = await scheduler.tick()
                    ticks["ticks"] += 1
                    ticks["rows"] += result.claimed.get(DEBIT_ATTEMPTS.name, 0)
                    ticks["messages"] += result.sent
                    if not result.saturated:
                        await asyncio.sleep(0.05)

            ticker = asyncio.create_task(ticking())
            try:
                await asyncio.wait_for(until_settled(done, owner), timeout=max(600, total / 20))
                seconds = time.perf_counter() - started
                settled_ticks = dict(ticks)  # the debits' part (the receipts' ticks come after)
                if profiler and profile:
                    profiler.disable()
                    profiler.dump_stats(profile)
                receipt_seconds: float | None = None
                if receipts:
                    await asyncio.wait_for(receipts_sent(owner), timeout=max(600, total / 20))
                    receipt_seconds = time.perf_counter() - started - seconds
            finally:
                stop.set()
                await ticker
            left = await due_count(owner)
    finally:
        get_plugin_manager().unregister(listener)
    return seconds, left, receipt_seconds, settled_ticks


async def receipts_sent(owner: asyncpg.Connection) -> None:
    """Until the receipts' outbox is empty (they go out once no debit is in flight)."""
    while await owner.fetchval(  # noqa: ASYNC110 - polling the database, not an event of ours
            "SELECT count(*) FROM debit_attempt WHERE receipt_due_at IS NOT NULL"):
        await asyncio.sleep(0.2)


async def until_settled(done: asyncio.Event, owner: asyncpg.Connection) -> None:
    """Until every installment is heard of; fail fast when an attempt was declined (a broken benchmark)."""
    while not done.is_set():
        try:
            await asyncio.wait_for(done.wait(), timeout=2)
        except TimeoutError:
            failed = await owner.fetchval("SELECT count(*) FROM debit_attempt WHERE status = 'failed'")
            if failed:
                codes = await owner.fetch("SELECT error_code, count(*) FROM debit_attempt WHERE status = 'failed' "
                                          "GROUP BY 1")
                raise AssertionError(f"declined debits: {[tuple(r) for r in codes]}") from None


async def ceiling(owner_dsn: str, connections: int, seconds: float) -> float:
    """PostgreSQL's commit rate for single-row INSERT transactions (asyncpg, ``connections`` at a time)."""
    setup = await asyncpg.connect(owner_dsn)
    try:
        await setup.execute("CREATE TABLE IF NOT EXISTS bench_commit (id uuid PRIMARY KEY, tenant_id uuid NOT NULL, "
                            "amount_fen bigint NOT NULL, created_at timestamptz NOT NULL DEFAULT now())")
    finally:
        await setup.close()
    counts = [0] * connections
    deadline = time.perf_counter() + seconds

    async def loop(i: int) -> None:
        conn = await asyncpg.connect(owner_dsn)
        try:
            tenant = uuid.uuid4()
            while time.perf_counter() < deadline:
                async with conn.transaction():
                    await conn.execute("INSERT INTO bench_commit (id, tenant_id, amount_fen) VALUES ($1, $2, $3)",
                                       uuid.uuid4(), tenant, AMOUNT_FEN)
                counts[i] += 1
        finally:
            await conn.close()

    started = time.perf_counter()
    await asyncio.gather(*(loop(i) for i in range(connections)))
    return sum(counts) / (time.perf_counter() - started)


async def check(contexts: list[Any], per_store: int) -> None:
    """Every due installment paid exactly once; the ledger equals the sandbox store by store."""
    from pawpay.platform.ledger.services import balances
    from pawpay.platform.providers.services import provider_for

    for ctx in contexts:
        books = {b.code: b.balance_fen for b in await balances(ctx)}
        sandbox, _ = await provider_for(ctx, "payments")
        tenant = str(ctx.tenant_id)
        debits = [d for d in sandbox.debits if d[0] == tenant]
        assert len(debits) == per_store, (tenant, len(debits))
        assert len({d[1] for d in debits}) == per_store, "an attempt was debited twice"
        assert sandbox.funds(tenant)["held_fen"] == books["store_funds_held"], (tenant, books)


async def run(args: argparse.Namespace, server_dsn: str) -> Report:
    from pawpay.platform.clock import FrozenClock, set_clock
    from pawpay.platform.db.engine import close_pool, configure_engine, start_pool
    from pawpay.platform.db.migrate import migrate
    from pawpay.platform.db.roles import ensure_database
    from pawpay.platform.testing.database import APP_ROLE, describe, drop_database, new_database_name

    db = describe(server_dsn, new_database_name())
    total = args.stores * args.contracts
    with tempfile.TemporaryDirectory(prefix="pawpay-bench-debit-") as workdir:
        use_environment(db.app_dsn, db.owner_dsn, workdir)
        clock = FrozenClock(SIGNED_AT.astimezone(UTC))
        previous = set_clock(clock)
        try:
            say(f"creating and migrating database {db.name} …")
            await ensure_database(server_dsn, db.name)
            await migrate(db.owner_dsn, APP_ROLE, progress=lambda _line: None)
            configure_engine(db.app_dsn)
            pool = max(8, args.threads + 4)
            await start_pool(1, pool)
            owner = await asyncpg.connect(db.owner_dsn)
            try:
                seed_started = time.perf_counter()
                say(f"signing {total} contracts in {args.stores} stores …")
                contexts = await seed(owner, args.stores, args.contracts)
                # As a month of autovacuum would leave them: the bulk load's vacuum is not the debit day's work.
                await owner.execute("VACUUM ANALYZE")
                seed_seconds = time.perf_counter() - seed_started
                assert await due_count(owner) == total, "every first installment is due on the debit day"
                clock.set(DEBIT_AT.astimezone(UTC))
                say(f"debit day: {total} installments due, {args.threads} worker threads …")
                seconds, left, receipt_seconds, settled_ticks = await debit_day(
                    total, args.threads, args.batch_size, owner, args.profile, not args.no_receipts)
                assert left == 0, f"{left} installments left unpaid"
                await check(contexts, args.contracts)
                say(f"ceiling: single-row INSERT transactions on {pool} connections for {args.ceiling_seconds}s …")
                commits = await ceiling(db.owner_dsn, pool, args.ceiling_seconds)
                meta = {"postgres_version": await owner.fetchval("SHOW server_version"),
                        "cpu_count": os.cpu_count(), "python": sys.version.split()[0], "pool": pool,
                        "batch_size": args.batch_size, "scheduler_ticks": settled_ticks["ticks"],
                        "debit_messages": settled_ticks["messages"],
                        "rows_per_message": round(settled_ticks["rows"] / max(1, settled_ticks["messages"]), 1),
                        "receipts_drained_seconds": None if receipt_seconds is None else round(receipt_seconds, 2),
                        "load_average_at_end": [round(x, 2) for x in os.getloadavg()]}
            finally:
                await owner.close()
                await close_pool()
        finally:
            set_clock(previous)
            try:
                await drop_database(server_dsn, db.name)
            except Exception as exc:  # never hide the original failure behind this one
                say(f"warning: could not drop database {db.name}: {exc}")
    rate = total / seconds if seconds else 0.0
    return Report(mode="quick" if args.quick else "full", stores=args.stores, installments=total,
                  threads=args.threads, seed_seconds=round(seed_seconds, 2), seconds=round(seconds, 2),
                  debits_per_second=round(rate, 1), ceiling_commits_per_second=round(commits, 1),
                  ratio=round(rate / commits, 4) if commits else 0.0, meta=meta)


def render(report: Report) -> str:
    return "\n".join([
        f"debit-day benchmark ({report.mode}): {report.stores} stores, {report.installments} installments due, "
        f"{report.threads} worker threads",
        f"  seconds                 {report.seconds:.2f}  (first tick → every installment settled and released)",
        f"  debits/s                {report.debits_per_second:.1f}",
        f"  ceiling commits/s       {report.ceiling_commits_per_second:.1f}  (single-row INSERT transactions)",
        f"  ratio                   {report.ratio:.4f}",
        (f"  receipts drained after  {report.meta['receipts_drained_seconds']:.2f}s  (the outbox, not part "
         "of the figure)" if report.meta.get("receipts_drained_seconds") is not None
         else "  receipts drained after  (not waited for: --no-receipts)"),
        f"  seed seconds            {report.seed_seconds:.2f}  (not part of the figure)",
        f"  scheduler               {report.meta['scheduler_ticks']} ticks, {report.meta['debit_messages']} debit "
        f"messages, {report.meta['rows_per_message']} attempts per message",
    ])


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Benchmark pawpay's debit day.")
    parser.add_argument("--quick", action="store_true", help="5 stores x 200 contracts, as CI runs it")
    parser.add_argument("--stores", type=int, help="stores (default 100; quick 5)")
    parser.add_argument("--contracts", type=int, help="contracts per store (default 1000; quick 200)")
    parser.add_argument("--threads", type=int, default=16, help="worker actors at a time (default 16)")
    parser.add_argument("--batch-size", type=int, default=100, help="rows per claim (default 100, as in production)")
    parser.add_argument("--ceiling-seconds", type=float, default=5.0, help="how long the ceiling loop runs")
    parser.add_argument("--no-receipts", action="store_true",
                        help="do not wait for the receipts' outbox to drain after the debits (long runs)")
    parser.add_argument("--profile", type=Path, metavar="PATH",
                        help="cProfile the timed part only (slower!) and write the stats to PATH")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the results as JSON to PATH")
    args = parser.parse_args(argv)
    args.stores = args.stores or (5 if args.quick else 100)
    args.contracts = args.contracts or (200 if args.quick else 1_000)
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
