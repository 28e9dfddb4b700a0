"""pawpay's benchmark: HTTP throughput and latency on loopback, and what ``tenant_scope`` costs.

Usage (from the repository root)::

    .venv/bin/python benchmarks/run.py [--quick] [--json out.json]

It creates, migrates and seeds its own database on the PostgreSQL server named by
``PAWPAY_BENCH_DATABASE_URL`` (a URL whose user may create databases; default
``postgresql://postgres@127.0.0.1:5432/postgres``) and drops it at the end, even on failure.

What it measures (docs/benchmarks.md explains every figure):

1. The real app under uvicorn in a subprocess, driven from this process by N concurrent
   keep-alive clients (asyncio + httpx) for a fixed time after a warm-up: ``/healthz`` (no
   database) and ``GET /api/v1/audit?limit=50`` (store A's audit log: authentication, one
   transaction narrowed to the tenant, RLS, a page of 50 rows plus the total count), once with an
   API key (Bearer) and once with a session cookie. Client, app server and PostgreSQL share this
   machine's CPUs, so each row also says how much CPU each of them used.
2. In-process, on one event loop with the app role's pool: the mean time of a transaction that
   runs ``SELECT 1`` bare, in ``tenant_scope`` and in ``platform_scope``, and of a 50-row audit
   list in ``tenant_scope`` (RLS) against the same list as the owner without RLS; as ratios.

It is a benchmark, not a test: nothing here fails on speed. ``--quick`` is the short version
that CI runs (tests/benchmarks/test_benchmark_smoke.py) to prove the figures are produced.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import math
import os
import signal
import socket
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import asyncpg
import httpx

DEFAULT_SERVER_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
SECRET_KEY = "benchmark-secret-key-not-for-production"  # noqa: S105 - throwaway key, throwaway database
AUDIT_PATH = "/api/v1/audit?limit=50"
AUDIT_PAGE = 50
# Seeded audit entries per store; store B's rows are there so that RLS has something to hide.
SEEDED_AUDIT_ENTRIES = 500
# --other-tenants N adds N tenants' worth of audit entries each, to see the list on a big table.
OTHER_TENANT_AUDIT_ENTRIES = 200
SERVER_START_TIMEOUT_S = 60.0
REQUEST_TIMEOUT_S = 30.0
# A client process this busy is itself the bottleneck of the row (single-threaded asyncio).
CLIENT_BOUND_PERCENT = 90


@dataclass(frozen=True)
class Mode:
    name: str
    warmup_s: float  # per HTTP row, discarded
    duration_s: float  # per HTTP row, measured
    scope_iterations: int  # per transaction kind
    concurrencies: tuple[int, ...] = (1, 16)
    other_tenants: int = 0


QUICK = Mode("quick", warmup_s=0.5, duration_s=2.0, scope_iterations=1_000)
FULL = Mode("full", warmup_s=3.0, duration_s=15.0, scope_iterations=20_000)


def say(message: str) -> None:
    """Progress goes to stderr; stdout carries only the report."""
    print(message, file=sys.stderr, flush=True)


# --- figures ---------------------------------------------------------------------------------


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


@dataclass
class HttpResult:
    name: str
    method_path: str
    auth: str
    concurrency: int
    requests: int
    errors: int
    duration_s: float
    requests_per_s: float
    latency_ms: dict[str, float]
    cpu_percent: dict[str, float | None]  # of one core; client + app + postgres + other <= 100 * cores
    # CPU the app server and PostgreSQL spent per successful request: cost, not speed.
    cpu_ms_per_request: dict[str, float | None] = field(default_factory=dict)
    first_error: str | None = None


@dataclass
class TransactionResult:
    name: str
    description: str
    iterations: int
    mean_us: float
    p50_us: float
    p99_us: float


@dataclass
class Report:
    meta: dict[str, Any]
    http: list[HttpResult] = field(default_factory=list)
    transactions: list[TransactionResult] = field(default_factory=list)
    ratios: dict[str, float] = field(default_factory=dict)  # of the mean times
    ratios_of_medians: dict[str, float] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "meta": self.meta,
            "http": [asdict(r) for r in self.http],
            "tenant_scope": {
                "transactions": [asdict(t) for t in self.transactions],
                "ratios": self.ratios,
                "ratios_of_medians": self.ratios_of_medians,
            },
        }


# --- CPU accounting: who used the shared cores ----------------------------------------------

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process from /proc (Linux); None where unreadable."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS  # utime, stime


def machine_busy_seconds() -> float | None:
    """CPU time all processes of this machine have used since boot, from /proc/stat (Linux)."""
    try:
        first = Path("/proc/stat").read_text().splitlines()[0].split()
    except (OSError, IndexError):
        return None
    user, nice, system, _idle, _iowait, irq, softirq = (int(v) for v in first[1:8])
    return (user + nice + system + irq + softirq) / _CLOCK_TICKS


class CpuMeter:
    """CPU used during one measured window by this process, the app server, its PostgreSQL
    backends (found in pg_stat_activity; unavailable when PostgreSQL runs on another host) and
    everything else on the machine (other work skews the figures; this shows how much)."""

    def __init__(self, monitor: asyncpg.Connection, database: str, server_pid: int) -> None:
        self._monitor = monitor
        self._database = database
        self._server_pid = server_pid

    async def _backend_cpu(self) -> dict[int, float]:
        pids = await self._monitor.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", self._database
        )
        times = {row["pid"]: process_cpu_seconds(row["pid"]) for row in pids}
        return {pid: t for pid, t in times.items() if t is not None}

    async def start(self) -> None:
        self._client = time.process_time()
        self._server = process_cpu_seconds(self._server_pid)
        self._backends = await self._backend_cpu()
        self._machine = machine_busy_seconds()
        self._started = time.perf_counter()

    async def stop(self) -> dict[str, float | None]:
        elapsed = time.perf_counter() - self._started
        machine_now = machine_busy_seconds()
        client = time.process_time() - self._client
        server_now = process_cpu_seconds(self._server_pid)
        backends_now = await self._backend_cpu()
        server = server_now - self._server if server_now is not None and self._server is not None else None
        # A backend that appeared during the window counts from zero (its start-up included).
        postgres = (sum(t - self._backends.get(pid, 0.0) for pid, t in backends_now.items())
                    if backends_now else None)

        other = None
        if machine_now is not None and self._machine is not None:
            other = max(0.0, machine_now - self._machine - client - (server or 0.0) - (postgres or 0.0))

        def pct(seconds: float | None) -> float | None:
            return round(100 * seconds / elapsed, 1) if seconds is not None else None

        return {"client": pct(client), "app": pct(server), "postgres": pct(postgres), "other": pct(other)}


# --- the database: create, migrate, seed, drop ----------------------------------------------


@dataclass(frozen=True)
class Seed:
    store_a: Any  # pawpay.platform.testing.plugin.SeededStore
    store_b: Any
    api_key: str


async def audit_totals(seed: Seed) -> tuple[int, int]:
    """How many audit entries each store has, counted across tenants (platform scope)."""
    from pawpay.platform.audit.services import AuditFilter, list_entries
    from pawpay.platform.tenancy.context import PlatformContext

    ops = PlatformContext(actor_label="benchmark")
    _, total_a = await list_entries(ops, AuditFilter(tenant_id=seed.store_a.tenant_id), limit=1)
    _, total_b = await list_entries(ops, AuditFilter(tenant_id=seed.store_b.tenant_id), limit=1)
    return total_a, total_b


def pawpay_environment(app_dsn: str, owner_dsn: str, data_dir: str) -> dict[str, str]:
    """The PAWPAY_* variables of both this process and the app server."""
    return {
        "PAWPAY_ENV": "test",
        "PAWPAY_DATABASE_URL": app_dsn,
        "PAWPAY_MIGRATE_DATABASE_URL": owner_dsn,
        "PAWPAY_DATA_DIR": data_dir,
        "PAWPAY_SECRET_KEY": SECRET_KEY,
        "PAWPAY_LOG_LEVEL": "WARNING",
    }


async def seed_other_tenants(owner: asyncpg.Connection, tenants: int) -> int:
    """Bulk-insert audit entries of ``tenants`` other (made-up) tenants, as the owner; then ANALYZE.

    They make the table look like production's, where one store's rows are a sliver of it.
    """
    if tenants:
        await owner.execute(
            """
            INSERT INTO audit_entry (id, tenant_id, actor_label, action, target_type, target_id,
                                     request_id, ip, created_at)
            SELECT gen_random_uuid(), t, 'benchmark', 'benchmark.background', '', '', '', '',
                   now() - random() * interval '365 days'
            FROM unnest($1::uuid[]) AS t, generate_series(1, $2)
            """,
            [uuid.uuid4() for _ in range(tenants)], OTHER_TENANT_AUDIT_ENTRIES,
        )
    await owner.execute("ANALYZE")  # the planner sees the seeded sizes, as it would in production
    return tenants * OTHER_TENANT_AUDIT_ENTRIES


async def seed_stores() -> Seed:
    """Two stores with a manager each, an API key for store A's manager, audit entries for both."""
    from pawpay.platform.audit.services import record
    from pawpay.platform.identity.roles import MANAGER
    from pawpay.platform.identity.services import create_api_key
    from pawpay.platform.tenancy.context import TenantContext
    from pawpay.platform.tenancy.scope import tenant_scope
    from pawpay.platform.testing.plugin import create_store

    suffix = uuid.uuid4().hex[:6]
    store_a = await create_store(f"bench-a-{suffix}", "Benchmark A 宠物店")
    store_b = await create_store(f"bench-b-{suffix}", "Benchmark B 宠物店")
    for store in (store_a, store_b):
        ctx = TenantContext(tenant_id=store.tenant_id, actor_id=store.manager_id,
                            actor_label=store.manager_email)
        async with tenant_scope(ctx):  # one transaction per store; record() joins it
            for i in range(SEEDED_AUDIT_ENTRIES):
                await record(ctx, "benchmark.seeded", target_type="benchmark", target_id=str(i),
                             after={"i": i, "note": "seeded by benchmarks/run.py"})
    manager_a = TenantContext(tenant_id=store_a.tenant_id, actor_id=store_a.manager_id,
                              roles=frozenset([MANAGER]), actor_label=store_a.manager_email)
    api_key, _ = await create_api_key(manager_a, name="benchmark", role=MANAGER)
    return Seed(store_a, store_b, api_key)


