"""Who is acting, for which store: resolved once per request or job, then passed explicitly."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class TenantContext:
    """A store's staff member, API key or job acting inside one tenant."""

    tenant_id: uuid.UUID
    actor_id: uuid.UUID | None = None
    roles: frozenset[str] = field(default_factory=frozenset)
    request_id: str | None = None
    actor_label: str | None = None

    def has_any_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))


@dataclass(frozen=True, slots=True)
class PlatformContext:
    """An operator (or a platform job) acting across tenants."""

    actor_id: uuid.UUID | None = None
    roles: frozenset[str] = field(default_factory=frozenset)
    request_id: str | None = None
    actor_label: str | None = None
    reason: str = ""

    def has_any_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))
