"""The test-clock API: a test-mode store's manager moves the store's clock; bad input changes nothing."""

from __future__ import annotations

import pytest

from pawpay.platform.testing.plugin import login

pytestmark = pytest.mark.integration


async def test_manager_advances_the_store_clock(new_client, store_a) -> None:
    async with new_client() as client:
        await login(client, store_a.manager_email)
        before = (await client.get("/api/v1/test-clock/")).json()
        moved = await client.post("/api/v1/test-clock/advance", json={"seconds": 86400})
        assert moved.status_code == 200, moved.text
        assert moved.json()["offset_seconds"] == before["offset_seconds"] + 86400
        audit = (await client.get("/api/v1/audit/", params={"action": "test_clock.advanced"})).json()
        assert audit["items"][0]["after"]["advanced_by"] == 86400


@pytest.mark.parametrize("body", [{"seconds": 0}, {"seconds": -5}, {"seconds": "soon"}, {}, {"seconds": 1, "x": 1}])
async def test_bad_input_changes_nothing(new_client, store_a, body) -> None:
    async with new_client() as client:
        await login(client, store_a.manager_email)
        before = (await client.get("/api/v1/test-clock/")).json()["offset_seconds"]
        response = await client.post("/api/v1/test-clock/advance", json=body)
        assert 400 <= response.status_code < 500
        assert response.json()["code"] == "VALIDATION_FAILED"
        assert (await client.get("/api/v1/test-clock/")).json()["offset_seconds"] == before
