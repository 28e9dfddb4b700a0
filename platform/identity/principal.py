"""The authenticated caller of a request, resolved once by the request middleware."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from pawpay.platform.identity.roles import OPERATOR
from pawpay.platform.tenancy.context import PlatformContext, TenantContext


@dataclass(frozen=True, slots=True)
class Principal:
    kind: str  # operator | staff | api_key
    account_id: uuid.UUID | None
    tenant_id: uuid.UUID | None
    roles: frozenset[str]
    label: str  # e-mail or API key name, for the audit log
    display_name: str = ""
    locale: str = "zh_CN"
    csrf_token: str | None = None  # only for cookie sessions
    session_id: uuid.UUID | None = None
    api_key_id: uuid.UUID | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def is_operator(self) -> bool:
        return self.kind == OPERATOR

    def tenant_context(self, request_id: str | None = None) -> TenantContext:
        assert self.tenant_id is not None
        return TenantContext(
            tenant_id=self.tenant_id,
            actor_id=self.account_id or self.api_key_id,
            roles=self.roles,
            request_id=request_id,
            actor_label=self.label,
        )

    def platform_context(self, request_id: str | None = None) -> PlatformContext:
        return PlatformContext(
            actor_id=self.account_id, roles=self.roles, request_id=request_id, actor_label=self.label
        )
