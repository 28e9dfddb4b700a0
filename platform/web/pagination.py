"""One shape for every paginated list: ``{"items": [...], "total": n, "limit": l, "offset": o}``."""

from __future__ import annotations

from typing import Generic, TypeVar

import msgspec

from pawpay.platform.errors import ValidationFailed

T = TypeVar("T")
MAX_LIMIT = 200


class Page(msgspec.Struct, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


def check_window(limit: int, offset: int) -> tuple[int, int]:
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed(f"limit must be between 1 and {MAX_LIMIT}", field="limit")
    if offset < 0:
        raise ValidationFailed("offset must not be negative", field="offset")
    return limit, offset
