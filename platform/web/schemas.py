"""Shapes shared by every JSON route: the error body, and the one conversion from a service's
view (a dataclass) to a route's response schema (a ``msgspec.Struct``)."""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec

T = TypeVar("T")


class Error(msgspec.Struct):
    """Every error answer of the API: a stable ``code``, a human ``detail`` and ``data``
    (e.g. ``field``, ``errors``, ``request_id`` on a 5xx)."""

    code: str
    detail: str
    data: dict[str, Any]


def to_schema(view: Any, schema: type[T]) -> T:
    """A service's view (any object with the schema's attributes) as the route's schema."""
    return msgspec.convert(view, schema, from_attributes=True)
