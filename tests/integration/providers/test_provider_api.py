"""The providers API (issue 3, item 2) through the real app: the catalogue, a store's choice
(managers only), field errors with nothing stored, secrets never in answers, the audit log, the
logs or the raw column, "test connection", store isolation and the operators' overview."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import pytest

from pawpay.platform.identity.roles import FRONT_DESK
from pawpay.platform.testing.plugin import create_store

pytestmark = pytest.mark.integration

SECRET = "whsec-api-" + uuid.uuid4().hex


@pytest.fixture(scope="module")
async def store(pawpay_database: Any) -> Any:
    """A store of this module's own (HTTP tests commit; the shared stores stay untouched)."""
    return await create_store()


def config(merchant_id: str = "m_api", secret: str = SECRET) -> dict[str, Any]:
    return {"merchant_id": merchant_id, "webhook_secret": secret}


async def test_catalogue_lists_the_sandbox_with_its_form(store: Any, signed_in: Any) -> None:
    async with signed_in(store.manager_email) as client:
        response = await client.get("/api/v1/providers", params={"category": "payments"})
    assert response.status_code == 200
    sandbox = next(p for p in response.json() if p["name"] == "sandbox")
    assert sandbox["category"] == "payments"
    fields = {f["name"]: f for f in sandbox["fields"]}
    assert fields["webhook_secret"]["secret"] is True
    assert fields["merchant_id"]["required"] is True


async def test_bad_config_is_422_with_field_errors_and_nothing_stored(store: Any, signed_in: Any, owner: Any) -> None:
    async with signed_in(store.manager_email) as client:
        response = await client.put("/api/v1/store/providers/payments",
                                    json={"provider": "sandbox", "config": {"merchant_id": "", "bogus": 1}})
        assert response.status_code == 422, response.text
        body = response.json()
        assert body["code"] == "VALIDATION_FAILED"
        types = {e["field"]: e["type"] for e in body["data"]["errors"]}
        assert types == {"merchant_id": "string_too_short", "webhook_secret": "missing", "bogus": "extra_forbidden"}
        unknown = await client.put("/api/v1/store/providers/payments", json={"provider": "nope", "config": {}})
        assert unknown.status_code == 422
        extra = await client.put("/api/v1/store/providers/payments", json={"provider": "sandbox", "x": 1})
        assert extra.status_code == 422
    assert await owner.fetchval("SELECT count(*) FROM tenant_provider WHERE tenant_id = $1", store.tenant_id) == 0


