"""CI's short version of the settlement benchmark: ``benchmarks/settlement.py --quick`` runs end
to end (seed, every store's batch, the re-run, ledger = sandbox checks) and reports its figures.
It never asserts on speed."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "settlement.py"


def test_the_quick_settlement_benchmark_reports_its_figures(tmp_path: Path) -> None:
    server = os.environ.get("PAWPAY_TEST_DATABASE_URL")
    if not server:
        pytest.skip("PAWPAY_TEST_DATABASE_URL is unset: the benchmark needs a PostgreSQL server URL whose "
                    "user may create databases")
    out = tmp_path / "settlement.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAWPAY_")}
    env.update(PAWPAY_BENCH_DATABASE_URL=server, PYTHONSAFEPATH="1")
    completed = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--json", str(out)],
        env=env, cwd=SCRIPT.parent.parent, capture_output=True, text=True, timeout=300, check=False,
    )
    assert completed.returncode == 0, f"stdout:\n{completed.stdout}\nstderr:\n{completed.stderr}"
    assert "items/s" in completed.stdout
    report = json.loads(out.read_text())
    assert (report["stores"], report["items"]) == (20, 1_000)
    for key in ("seconds", "items_per_second", "rerun_seconds"):
        assert isinstance(report[key], int | float)
        assert math.isfinite(report[key])
        assert report[key] > 0, key
    assert report["released_fen"] + report["deposit_fen"] == 1_000 * (29_800 - 600)
    assert report["deposit_fen"] > 0