# --- tenant_scope cost, in-process ----------------------------------------------------------


# Each ratio: (the kind measured, the kind it is measured against).
RATIOS = {
    "tenant_scope/bare": ("tenant_scope", "bare"),
    "platform_scope/bare": ("platform_scope", "bare"),
    "list_tenant_scope/list_bare_owner": ("list_tenant_scope", "list_bare_owner"),
}


async def time_transactions(
    kinds: dict[str, Callable[[], Awaitable[Any]]], iterations: int
) -> dict[str, list[float]]:
    """Per-transaction wall times (µs) of each kind.

    The kinds take turns transaction by transaction (in rotating order), so that whatever else
    the machine does at a given moment slows them all alike and their ratios stay meaningful.
    """
    names = list(kinds)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for _ in range(max(50, iterations // 20)):  # warm-up: connections, statement caches
        for name in names:
            await kinds[name]()
    gc.collect()
    for i in range(iterations):
        shift = i % len(names)
        for name in names[shift:] + names[:shift]:
            t0 = time.perf_counter_ns()
            await kinds[name]()
            samples[name].append((time.perf_counter_ns() - t0) / 1000)
    return samples


async def measure_scope_cost(
    owner_dsn: str, seed: Seed, mode: Mode
) -> tuple[list[TransactionResult], dict[str, float], dict[str, float]]:
    from piccolo.querystring import QueryString

    from pawpay.platform.audit.tables import AuditEntry
    from pawpay.platform.db.engine import SafePostgresEngine, get_engine
    from pawpay.platform.tenancy.scope import platform_scope, tenant_scope

    engine = get_engine()  # the app role (NOBYPASSRLS), pool on this loop
    tenant_a = seed.store_a.tenant_id
    select_1 = QueryString("SELECT 1")
    # The audit page the API serves, with the tenant filter spelt out so that the owner (who is
    # not subject to RLS) gets the same rows; in tenant_scope RLS adds its own predicate.
    page = (
        AuditEntry.select()
        .where(AuditEntry.tenant_id == tenant_a)
        .order_by(AuditEntry.created_at, ascending=False)
        .order_by(AuditEntry.id)
        .limit(AUDIT_PAGE)
    )
    page_qs = page.querystrings[0]

    owner = SafePostgresEngine(config={"dsn": owner_dsn})
    await owner.start_connection_pool(min_size=1, max_size=2)
    try:
        async def bare() -> None:
            async with engine.transaction(allow_nested=False):
                await engine.run_querystring(select_1)

        async def in_tenant_scope() -> None:
            async with tenant_scope(tenant_a):
                await engine.run_querystring(select_1)

        async def in_platform_scope() -> None:
            async with platform_scope("benchmark"):
                await engine.run_querystring(select_1)

        async def page_as_owner() -> list[dict[str, Any]]:
            async with owner.transaction(allow_nested=False):
                rows: list[dict[str, Any]] = await owner.run_querystring(page_qs)
            return rows

        async def page_in_tenant_scope() -> list[dict[str, Any]]:
            async with tenant_scope(tenant_a):
                rows: list[dict[str, Any]] = await engine.run_querystring(page_qs)
            return rows

        # Both list variants must return the same page, or the comparison means nothing.
        mine, theirs = await page_in_tenant_scope(), await page_as_owner()
        if [r["id"] for r in mine] != [r["id"] for r in theirs] or len(mine) != AUDIT_PAGE:
            raise RuntimeError("the tenant-scoped page and the owner's page differ; refusing to compare them")

        kinds: dict[str, Callable[[], Awaitable[Any]]] = {
            "bare": bare, "tenant_scope": in_tenant_scope, "platform_scope": in_platform_scope,
            "list_bare_owner": page_as_owner, "list_tenant_scope": page_in_tenant_scope,
        }
        samples = await time_transactions(kinds, mode.scope_iterations)
    finally:
        await owner.close_connection_pool()

    descriptions = {
        "bare": "(a) engine.transaction(): SELECT 1",
        "tenant_scope": "(b) tenant_scope(store A): SELECT 1",
        "platform_scope": "(c) platform_scope(): SELECT 1",
        "list_bare_owner": "(d1) 50 audit rows, transaction as owner, no RLS",
        "list_tenant_scope": "(d2) 50 audit rows, tenant_scope (RLS)",
    }
    results = []
    for name, values in samples.items():
        ordered = sorted(values)
        results.append(TransactionResult(
            name=name, description=descriptions[name], iterations=len(values),
            mean_us=round(statistics.fmean(values), 1), p50_us=round(percentile(ordered, 50), 1),
            p99_us=round(percentile(ordered, 99), 1),
        ))
    mean = {r.name: r.mean_us for r in results}
    median = {r.name: r.p50_us for r in results}
    ratios = {key: round(mean[over] / mean[under], 3) for key, (over, under) in RATIOS.items()}
    # Medians shrug off the odd slow transaction (a GC pause, a neighbour's burst).
    of_medians = {key: round(median[over] / median[under], 3) for key, (over, under) in RATIOS.items()}
    return results, ratios, of_medians


# --- the app server and the load ------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class AppServer:
    """``uvicorn --factory pawpay.platform.web.app:create_app`` in a subprocess (one worker)."""

    def __init__(self, env: dict[str, str], workdir: str) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.command = [
            sys.executable, "-m", "uvicorn", "--factory", "pawpay.platform.web.app:create_app",
            "--host", "127.0.0.1", "--port", str(self.port), "--workers", "1", "--no-access-log",
            "--log-level", "warning",
        ]
        self._env = env
        self._workdir = workdir
        self._log_path = Path(workdir) / "uvicorn.log"
        self.process: asyncio.subprocess.Process | None = None

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self._log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    async def start(self) -> None:
        with self._log_path.open("wb") as log:  # the child keeps its own descriptor
            self.process = await asyncio.create_subprocess_exec(
                *self.command, env=self._env, cwd=self._workdir, stdout=log, stderr=asyncio.subprocess.STDOUT
            )
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        async with httpx.AsyncClient(base_url=self.base_url, timeout=2.0) as client:
            while time.monotonic() < deadline:
                if self.process.returncode is not None:
                    raise RuntimeError(
                        f"the app server exited with {self.process.returncode}:\n{self.log_tail()}"
                    )
                try:
                    if (await client.get("/healthz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        raise RuntimeError(f"the app server did not answer /healthz within {SERVER_START_TIMEOUT_S:.0f} s:\n"
                           f"{self.log_tail()}")

    async def stop(self) -> None:
        if self.process is None or self.process.returncode is not None:
            return
        try:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), timeout=15)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        except ProcessLookupError:  # it had already exited
            pass


@dataclass(frozen=True)
class Endpoint:
    name: str
    method_path: str
    path: str
    auth: str
    headers: dict[str, str]


@dataclass
class Load:
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests only
    errors: int = 0
    first_error: str | None = None
    elapsed_s: float = 0.0


async def drive(client: httpx.AsyncClient, endpoint: Endpoint, concurrency: int, seconds: float) -> Load:
    """``concurrency`` workers send requests back to back for ``seconds``; anything but a 200 is
    an error."""
    load = Load()
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            error = None
            try:
                response = await client.get(endpoint.path, headers=endpoint.headers)
                if response.status_code != 200:
                    error = f"HTTP {response.status_code}: {response.text[:200]}"
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"
            if error is None:
                load.latencies.append(time.perf_counter() - t0)
            else:
                load.errors += 1
                load.first_error = load.first_error or error

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    load.elapsed_s = time.perf_counter() - started
    return load


async def measure_endpoint(
    server: AppServer, meter: CpuMeter, endpoint: Endpoint, concurrency: int, mode: Mode
) -> HttpResult:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=server.base_url, limits=limits,
                                 timeout=REQUEST_TIMEOUT_S) as client:
        await drive(client, endpoint, concurrency, mode.warmup_s)  # opens the connections, fills caches
        await meter.start()
        load = await drive(client, endpoint, concurrency, mode.duration_s)
        cpu = await meter.stop()
    ordered = sorted(load.latencies)
    per_request: dict[str, float | None] = {}
    for who in ("app", "postgres"):
        percent = cpu[who]
        # % of a core x elapsed s / requests x 1000 / 100 -> ms of CPU per request
        per_request[who] = round(10 * percent * load.elapsed_s / len(ordered), 3) \
            if percent is not None and ordered else None
    return HttpResult(
        name=endpoint.name, method_path=endpoint.method_path, auth=endpoint.auth, concurrency=concurrency,
        requests=len(ordered), errors=load.errors, duration_s=round(load.elapsed_s, 3),
        requests_per_s=round(len(ordered) / load.elapsed_s, 1),
        latency_ms={
            "mean": round(1000 * statistics.fmean(ordered), 3) if ordered else math.nan,
            "p50": round(1000 * percentile(ordered, 50), 3),
            "p90": round(1000 * percentile(ordered, 90), 3),
            "p99": round(1000 * percentile(ordered, 99), 3),
            "max": round(1000 * ordered[-1], 3) if ordered else math.nan,
        },
        cpu_percent=cpu,
        cpu_ms_per_request=per_request,
        first_error=load.first_error,
    )


