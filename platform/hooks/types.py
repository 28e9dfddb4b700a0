"""Plain, frozen types that cross the plugin boundary (never ORM rows)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class NavItem:
    """One entry of the admin navigation.

    ``label`` is the English source string (translated through the catalogs), ``roles`` the
    roles that see it (empty: everybody in the area), ``order`` sorts entries.
    """

    label: str
    path: str
    roles: frozenset[str] = field(default_factory=frozenset)
    order: int = 100
    icon: str = ""


@dataclass(frozen=True, slots=True)
class DueItem:
    """A row the scheduler found due: enqueue ``actor_name`` with ``args``."""

    key: str
    tenant_id: str | None
    args: Sequence[Any]


class DueWork(Protocol):
    """A kind of scheduled work that lives in database rows (see ``pawpay_due_work``)."""

    name: str
    actor_name: str

    def claim(self, now: datetime, limit: int) -> Awaitable[Sequence[DueItem]]:
        """Inside the scheduler's platform-scope transaction, lock (``FOR UPDATE SKIP LOCKED``)
        and lease up to ``limit`` due rows, returning what to enqueue after commit."""
        ...


class ProviderRegistry(Protocol):
    """Where plugins add providers; the provider categories arrive with the providers' contract."""

    def add(self, category: str, name: str, factory: Callable[..., Any], **meta: Any) -> None: ...
