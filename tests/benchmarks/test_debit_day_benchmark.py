"""CI's short version of the debit-day benchmark: ``benchmarks/debit_day.py --quick`` runs end to end
(5 stores x 200 contracts due on one day; every installment settled once, the ledger equal to the
sandbox) and reports debits/s, the PostgreSQL commit-rate ceiling and their ratio. It never asserts on
speed."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "debit_day.py"


def test_the_quick_debit_day_benchmark_reports_its_figures(tmp_path: Path) -> None:
    server = os.environ.get("PAWPAY_TEST_DATABASE_URL")
    if not server:
        pytest.skip("PAWPAY_TEST_DATABASE_URL is unset: the benchmark needs a PostgreSQL server URL whose "
                    "user may create databases")
    out = tmp_path / "debit_day.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAWPAY_")}
    env.update(PAWPAY_BENCH_DATABASE_URL=server, PYTHONSAFEPATH="1")
    completed = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--ceiling-seconds", "2", "--json", str(out)],
        env=env, cwd=SCRIPT.parent.parent, capture_output=True, text=True, timeout=600, check=False,
    )
    assert completed.returncode == 0, f"stdout:\n{completed.stdout}\nstderr:\n{completed.stderr}"
    assert "debits/s" in completed.stdout
    assert "ceiling commits/s" in completed.stdout
    report = json.loads(out.read_text())
    assert (report["stores"], report["installments"]) == (5, 1_000)
    for key in ("seconds", "debits_per_second", "ceiling_commits_per_second", "ratio"):
        assert isinstance(report[key], int | float)
        assert math.isfinite(report[key])
        assert report[key] > 0, key
    # The benchmark waits until the receipts' outbox is empty (timed apart from the debits).
    assert report["meta"]["receipts_drained_seconds"] >= 0
    # Batches: a message per store and claim, each with many attempts (not one message per debit).
    assert report["meta"]["debit_messages"] >= 5
    assert report["meta"]["rows_per_message"] > 10
    assert "attempts per message" in completed.stdout
