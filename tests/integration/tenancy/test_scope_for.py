"""``scope_for(ctx, reason)``: the one choice between a tenant's scope and the platform's."""

from __future__ import annotations

from typing import Any

import pytest

from pawpay.platform.tenancy.context import PlatformContext, TenantContext
from pawpay.platform.tenancy.scope import current_tenant_id, in_platform_scope, scope_for

pytestmark = pytest.mark.integration


async def test_a_tenant_context_gets_its_tenant_scope_and_a_platform_context_the_platform_scope(
    store_a: Any,
) -> None:
    async with scope_for(TenantContext(tenant_id=store_a.tenant_id, roles=frozenset()), "test"):
        assert current_tenant_id() == store_a.tenant_id
        assert not in_platform_scope()
    async with scope_for(PlatformContext(actor_label="test"), "test"):
        assert in_platform_scope()
        assert current_tenant_id() is None
