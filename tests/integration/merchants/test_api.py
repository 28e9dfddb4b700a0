"""The merchants JSON API: operators' /api/v1/ops/merchants and the store's own /api/v1/merchant."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from pawpay.platform.identity import services as identity
from pawpay.platform.identity.roles import FRONT_DESK, OPS_REVIEWER
from pawpay.platform.testing.plugin import PASSWORD
from tests.integration.merchants.conftest import OPS, provision

pytestmark = pytest.mark.integration


async def _manager_email(store: Any) -> str:
    token = store.invitation_url.removeprefix("/invite/")
    invitation = await identity.get_invitation(token)
    await identity.accept_invitation(token, password=PASSWORD)
    return invitation.email


async def test_operators_list_read_and_change_a_merchant(signed_in, operator) -> None:
    store = await provision()
    async with signed_in(operator["email"]) as ops:
        listed = await ops.get("/api/v1/ops/merchants", params={"q": store.slug})
        assert listed.status_code == 200
        assert [s["slug"] for s in listed.json()["items"]] == [store.slug]
        detail = (await ops.get(f"/api/v1/ops/merchants/{store.tenant_id}")).json()
        assert detail["terms"]["version"] == 1
        assert detail["profile"]["legal_rep_id_masked"] == "1101**********002X"
        assert "legal_rep_id_sealed" not in detail["profile"]
        assert detail["go_live_blockers"] == ["agreement_not_signed", "sub_merchant_not_approved",
                                              "go_live_not_requested"]
        bad = await ops.post(f"/api/v1/ops/merchants/{store.tenant_id}/terms", json={"fee_rate_bp": 2000,
                                                                                     "reason": "x"})
        assert bad.status_code == 422
        assert bad.json()["data"]["field"] == "fee_rate_bp"
        ok = await ops.post(f"/api/v1/ops/merchants/{store.tenant_id}/terms",
                            json={"fee_rate_bp": 200, "settlement_days": 1, "reason": "promo"})
        assert ok.status_code == 201
        assert ok.json()["version"] == 2
        history = (await ops.get(f"/api/v1/ops/merchants/{store.tenant_id}/terms")).json()
        assert [t["version"] for t in history] == [2, 1]
        suspended = await ops.post(f"/api/v1/ops/merchants/{store.tenant_id}/suspend", json={"reason": "review"})
        assert suspended.json()["status"] == "suspended"
        refused = await ops.post(f"/api/v1/ops/merchants/{store.tenant_id}/go-live", json={})
        assert refused.status_code == 422
        assert refused.json()["code"] == "MERCHANT_GO_LIVE_NOT_READY"
        expiry = await ops.put(f"/api/v1/ops/merchants/{store.tenant_id}/expiry",
                               json={"certificate_expires_on": "2032-01-01", "reason": "renewed"})
        assert expiry.status_code == 200
        assert expiry.json()["certificate_expires_on"] == "2032-01-01"
        assert (await ops.get(f"/api/v1/ops/merchants/{uuid.uuid4()}")).status_code == 404


async def test_a_reviewer_cannot_change_terms(signed_in) -> None:
    store = await provision()
    email = f"reviewer-{uuid.uuid4().hex[:8]}@pawpay.test"
    await identity.create_operator(OPS, email=email, password=PASSWORD, roles=[OPS_REVIEWER])
    async with signed_in(email) as ops:
        response = await ops.post(f"/api/v1/ops/merchants/{store.tenant_id}/terms", json={"reason": "x"})
        assert response.status_code == 403


async def test_the_store_reads_its_own_merchant_account_only(signed_in, make_staff) -> None:
    store = await provision()
    other = await provision()
    async with signed_in(await _manager_email(store)) as manager:
        own = (await manager.get("/api/v1/merchant")).json()
        assert own["tenant_id"] == str(store.tenant_id)
        assert own["new_signings_allowed"] is True
        assert own["terms"]["version"] == 1
        assert (await manager.get("/api/v1/merchant/terms", params={"version": 1})).json()["version"] == 1
        assert (await manager.get("/api/v1/merchant/terms")).json()["version"] == 1
        assert (await manager.get("/api/v1/merchant/terms", params={"version": 9})).status_code == 404
        started = await manager.post("/api/v1/merchant/agreement")
        assert started.status_code == 200
        assert started.json()["agreement_status"] == "pending"
        assert "/sign/sandbox/" in started.json()["url"]
        applied = await manager.post("/api/v1/merchant/sub-merchant")
        assert applied.json()["sub_merchant_status"] == "pending"
        assert (await manager.post("/api/v1/merchant/go-live-request")).status_code == 422
        # Operator routes are not for stores.
        assert (await manager.get(f"/api/v1/ops/merchants/{other.tenant_id}")).status_code == 403
    _, front_desk = await make_staff(store, [FRONT_DESK])
    async with signed_in(front_desk) as clerk:
        assert (await clerk.get("/api/v1/merchant")).status_code == 403
        assert (await clerk.post("/api/v1/merchant/agreement")).status_code == 403