async def session_token(server: AppServer, email: str, password: str) -> str:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=REQUEST_TIMEOUT_S) as client:
        response = await client.post("/api/v1/auth/login", json={"email": email, "password": password})
        if response.status_code != 200:
            raise RuntimeError(f"login failed: {response.status_code} {response.text}")
        token = response.cookies.get("pawpay_session")
        if not token:
            raise RuntimeError("login answered 200 without a pawpay_session cookie")
        return str(token)


async def check_audit_page(server: AppServer, endpoint: Endpoint, seed: Seed, expected_total: int) -> None:
    """Refuse to benchmark a list that is wrong: store A must see exactly its own entries."""
    async with httpx.AsyncClient(base_url=server.base_url, timeout=REQUEST_TIMEOUT_S) as client:
        response = await client.get(endpoint.path, headers=endpoint.headers)
    if response.status_code != 200:
        raise RuntimeError(f"{endpoint.name}: {response.status_code} {response.text[:500]}")
    body = response.json()
    tenants = {item["tenant_id"] for item in body["items"]}
    if len(body["items"]) != AUDIT_PAGE or tenants != {str(seed.store_a.tenant_id)} \
            or body["total"] != expected_total:
        raise RuntimeError(
            f"{endpoint.name}: expected {AUDIT_PAGE} of store A's {expected_total} entries, got "
            f"{len(body['items'])} of {body['total']} from tenants {sorted(tenants)}"
        )