async def test_save_test_and_never_show_the_secret(
    store: Any, signed_in: Any, owner: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        async with signed_in(store.manager_email) as client:
            saved = await client.put("/api/v1/store/providers/payments",
                                     json={"provider": "sandbox", "config": config()})
            assert saved.status_code == 200, saved.text
            listed = await client.get("/api/v1/store/providers")
            one = await client.get("/api/v1/store/providers/payments")
            tested = await client.post("/api/v1/store/providers/payments/test")
            # Blank secret: the saved one stays.
            renamed = await client.put("/api/v1/store/providers/payments",
                                       json={"provider": "sandbox",
                                             "config": {"merchant_id": "sandbox_bad_credentials",
                                                        "webhook_secret": ""}})
            failed = await client.post("/api/v1/store/providers/payments/test")
            audit = await client.get("/api/v1/audit", params={"action": "provider."})
    assert saved.json()["preview"]["merchant_id"] == "m_api"
    assert saved.json()["secrets_set"] == ["webhook_secret"]
    assert tested.status_code == 200
    assert tested.json()["status"] == "succeeded"
    assert renamed.status_code == 200, renamed.text
    assert failed.json()["status"] == "failed"
    assert failed.json()["code"] == "AUTH_FAILED"
    assert audit.status_code == 200
    assert {e["action"] for e in audit.json()["items"]} == {"provider.configured", "provider.connection_tested"}
    for response in (saved, listed, one, tested, renamed, failed, audit):
        assert SECRET not in response.text
    payments = next(v for v in listed.json() if v["category"] == "payments")
    assert payments["configured"] is True
    assert payments["is_default"] is False
    # Stored sealed: the owner reading the raw row sees no plaintext; the audit table neither.
    row = await owner.fetchrow("SELECT config_sealed, config_preview::text AS preview FROM tenant_provider "
                               "WHERE tenant_id = $1 AND category = 'payments'", store.tenant_id)
    assert SECRET not in row["config_sealed"]
    assert SECRET not in row["preview"]
    assert "sandbox_bad_credentials" not in row["config_sealed"]  # the whole config is sealed
    audit_rows = await owner.fetchval("SELECT string_agg(coalesce(before::text, '') || coalesce(after::text, ''), ' ') "
                                      "FROM audit_entry WHERE tenant_id = $1", store.tenant_id)
    assert "sandbox_bad_credentials" in audit_rows
    assert SECRET not in audit_rows
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert SECRET not in logged


async def test_only_managers_change_or_test(store: Any, make_staff: Any, signed_in: Any) -> None:
    _, email = await make_staff(store, [FRONT_DESK])
    async with signed_in(email) as client:
        assert (await client.get("/api/v1/store/providers")).status_code == 200
        put = await client.put("/api/v1/store/providers/payments", json={"provider": "sandbox", "config": config()})
        test = await client.post("/api/v1/store/providers/payments/test")
    assert put.status_code == 403
    assert test.status_code == 403


async def test_another_store_never_reads_or_changes_this_one(store: Any, signed_in: Any, owner: Any) -> None:
    other = await create_store()
    async with signed_in(store.manager_email) as client:
        saved = await client.put("/api/v1/store/providers/payments",
                                 json={"provider": "sandbox", "config": config("m_mine")})
        assert saved.status_code == 200
    before = await owner.fetchval("SELECT config_sealed FROM tenant_provider WHERE tenant_id = $1", store.tenant_id)
    async with signed_in(other.manager_email) as client:
        theirs = await client.get("/api/v1/store/providers/payments")
        tested = await client.post("/api/v1/store/providers/payments/test")
        own = await client.put("/api/v1/store/providers/payments",
                               json={"provider": "sandbox", "config": config("m_other", "o" * 20)})
    assert theirs.status_code == 200
    assert theirs.json()["is_default"] is True  # its own (empty) settings, never the other store's
    assert "m_mine" not in theirs.text
    assert tested.status_code == 422  # nothing of its own to test
    assert own.status_code == 200
    after = await owner.fetchval("SELECT config_sealed FROM tenant_provider WHERE tenant_id = $1", store.tenant_id)
    assert before == after
    async with signed_in(store.manager_email) as client:
        mine = await client.get("/api/v1/store/providers/payments")
    assert mine.json()["preview"]["merchant_id"] == "m_mine"


async def test_unknown_category_is_404(store: Any, signed_in: Any) -> None:
    async with signed_in(store.manager_email) as client:
        response = await client.get("/api/v1/store/providers/teleport")
    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"


async def test_operators_see_which_store_uses_what(store: Any, operator: Any, signed_in: Any) -> None:
    async with signed_in(store.manager_email) as client:
        await client.put("/api/v1/store/providers/payments", json={"provider": "sandbox", "config": config()})
        refused = await client.get("/api/v1/ops/providers")
    assert refused.status_code == 403
    found: list[dict[str, Any]] = []
    async with signed_in(operator["email"]) as client:
        offset = 0
        while not found:  # the suite's other modules create stores too: page until this one shows
            response = await client.get("/api/v1/ops/providers", params={"limit": 200, "offset": offset})
            assert response.status_code == 200
            assert SECRET not in response.text
            page = response.json()
            found = [s for s in page["stores"] if s["tenant_id"] == str(store.tenant_id)]
            offset += 200
            assert found or offset < page["total"], "the store is missing from the overview"
    [mine] = found
    assert mine["providers"]["payments"]["provider_name"] == "sandbox"
    assert mine["providers"]["payments"]["is_default"] is False


async def test_two_managers_saving_at_once_both_succeed(signed_in: Any, owner: Any) -> None:
    import asyncio

    fresh = await create_store()
    async with signed_in(fresh.manager_email) as one, signed_in(fresh.manager_email) as two:
        first, second = await asyncio.gather(
            one.put("/api/v1/store/providers/payments", json={"provider": "sandbox", "config": config("m_one")}),
            two.put("/api/v1/store/providers/payments", json={"provider": "sandbox", "config": config("m_two")}),
        )
    assert (first.status_code, second.status_code) == (200, 200), (first.text, second.text)
    rows = await owner.fetch("SELECT config_preview->>'merchant_id' AS m FROM tenant_provider WHERE tenant_id = $1",
                             fresh.tenant_id)
    assert len(rows) == 1
    assert rows[0]["m"] in {"m_one", "m_two"}
