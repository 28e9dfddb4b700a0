"""Pages of the store visits component (filled in by its owner)."""

from __future__ import annotations

from pawpay.platform.hooks.types import NavItem

ROUTES: list[object] = []
NAV: dict[str, list[NavItem]] = {}
