"""The top-level ``platform/`` directory must never shadow the standard library's ``platform``
(ARCHITECTURE §1): it has no ``__init__.py``, so from the repo root the stdlib module wins."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_platform_directory_is_not_a_regular_package() -> None:
    assert (REPO_ROOT / "platform").is_dir()
    assert not (REPO_ROOT / "platform" / "__init__.py").exists()


def test_stdlib_platform_wins_from_the_repo_root() -> None:
    result = subprocess.run(
        [sys.executable, "-c", "import platform, uuid; print(platform.system()); print(platform.__file__)"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 0, result.stderr
    system, module_file = result.stdout.split()
    assert system
    assert not Path(module_file).resolve().is_relative_to(REPO_ROOT)


def test_python_m_pytest_collects_from_the_repo_root() -> None:
    # ``python -m pytest`` puts the working directory first on sys.path: the worst case.
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "tests/unit"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
