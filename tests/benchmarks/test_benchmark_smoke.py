"""CI's short version of the benchmark: ``benchmarks/run.py --quick`` produces every figure.

It proves that the script runs end to end against a real PostgreSQL and the real app server and
that nothing it measured failed. It never asserts on speed: the figures depend on the machine.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "run.py"
HTTP_ROWS = {(name, c) for name in ("healthz", "audit_api_key", "audit_session") for c in (1, 16)}
TRANSACTIONS = {"bare", "tenant_scope", "platform_scope", "list_bare_owner", "list_tenant_scope"}
RATIOS = {"tenant_scope/bare", "platform_scope/bare", "list_tenant_scope/list_bare_owner"}


def _positive(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return math.isfinite(value) and value > 0


@pytest.fixture(scope="module")
def quick_report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    server = os.environ.get("PAWPAY_TEST_DATABASE_URL")
    if not server:
        pytest.skip("PAWPAY_TEST_DATABASE_URL is unset: the benchmark needs a PostgreSQL server URL whose "
                    "user may create databases")
    out = tmp_path_factory.mktemp("benchmark") / "quick.json"
    # The test session's own PAWPAY_* settings (its database) must not leak into the benchmark.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAWPAY_")}
    env.update(PAWPAY_BENCH_DATABASE_URL=server, PYTHONSAFEPATH="1")
    completed = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--json", str(out)],
        env=env, cwd=SCRIPT.parent.parent, capture_output=True, text=True, timeout=300, check=False,
    )
    assert completed.returncode == 0, f"stdout:\n{completed.stdout}\nstderr:\n{completed.stderr}"
    assert "(b)/(a)   tenant_scope / bare transaction" in completed.stdout
    report: dict[str, object] = json.loads(out.read_text())
    return report


def test_every_http_row_has_positive_figures_and_no_errors(quick_report: dict[str, object]) -> None:
    rows = quick_report["http"]
    assert isinstance(rows, list)
    assert {(r["name"], r["concurrency"]) for r in rows} == HTTP_ROWS
    for row in rows:
        where = f"{row['name']} x{row['concurrency']}"
        assert row["errors"] == 0, f"{where}: {row['first_error']}"
        assert _positive(row["requests"]), where
        assert _positive(row["requests_per_s"]), where
        for key in ("p50", "p90", "p99"):
            assert _positive(row["latency_ms"][key]), f"{where} {key}"
        assert row["latency_ms"]["p50"] <= row["latency_ms"]["p90"] <= row["latency_ms"]["p99"], where


def test_tenant_scope_cost_and_ratios_are_reported(quick_report: dict[str, object]) -> None:
    scope = quick_report["tenant_scope"]
    assert isinstance(scope, dict)
    transactions = {t["name"]: t for t in scope["transactions"]}
    assert set(transactions) == TRANSACTIONS
    for name, t in transactions.items():
        assert _positive(t["iterations"]), name
        assert _positive(t["mean_us"]), name
        assert _positive(t["p50_us"]), name
    for kind in ("ratios", "ratios_of_medians"):
        assert set(scope[kind]) == RATIOS
        for name, ratio in scope[kind].items():
            assert _positive(ratio), f"{kind} {name}"
    assert scope["ratios"]["tenant_scope/bare"] == pytest.approx(
        transactions["tenant_scope"]["mean_us"] / transactions["bare"]["mean_us"], rel=0.01
    )


def test_the_report_says_what_it_ran_on(quick_report: dict[str, object]) -> None:
    meta = quick_report["meta"]
    assert isinstance(meta, dict)
    assert meta["mode"] == "quick"
    assert _positive(meta["cpu_count"])
    assert meta["postgres_version"]
    assert "uvicorn" in meta["server"]
    # Store B's entries exist, and store A's list (checked before measuring) never counted them.
    assert _positive(meta["store_a_audit_entries"])
    assert _positive(meta["store_b_audit_entries"])
