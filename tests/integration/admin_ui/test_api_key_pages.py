"""``/admin/api-keys``: the key is shown once, works, and stops working when revoked."""

from __future__ import annotations

import re
import uuid

import pytest

from pawpay.platform.identity import services as identity
from pawpay.platform.identity.roles import FRONT_DESK
from pawpay.platform.tenancy.context import TenantContext

pytestmark = pytest.mark.integration


async def test_create_show_once_use_and_revoke(new_browser, http, store_a) -> None:
    browser = await new_browser()
    await browser.sign_in(store_a.manager_email)
    name = f"ERP {uuid.uuid4().hex[:6]}"
    created = await browser.submit("/admin/api-keys", {"name": name, "role": FRONT_DESK})
    assert created.status_code == 201
    assert created.headers["cache-control"] == "no-store"
    key = re.search(r'data-testid="new-key">(pp_[^<]+)</code>', created.text).group(1)
    assert name in created.text

    me = await http.get("/api/v1/auth/me", headers={"authorization": f"Bearer {key}"})
    assert me.status_code == 200
    assert me.json()["tenant_id"] == str(store_a.tenant_id)

    listing = await browser.get("/admin/api-keys")
    assert name in listing.text
    assert key not in listing.text  # shown once, never again

    key_id = next(k.id for k in await identity.list_api_keys(TenantContext(tenant_id=store_a.tenant_id))
                  if k.name == name)
    revoked = await browser.submit(f"/admin/api-keys/{key_id}/revoke", {}, csrf_from="/admin/api-keys")
    assert revoked.status_code == 303
    assert f"API 密钥 {name} 已吊销。" in (await browser.get("/admin/api-keys")).text
    assert (await http.get("/api/v1/auth/me", headers={"authorization": f"Bearer {key}"})).status_code == 401
    again = await browser.submit(f"/admin/api-keys/{key_id}/revoke", {}, csrf_from="/admin/api-keys")
    assert again.status_code == 404


@pytest.mark.parametrize(("fields", "field"), [
    ({"name": "", "role": FRONT_DESK}, "name"),
    ({"name": "No role", "role": ""}, "role"),
    ({"name": "Bad role", "role": "owner"}, "role"),
])
async def test_bad_input_creates_no_key(new_browser, store_a, fields, field) -> None:
    browser = await new_browser()
    await browser.sign_in(store_a.manager_email)
    before = len(await identity.list_api_keys(TenantContext(tenant_id=store_a.tenant_id)))
    response = await browser.submit("/admin/api-keys", fields)
    assert response.status_code == 422
    assert f'id="err-{field}"' in response.text
    assert "data-testid=\"new-key\"" not in response.text
    assert len(await identity.list_api_keys(TenantContext(tenant_id=store_a.tenant_id))) == before


async def test_another_store_cannot_revoke_a_key(new_browser, store_a, store_b) -> None:
    _, view = await identity.create_api_key(TenantContext(tenant_id=store_a.tenant_id, actor_label="test"),
                                            name="A's key", role=FRONT_DESK)
    browser_b = await new_browser()
    await browser_b.sign_in(store_b.manager_email)
    assert "A&#39;s key" not in (await browser_b.get("/admin/api-keys")).text
    response = await browser_b.submit(f"/admin/api-keys/{view.id}/revoke", {}, csrf_from="/admin/api-keys")
    assert response.status_code == 404
    keys = await identity.list_api_keys(TenantContext(tenant_id=store_a.tenant_id))
    assert next(k for k in keys if k.id == view.id).revoked_at is None
