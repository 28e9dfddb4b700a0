"""Browser-test fixtures: the app under uvicorn in a subprocess (its own event loop and pool)
against the test session's database, and the system's Chromium (/usr/bin/chromium), never a
downloaded one."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def live_server(pawpay_database) -> Iterator[str]:
    """``pawpay``'s app under uvicorn on a free loopback port, with the test session's settings."""
    port = _free_port()
    env = {**os.environ, "PAWPAY_DATABASE_URL": pawpay_database.app_dsn, "PYTHONSAFEPATH": "1",
           "PAWPAY_DATABASE_POOL_MIN": "1", "PAWPAY_DATABASE_POOL_MAX": "4"}
    workdir = tempfile.mkdtemp(prefix="pawpay-browser-")
    log = Path(workdir) / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "pawpay.platform.web.app:create_app",
             "--host", "127.0.0.1", "--port", str(port), "--no-access-log"],
            cwd=workdir, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                pytest.fail(f"the server exited ({process.returncode}):\n{log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the server did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="module")
async def chromium() -> AsyncIterator[object]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()
