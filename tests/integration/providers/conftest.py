"""The admin UI's page-test harness (``Browser``, ``new_browser``), reused for the provider pages
rather than copied: loaded from ``tests/integration/admin_ui/conftest.py`` (conftests are not
importable by name in importlib mode)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

_path = Path(__file__).parents[1] / "admin_ui" / "conftest.py"
_spec = importlib.util.spec_from_file_location("pawpay_tests_admin_ui_harness", _path)
assert _spec is not None
assert _spec.loader is not None
harness = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(harness)

Browser = harness.Browser
new_browser = harness.new_browser
