"""The customer's signing pages (``/sign``) and the store's manual review queue."""

from __future__ import annotations

from typing import Any

from pawpay.platform.hooks.types import NavItem

ROUTES: list[Any] = []
NAV: dict[str, list[NavItem]] = {}
