from __future__ import annotations

import pytest

from pawpay.platform.testing.plugin import login

pytestmark = pytest.mark.integration


async def test_login_and_me(http, store_a) -> None:
    await login(http, store_a.manager_email)
    me = await http.get("/api/v1/auth/me")
    assert me.status_code == 200
    assert me.json()["tenant_id"] == str(store_a.tenant_id)
