"""``pawpay dev`` from a fresh data directory: embedded PostgreSQL, demo data, a browser-ready URL;
one instance per data directory; data survives SIGKILL; Ctrl-C stops everything."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from pawpay.platform.testing.plugin import free_port

pytestmark = [pytest.mark.integration, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[3]


def _start(data_dir: Path, port: int) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAWPAY_")}
    env.update({"PAWPAY_DATA_DIR": str(data_dir), "PYTHONSAFEPATH": "1"})
    return subprocess.Popen(
        [sys.executable, "-m", "pawpay.platform.cli", "dev", "--port", str(port)],
        env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )


def _wait_ready(proc: subprocess.Popen[str], base: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"pawpay dev exited early:\n{proc.stdout.read() if proc.stdout else ''}")
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    proc.kill()
    raise AssertionError("pawpay dev did not become ready")


def _postgres_running(data_dir: Path) -> bool:
    out = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=True).stdout
    return any(f"-D {data_dir / 'postgres'}" in line for line in out.splitlines())


def _webhook_is_processed_in_process(client: httpx.Client, base: str, tenant_id: str) -> None:
    """The store picks its payment provider; a signed webhook is stored, verified and then
    processed by the in-process scheduler and worker (DB-driven jobs in the embedded mode)."""
    secret = "dev-webhook-secret-123"
    chosen = client.put("/api/v1/store/providers/payments",
                        json={"provider": "sandbox", "config": {"merchant_id": "m1", "webhook_secret": secret}})
    assert chosen.status_code == 200, chosen.text
    timestamp = str(int(time.time()))
    body = json.dumps({"id": "evt_dev_1", "type": "charge.succeeded", "created": int(timestamp),
                       "attempt_id": "a1", "transaction_id": "t1", "status": "succeeded", "error_code": None,
                       "amount_fen": 29800}, separators=(",", ":")).encode()
    signature = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    answer = httpx.post(f"{base}/webhooks/payments/sandbox/{tenant_id}", content=body,
                        headers={"x-sandbox-timestamp": timestamp, "x-sandbox-signature": signature})
    assert answer.status_code == 200, answer.text
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if _processed(base):
            return
        time.sleep(0.5)
    raise AssertionError("the webhook event was not processed by the embedded scheduler and worker")


def _demo_plans_can_be_signed(client: httpx.Client) -> None:
    """The demo store has a catalog and plans, and a plan's signing link opens the customer's page."""
    listed = client.get("/api/v1/plans")
    assert listed.status_code == 200, listed.text
    names = {plan["name"]: plan for plan in listed.json()}
    assert {"成猫月付套餐", "幼猫成长套餐", "幼犬成长套餐"} <= set(names)
    kitten = names["幼猫成长套餐"]
    assert kitten["next_stage_plan_id"] == names["成猫月付套餐"]["id"]
    start = client.get(f"/sign/demo/start?plan={kitten['id']}", headers={"accept": "text/html"})
    assert start.status_code == 200, start.text
    assert 'data-testid="send-code"' in start.text  # the customer logs in by phone code first


def _processed(base: str) -> bool:
    # The worker runs inside `pawpay dev`, so its job counter is on the same /metrics page.
    metrics = httpx.get(f"{base}/metrics").text
    return any(line.startswith("pawpay_jobs_total") and "process_webhook_event" in line
               and 'outcome="succeeded"' in line and not line.rstrip().endswith(" 0.0")
               for line in metrics.splitlines())


def test_dev_end_to_end(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = _start(data_dir, port)
    try:
        _wait_ready(proc, base)
        creds = json.loads((data_dir / "demo-credentials.json").read_text())

        # A second instance on the same data directory refuses, and says why.
        second = subprocess.run(
            [sys.executable, "-m", "pawpay.platform.cli", "dev", "--port", str(free_port())],
            env={**{k: v for k, v in os.environ.items() if not k.startswith("PAWPAY_")},
                 "PAWPAY_DATA_DIR": str(data_dir), "PYTHONSAFEPATH": "1"},
            cwd=REPO, capture_output=True, text=True, timeout=60, check=False,
        )
        assert second.returncode == 1
        assert "already running" in second.stderr
        assert str(proc.pid) in second.stderr

        # The printed demo manager can sign in and create a staff account (committed data).
        with httpx.Client(base_url=base) as client:
            login = client.post("/api/v1/auth/login",
                                json={"email": creds["staff"]["manager"], "password": creds["password"]})
            assert login.status_code == 200, login.text
            client.headers["x-csrftoken"] = login.json()["csrf_token"]
            created = client.post("/api/v1/staff/", json={
                "email": "survivor@demo.pawpay.dev", "display_name": "幸存者", "password": "survive-kill-9",
                "roles": ["front_desk"]})
            assert created.status_code == 201, created.text
            assert client.get("/login", headers={"accept": "text/html"}).status_code == 200
            _demo_plans_can_be_signed(client)
            _webhook_is_processed_in_process(client, base, login.json()["tenant_id"])
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)

    # Restart after SIGKILL: the committed account is still there.
    proc = _start(data_dir, port)
    try:
        _wait_ready(proc, base)
        with httpx.Client(base_url=base) as client:
            login = client.post("/api/v1/auth/login",
                                json={"email": "survivor@demo.pawpay.dev", "password": "survive-kill-9"})
            assert login.status_code == 200, login.text
    finally:
        proc.send_signal(signal.SIGINT)  # Ctrl-C
        output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, output
    assert "pawpay dev stopped" in output
    assert f"{base}/login" in output
    assert creds["password"] in output
    time.sleep(1)
    assert not _postgres_running(data_dir), "Ctrl-C also stops the embedded PostgreSQL"
