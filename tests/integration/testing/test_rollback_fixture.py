"""The ``rollback`` fixture isolates service-level tests: what a test writes is gone afterwards."""

from __future__ import annotations

import pytest

from pawpay.platform.identity import services as identity
from pawpay.platform.identity.roles import FRONT_DESK
from pawpay.platform.tenancy.context import TenantContext

pytestmark = pytest.mark.integration

EMAIL = "isolated-once@rollback.test"


@pytest.mark.parametrize("attempt", [1, 2])
async def test_each_run_starts_clean(rollback, store_a, attempt) -> None:
    ctx = TenantContext(tenant_id=store_a.tenant_id, actor_id=store_a.manager_id, actor_label="test")
    assert EMAIL not in {a.email for a in await identity.list_staff(ctx)}
    # Would raise EMAIL_TAKEN on the second run if the first run's account had been kept.
    created = await identity.create_staff(ctx, email=EMAIL, password="isolated-pw-1", roles=[FRONT_DESK])
    assert created.email in {a.email for a in await identity.list_staff(ctx)}
