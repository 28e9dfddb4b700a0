"""Creating a store checks its input in the service, whoever calls it (API, admin UI, scripts)."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import pytest

from pawpay.platform.errors import ValidationFailed
from pawpay.platform.tenancy.context import PlatformContext
from pawpay.platform.tenancy.services import create_tenant

pytestmark = pytest.mark.integration


async def test_an_unknown_time_zone_is_422_and_creates_nothing(
    operator: Any, signed_in: Any, pawpay_database: Any
) -> None:
    slug = f"mars-{uuid.uuid4().hex[:6]}"
    async with signed_in(operator["email"]) as ops:
        response = await ops.post("/api/v1/ops/tenants",
                                  json={"slug": slug, "name": "Mars 店", "time_zone": "Mars/Olympus_Mons"})
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "VALIDATION_FAILED"
    assert body["data"]["field"] == "time_zone"
    owner = await asyncpg.connect(pawpay_database.owner_dsn)
    try:
        assert await owner.fetchval("SELECT count(*) FROM tenant WHERE slug = $1", slug) == 0
        assert await owner.fetchval(
            "SELECT count(*) FROM audit_entry WHERE action = 'tenant.created' AND after->>'slug' = $1", slug) == 0
    finally:
        await owner.close()


async def test_the_service_itself_refuses_an_unknown_time_zone(pawpay_database: Any) -> None:
    with pytest.raises(ValidationFailed) as caught:
        await create_tenant(PlatformContext(actor_label="test"), slug=f"zone-{uuid.uuid4().hex[:6]}", name="Z",
                            time_zone="Not/A_Zone")
    assert caught.value.data["field"] == "time_zone"
