"""Tenancy: the ``Tenant`` table, tenant and platform database scopes, and the request context."""

from pawpay.platform.tenancy.context import PlatformContext, TenantContext
from pawpay.platform.tenancy.scope import (
    after_commit,
    anonymous_scope,
    current_tenant_id,
    in_platform_scope,
    platform_scope,
    tenant_scope,
)

__all__ = [
    "PlatformContext",
    "TenantContext",
    "after_commit",
    "anonymous_scope",
    "current_tenant_id",
    "in_platform_scope",
    "platform_scope",
    "tenant_scope",
]
