"""The plugin contract is an allow-list in spirit: a plugin may import ``pawpay.platform.hooks`` (and
``pawpay.platform.testing`` in its tests) and nothing else of the platform. import-linter's
``forbidden`` contract is a deny-list, so this test keeps it complete: every module the platform
grows must be on it."""

from __future__ import annotations

import pkgutil
import tomllib
from pathlib import Path

import pytest

import pawpay.platform

pytestmark = pytest.mark.unit

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"
ALLOWED_FOR_PLUGINS = {"hooks", "testing"}


def _contract(name_start: str) -> dict[str, object]:
    config = tomllib.loads(PYPROJECT.read_text())
    for contract in config["tool"]["importlinter"]["contracts"]:
        if contract["name"].startswith(name_start):
            return contract
    raise AssertionError(f"no import-linter contract named {name_start!r}…")


def test_plugins_are_forbidden_every_platform_module_but_the_contract() -> None:
    forbidden = set(_contract("Plugins import only")["forbidden_modules"])  # type: ignore[arg-type]
    children = {info.name for info in pkgutil.iter_modules(pawpay.platform.__path__)}
    assert "hooks" in children
    missing = sorted(f"pawpay.platform.{name}" for name in children - ALLOWED_FOR_PLUGINS
                     if f"pawpay.platform.{name}" not in forbidden)
    assert not missing, f"add these to the plugins contract in pyproject.toml: {missing}"
    assert "pawpay.platform.hooks._manager" in forbidden, "the plugin manager is private to the platform"
