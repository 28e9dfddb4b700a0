"""Staff work queues, the dunning ladder settings, pauses and terminations (``/admin/queues``)."""

from __future__ import annotations

from typing import Any

from pawpay.platform.hooks.types import NavItem

ROUTES: list[Any] = []
NAV: dict[str, list[NavItem]] = {}
