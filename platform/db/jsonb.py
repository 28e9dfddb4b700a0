"""JSONB values read back from PostgreSQL."""

from __future__ import annotations

import json
from typing import Any


def from_jsonb(value: Any, default: Any = None) -> Any:
    """A JSONB column's value as Python data: raw queries over asyncpg hand JSONB over as text (no
    codec is registered), piccolo's own selects may have parsed it already; SQL NULL is ``default``."""
    if value is None:
        return default
    return json.loads(value) if isinstance(value, str) else value
