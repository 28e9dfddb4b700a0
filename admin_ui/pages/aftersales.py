"""Pages of the store aftersales component (filled in by its owner)."""

from __future__ import annotations

from pawpay.platform.hooks.types import NavItem

ROUTES: list[object] = []
NAV: dict[str, list[NavItem]] = {}
