"""Logins run without the request transaction (``opt={"transaction": False}``): each holds one
pooled connection, so more concurrent logins than the pool has connections queue instead of
deadlocking (each used to hold the request's connection while waiting for a second one)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from pawpay.platform.errors import ScopeViolation
from pawpay.platform.identity import services as identity
from pawpay.platform.tenancy.scope import anonymous_scope
from pawpay.platform.testing.plugin import PASSWORD

pytestmark = pytest.mark.integration

# The test pool has at most 8 connections (platform/testing/plugin.py); well past it.
CONCURRENT_LOGINS = 12


async def test_more_concurrent_logins_than_pooled_connections_all_finish(
    store_a: Any, operator: dict[str, Any], new_client: Any
) -> None:
    async def api_login() -> int:
        async with new_client() as client:
            response = await client.post("/api/v1/auth/login",
                                         json={"email": store_a.manager_email, "password": PASSWORD})
            return response.status_code

    async def form_login() -> int:
        async with new_client() as client:
            response = await client.post("/login", data={"email": operator["email"], "password": PASSWORD})
            return response.status_code

    async def wrong_password() -> int:
        async with new_client() as client:
            response = await client.post("/api/v1/auth/login",
                                         json={"email": f"nobody@{store_a.slug}.test", "password": PASSWORD})
            return response.status_code

    attempts = [(api_login, form_login, wrong_password)[i % 3]() for i in range(CONCURRENT_LOGINS)]
    statuses = await asyncio.wait_for(asyncio.gather(*attempts), timeout=30)
    assert sorted(statuses) == sorted([200, 303, 401] * (CONCURRENT_LOGINS // 3))


async def test_login_refuses_to_run_inside_a_scope_where_its_counters_could_roll_back(store_a: Any) -> None:
    async with anonymous_scope():
        with pytest.raises(ScopeViolation):
            await identity.login(store_a.manager_email, PASSWORD)