async def measure_http(server: AppServer, monitor: asyncpg.Connection, database: str, seed: Seed,
                       mode: Mode) -> list[HttpResult]:
    from pawpay.platform.testing.plugin import PASSWORD

    token = await session_token(server, seed.store_a.manager_email, PASSWORD)
    total_a, _ = await audit_totals(seed)  # after the login, which wrote an entry of its own
    endpoints = [
        Endpoint("healthz", "GET /healthz", "/healthz", "none", {}),
        Endpoint("audit_api_key", f"GET {AUDIT_PATH}", AUDIT_PATH, "API key (Bearer)",
                 {"authorization": f"Bearer {seed.api_key}"}),
        Endpoint("audit_session", f"GET {AUDIT_PATH}", AUDIT_PATH, "session cookie",
                 {"cookie": f"pawpay_session={token}"}),
    ]
    for endpoint in endpoints[1:]:
        await check_audit_page(server, endpoint, seed, total_a)
    assert server.process is not None
    meter = CpuMeter(monitor, database, server.process.pid)
    results = []
    for concurrency in mode.concurrencies:
        for endpoint in endpoints:
            say(f"  HTTP {endpoint.name}, {concurrency} concurrent client(s), {mode.duration_s:g} s …")
            results.append(await measure_endpoint(server, meter, endpoint, concurrency, mode))
    return results


