"""The example third-party provider (``tests/example_plugin``) is found through its entry point
alone, and passes its own contract tests, run as its author runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DISTRIBUTION = "pawpay-acme-credit"


def _installed() -> bool:
    try:
        distribution(DISTRIBUTION)
    except PackageNotFoundError:
        return False
    return True


pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not _installed(),
                       reason=f"{DISTRIBUTION} is not installed: pip install --no-deps -e tests/example_plugin"),
]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    # Only the installed distributions: no PAWPAY_* settings, no current directory on sys.path.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAWPAY_")}
    env["PYTHONSAFEPATH"] = "1"
    return subprocess.run([sys.executable, "-m", *args], env=env, text=True, capture_output=True,
                          timeout=300, cwd=REPO, check=False)


def test_plugins_list_shows_the_example_provider_next_to_the_built_ins() -> None:
    listed = _run("pawpay.platform.cli", "plugins", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    plugins = {p["name"]: p for p in json.loads(listed.stdout)}
    assert "acme_credit" in plugins, sorted(plugins)
    acme = plugins["acme_credit"]
    assert acme["contributions"]["providers"] == ["credit/acme"]
    assert acme["distribution"].startswith(f"{DISTRIBUTION} "), acme["distribution"]
    providers = {item for p in plugins.values() for item in p["contributions"].get("providers", [])}
    assert {"credit/sandbox", "credit/acme"} <= providers

    shown = _run("pawpay.platform.cli", "plugins", "list")
    assert shown.returncode == 0, shown.stderr
    assert "acme_credit" in shown.stdout
    assert "providers: credit/acme" in shown.stdout


def test_the_example_package_passes_its_own_contract_tests() -> None:
    result = _run("pytest", "tests/example_plugin/tests", "-q")
    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout
    assert " failed" not in result.stdout
