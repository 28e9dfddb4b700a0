"""Reading HTML form posts (``application/x-www-form-urlencoded``) without trusting them."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from litestar import Request

from pawpay.admin_ui.labels import N_
from pawpay.admin_ui.shell import FieldErrors

MAX_FIELD = 1000


class Form:
    """A posted form: strings only (files and oversized values read as empty)."""

    def __init__(self, items: list[tuple[str, Any]]) -> None:
        self._items = [(k, v if isinstance(v, str) and len(v) <= MAX_FIELD else "") for k, v in items]

    @classmethod
    async def read(cls, request: Request[Any, Any, Any]) -> Form:
        data = await request.form()
        return cls(list(data.multi_items()))

    def text(self, name: str) -> str:
        for key, value in self._items:
            if key == name:
                return str(value).strip()
        return ""

    def raw(self, name: str) -> str:
        """Unstripped (passwords)."""
        for key, value in self._items:
            if key == name:
                return str(value)
        return ""

    def all(self, name: str) -> list[str]:
        return [str(v).strip() for k, v in self._items if k == name and str(v).strip()]

    def flag(self, name: str) -> bool:
        return self.text(name) in ("on", "1", "true", "yes")


def parse_uuid(raw: str | None, name: str, errors: FieldErrors) -> uuid.UUID | None:
    if not raw:
        return None
    try:
        return uuid.UUID(raw)
    except ValueError:
        errors[name] = N_("not a valid id")
        return None


def parse_date(raw: str | None, name: str, errors: FieldErrors) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[name] = N_("enter a date as YYYY-MM-DD")
        return None


def day_start(day: date, zone: ZoneInfo) -> datetime:
    """Midnight of a store-local date, as an aware datetime (compared with UTC timestamps)."""
    return datetime.combine(day, time.min, tzinfo=zone)


def day_after(day: date, zone: ZoneInfo) -> datetime:
    """Midnight after a store-local date: the exclusive end of a date range that includes ``day``."""
    return day_start(day + timedelta(days=1), zone)


def parse_yuan(raw: str, name: str, errors: FieldErrors, *, allow_zero: bool = False,
               maximum_fen: int = 100_000_000) -> int | None:
    """``"298"``, ``"298.50"`` or ``"¥1,298.50"`` yuan as integer fen (never a float).

    Blank is 0 when ``allow_zero``; otherwise the amount must be positive, have at most two
    decimals and not exceed ``maximum_fen`` (default one million yuan). A problem is a field error."""
    text = raw.strip().replace(",", "").replace("¥", "")
    if not text and allow_zero:
        return 0
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = Decimal(-1)
    if not value.is_finite() or value < 0 or (value == 0 and not allow_zero) or \
            value != value.quantize(Decimal("0.01")) or value * 100 > maximum_fen:
        errors[name] = N_("Enter an amount in yuan, e.g. 298.00.")
        return None
    return int(value * 100)