# --- the report -----------------------------------------------------------------------------


def _fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"


def render(report: Report) -> str:
    m = report.meta
    lines = [
        f"pawpay benchmark — {m['mode']} mode — {m['started_at']}",
        f"command:  {m['command']}",
        f"machine:  {m['cpu_count']} CPU(s), {m['cpu_model']}; Python {m['python']}; PostgreSQL "
        f"{m['postgres_version']} on {m['postgres_host']}; load average at start {m['load_average_at_start']}",
        f"server:   {m['server']}",
        f"          app pool {m['app_pool']}; seeded audit entries: store A {m['store_a_audit_entries']}, "
        f"store B {m['store_b_audit_entries']}"
        + (f", {m['other_tenants']} other tenants {m['other_tenants_audit_entries']}" if m["other_tenants"] else ""),
        "note:     client, app server and PostgreSQL share these CPUs. The CPU columns show each one's",
        "          share, and everything else the machine ran, in % of one core (at most "
        f"{100 * (m['cpu_count'] or 1)}% together).",
        "          A busy 'other' column means the row was measured on a busy machine. Figures are for",
        "          comparing versions of pawpay on one machine, not a capacity plan.",
        "",
        f"HTTP on loopback: keep-alive clients, {m['warmup_s']:g} s warm-up then {m['duration_s']:g} s "
        "per row",
    ]
    header = (f"{'endpoint':<30} {'auth':<17} {'conc':>4} {'requests':>8} {'req/s':>8} {'p50 ms':>8} "
              f"{'p90 ms':>8} {'p99 ms':>8} {'errors':>6}  {'CPU% client/app/pg/other':>24}")
    lines += [header, "-" * len(header)]
    client_bound = False
    for r in report.http:
        cpu = "/".join(_fmt(r.cpu_percent[k], 0) for k in ("client", "app", "postgres", "other"))
        client_cpu = r.cpu_percent["client"]
        mark = "*" if client_cpu is not None and client_cpu >= CLIENT_BOUND_PERCENT else " "
        client_bound = client_bound or mark == "*"
        lines.append(
            f"{r.method_path:<30} {r.auth:<17} {r.concurrency:>4} {r.requests:>8} {r.requests_per_s:>8.1f} "
            f"{r.latency_ms['p50']:>8.2f} {r.latency_ms['p90']:>8.2f} {r.latency_ms['p99']:>8.2f} "
            f"{r.errors:>6}  {cpu:>24}{mark}"
        )
    if client_bound:
        lines.append(f"* the client used >= {CLIENT_BOUND_PERCENT}% of a core: this row measures the Python "
                     "client as much as the server, whose capacity is higher than shown.")
    for r in report.http:
        if r.errors:
            lines.append(f"errors in {r.name} x{r.concurrency}: {r.errors}, the first: {r.first_error}")
    lines += [
        "",
        "tenant_scope cost per transaction: in-process, one event loop, app role's pool, one at a time, "
        "the kinds taking turns",
    ]
    header = f"{'transaction':<52} {'n':>7} {'mean µs':>9} {'p50 µs':>9} {'p99 µs':>9}"
    lines += [header, "-" * len(header)]
    for t in report.transactions:
        lines.append(
            f"{t.description:<52} {t.iterations:>7} {t.mean_us:>9.1f} {t.p50_us:>9.1f} {t.p99_us:>9.1f}"
        )
    mean = {t.name: t.mean_us for t in report.transactions}
    labels = {
        "tenant_scope/bare": "(b)/(a)   tenant_scope / bare transaction",
        "platform_scope/bare": "(c)/(a)   platform_scope / bare transaction",
        "list_tenant_scope/list_bare_owner": "(d2)/(d1) 50-row list, tenant_scope / owner",
    }
    lines += ["", f"{'ratio':<46} {'of means':>8} {'of medians':>10}  {'added per transaction':>21}"]
    for key, (over, under) in RATIOS.items():
        lines.append(
            f"{labels[key]:<46} {report.ratios[key]:>8.3f} {report.ratios_of_medians[key]:>10.3f}  "
            f"{mean[over] - mean[under]:>+15.1f} µs mean"
        )
    return "\n".join(lines)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def server_description(command: list[str]) -> str:
    import uvicorn

    loop = "uvloop" if _importable("uvloop") else "asyncio"
    http = "httptools" if _importable("httptools") else "h11"
    shown = " ".join(["python", *command[1:]])
    return f"uvicorn {uvicorn.__version__} ({loop} loop, {http} parser): {shown}"


