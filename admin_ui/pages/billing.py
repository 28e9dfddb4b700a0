"""Billing pages: debits and attempts, the store's test clock controls (``/admin/billing``)."""

from __future__ import annotations

from typing import Any

from pawpay.platform.hooks.types import NavItem

ROUTES: list[Any] = []
NAV: dict[str, list[NavItem]] = {}