def _importable(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


# --- main -----------------------------------------------------------------------------------


def use_environment(pawpay_env: dict[str, str]) -> dict[str, str]:
    """Give this process exactly ``pawpay_env``'s PAWPAY_* settings; return the server's environment.

    This process (seeding, the transaction timings) and the app server must agree on them; a
    caller's own PAWPAY_* variables (a test session's database, say) must not leak in.
    """
    from pawpay.platform.settings import get_settings

    for name in [k for k in os.environ if k.startswith("PAWPAY_") and k != "PAWPAY_BENCH_DATABASE_URL"]:
        del os.environ[name]
    os.environ.update(pawpay_env)
    get_settings.cache_clear()
    server_env = {k: v for k, v in os.environ.items() if not k.startswith("PAWPAY_")}
    server_env.update(pawpay_env, PYTHONSAFEPATH="1")
    return server_env


async def measure(mode: Mode, db: Any, server: AppServer) -> Report:
    """Seed the migrated database ``db``, time the transactions, then load the app server."""
    from pawpay.platform.db.engine import close_pool, configure_engine, start_pool
    from pawpay.platform.settings import get_settings

    settings = get_settings()
    configure_engine(db.app_dsn)
    await start_pool(1, 4)
    monitor = await asyncpg.connect(db.owner_dsn)
    try:
        say("seeding two stores and their audit logs …")
        seed = await seed_stores()
        if mode.other_tenants:
            say(f"adding {mode.other_tenants} other tenants' audit entries …")
        other_entries = await seed_other_tenants(monitor, mode.other_tenants)
        say(f"timing transactions ({mode.scope_iterations} of each kind) …")
        transactions, ratios, of_medians = await measure_scope_cost(db.owner_dsn, seed, mode)
        say("starting the app server …")
        await server.start()
        http = await measure_http(server, monitor, db.name, seed, mode)
        store_a_entries, store_b_entries = await audit_totals(seed)
        meta = {
            "postgres_version": await monitor.fetchval("SHOW server_version"),
            "server": server_description(server.command),
            "app_pool": f"min {settings.database_pool_min}, max {settings.database_pool_max} connections",
            "store_a_audit_entries": store_a_entries,
            "store_b_audit_entries": store_b_entries,
            "other_tenants": mode.other_tenants,
            "other_tenants_audit_entries": other_entries,
        }
    finally:
        await server.stop()
        await monitor.close()
        await close_pool()
    return Report(meta=meta, http=http, transactions=transactions, ratios=ratios, ratios_of_medians=of_medians)


async def run(mode: Mode, server_dsn: str, command_line: str) -> Report:
    """Create and migrate a database, measure, and drop the database whatever happens."""
    from urllib.parse import urlsplit

    from pawpay.platform.clock import utcnow
    from pawpay.platform.db.migrate import migrate
    from pawpay.platform.db.roles import ensure_database
    from pawpay.platform.testing.database import APP_ROLE, describe, drop_database, new_database_name

    started_at = utcnow().isoformat(timespec="seconds")
    load_average = [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None
    # SIGTERM cancels like Ctrl-C does, so the cleanup (server, database) still runs.
    task = asyncio.current_task()
    if task is not None and hasattr(signal, "SIGTERM"):
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    db = describe(server_dsn, new_database_name())
    with tempfile.TemporaryDirectory(prefix="pawpay-bench-") as workdir:
        server = AppServer(use_environment(pawpay_environment(db.app_dsn, db.owner_dsn, workdir)), workdir)
        try:
            say(f"creating and migrating database {db.name} …")
            await ensure_database(server_dsn, db.name)
            await migrate(db.owner_dsn, APP_ROLE, progress=lambda _line: None)
            report = await measure(mode, db, server)
        finally:
            try:
                await drop_database(server_dsn, db.name)
            except Exception as exc:  # never hide the original failure behind this one
                say(f"warning: could not drop database {db.name}: {exc}")
    report.meta = {
        "mode": mode.name,
        "started_at": started_at,
        "command": command_line,
        "cpu_count": os.cpu_count(),
        "cpu_model": cpu_model(),
        "load_average_at_start": load_average,  # other work on the machine skews every figure
        "python": sys.version.split()[0],
        "postgres_host": urlsplit(server_dsn).hostname or "a Unix socket",
        "warmup_s": mode.warmup_s,
        "duration_s": mode.duration_s,
        "concurrencies": list(mode.concurrencies),
        "scope_iterations": mode.scope_iterations,
        **report.meta,
    }
    return report


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark pawpay: HTTP req/s and latency on loopback, and tenant_scope's cost.",
        epilog="The PostgreSQL server comes from PAWPAY_BENCH_DATABASE_URL "
               f"(default {DEFAULT_SERVER_DSN}); the benchmark creates and drops its own database there.",
    )
    parser.add_argument("--quick", action="store_true",
                        help="the short version (under a minute), as CI runs it")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the results as JSON to PATH")
    parser.add_argument("--duration", type=float, metavar="S", help="measured seconds per HTTP row")
    parser.add_argument("--concurrency", metavar="N,N", help="concurrent clients per HTTP row (default 1,16)")
    parser.add_argument("--other-tenants", type=int, default=0, metavar="N",
                        help=f"also fill the audit log with N other tenants' {OTHER_TENANT_AUDIT_ENTRIES} "
                             "entries each (default 0)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    mode = replace(QUICK if args.quick else FULL, other_tenants=args.other_tenants)
    if args.duration:
        mode = replace(mode, duration_s=args.duration)
    if args.concurrency:
        mode = replace(mode, concurrencies=tuple(int(n) for n in args.concurrency.split(",")))
    server_dsn = os.environ.get("PAWPAY_BENCH_DATABASE_URL", DEFAULT_SERVER_DSN)
    shown = ["benchmarks/run.py", *(argv if argv is not None else sys.argv[1:])]
    started = time.perf_counter()
    try:
        report = asyncio.run(run(mode, server_dsn, " ".join(shown)))
    except (KeyboardInterrupt, asyncio.CancelledError):
        say("interrupted; the app server was stopped and the benchmark database dropped")
        return 130
    report.meta["total_s"] = round(time.perf_counter() - started, 1)
    print(render(report))
    print(f"\n(total {report.meta['total_s']:.1f} s)")
    if args.json:
        args.json.write_text(json.dumps(report.as_json(), indent=2, ensure_ascii=False) + "\n")
        say(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
