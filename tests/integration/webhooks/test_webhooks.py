"""Provider webhooks end to end: stored raw first, verified by the store's provider, de-duplicated
by event id, processed once, answered as the vendor expects; bad ones change nothing but the log."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from pawpay.platform.clock import utcnow
from pawpay.platform.hooks import hookimpl
from pawpay.platform.hooks._manager import get_plugin_manager
from pawpay.platform.providers import services as providers
from pawpay.platform.tenancy.context import TenantContext
from pawpay.platform.testing.plugin import create_store
from pawpay.platform.webhooks.services import process_event
from pawpay.plugins.payments.sandbox.provider import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    SandboxPaymentsConfig,
    sign_webhook,
)

pytestmark = pytest.mark.integration

SECRET = "sandbox-webhook-secret-0001"


@pytest.fixture
async def store() -> Any:
    """A store of its own, with the sandbox payments provider configured."""
    created = await create_store()
    ctx = TenantContext(tenant_id=created.tenant_id, actor_id=created.manager_id, actor_label="test")
    await providers.set_store_provider(ctx, "payments", "sandbox",
                                       {"merchant_id": "m_test", "webhook_secret": SECRET})
    return created


def _signed(
    event_id: str, *, secret: str = SECRET, status: str = "succeeded", at: Any = None
) -> tuple[bytes, dict[str, str]]:
    at = at or utcnow()
    body = json.dumps({"id": event_id, "type": f"charge.{status}", "created": int(at.timestamp()),
                       "attempt_id": "att-1", "transaction_id": "tx-1", "status": status, "error_code": None,
                       "amount_fen": 29800}, separators=(",", ":")).encode()
    timestamp = str(int(at.timestamp()))
    config = SandboxPaymentsConfig(merchant_id="m_test", webhook_secret=secret)
    return body, {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: sign_webhook(config, timestamp, body),
                  "content-type": "application/json"}


async def _rows(owner: Any, tenant_id: uuid.UUID) -> tuple[list[Any], list[Any]]:
    deliveries = await owner.fetch("SELECT * FROM webhook_delivery WHERE tenant_id = $1 ORDER BY received_at",
                                   tenant_id)
    events = await owner.fetch("SELECT * FROM webhook_event WHERE tenant_id = $1", tenant_id)
    return deliveries, events


async def test_accepted_once_and_replay_is_a_duplicate(http, owner, store) -> None:
    body, headers = _signed("evt_1")
    url = f"/webhooks/payments/sandbox/{store.tenant_id}"
    first = await http.post(url, content=body, headers=headers)
    assert first.status_code == 200, first.text
    assert first.json() == {"received": True}
    replay = await http.post(url, content=body, headers=headers)
    assert replay.status_code == 200
    deliveries, events = await _rows(owner, store.tenant_id)
    assert [d["status"] for d in deliveries] == ["accepted", "accepted"]
    assert bytes(deliveries[0]["body"]) == body, "the raw body is stored exactly as received"
    assert (deliveries[0]["new_events"], deliveries[1]["duplicate_events"]) == (1, 1)
    assert len(events) == 1
    assert events[0]["event_id"] == "evt_1"
    assert events[0]["process_after"] is not None


@pytest.mark.parametrize("tamper", ["signature", "body", "stale", "missing"])
async def test_bad_webhooks_are_rejected_and_change_nothing(http, owner, store, tamper) -> None:
    from datetime import timedelta

    body, headers = _signed("evt_bad", at=utcnow() - timedelta(minutes=30) if tamper == "stale" else None)
    if tamper == "signature":
        headers[SIGNATURE_HEADER] = "0" * 64
    elif tamper == "body":
        body = body.replace(b"29800", b"99800")
    elif tamper == "missing":
        headers.pop(SIGNATURE_HEADER)
    response = await http.post(f"/webhooks/payments/sandbox/{store.tenant_id}", content=body, headers=headers)
    assert response.status_code == 400
    deliveries, events = await _rows(owner, store.tenant_id)
    assert [d["status"] for d in deliveries] == ["rejected"], "the raw request is on record"
    assert deliveries[0]["error_code"] in {"SIGNATURE_INVALID", "SIGNATURE_MISSING", "STALE"}
    assert events == []


async def test_unknown_store_and_foreign_provider_are_refused(http, owner, store) -> None:
    body, headers = _signed("evt_2")
    unknown = await http.post(f"/webhooks/payments/sandbox/{uuid.uuid4()}", content=body, headers=headers)
    assert unknown.status_code == 404
    wrong = await http.post(f"/webhooks/payments/stripe/{store.tenant_id}", content=body, headers=headers)
    assert wrong.status_code == 404
    deliveries, events = await _rows(owner, store.tenant_id)
    assert [d["error_code"] for d in deliveries] == ["NOT_THE_STORES_PROVIDER"]
    assert events == []


async def test_another_stores_secret_does_not_verify(http, owner, store) -> None:
    other = await create_store()
    ctx = TenantContext(tenant_id=other.tenant_id, actor_label="test")
    await providers.set_store_provider(ctx, "payments", "sandbox",
                                       {"merchant_id": "m_other", "webhook_secret": "another-secret-00000"})
    body, headers = _signed("evt_3", secret="another-secret-00000")
    response = await http.post(f"/webhooks/payments/sandbox/{store.tenant_id}", content=body, headers=headers)
    assert response.status_code == 400
    _, events = await _rows(owner, store.tenant_id)
    assert events == []


class _Listener:
    def __init__(self) -> None:
        self.seen: list[tuple[str, str, str, str]] = []
        self.fail = False

    @hookimpl
    def pawpay_provider_event(self, tenant_id: str, category: str, provider: str, event: Any) -> None:
        if self.fail:
            raise RuntimeError("listener down")
        self.seen.append((tenant_id, category, provider, event.event_id))


async def test_each_event_is_processed_exactly_once(http, owner, store) -> None:
    body, headers = _signed("evt_4")
    assert (await http.post(f"/webhooks/payments/sandbox/{store.tenant_id}", content=body,
                            headers=headers)).status_code == 200
    _, events = await _rows(owner, store.tenant_id)
    listener = _Listener()
    pm = get_plugin_manager()
    pm.register(listener)
    try:
        listener.fail = True
        assert await process_event(store.tenant_id, events[0]["id"]) is False
        failed = await owner.fetchrow("SELECT * FROM webhook_event WHERE id = $1", events[0]["id"])
        assert failed["processed_at"] is None
        assert failed["attempts"] == 1
        assert "listener down" in failed["last_error"]
        assert failed["process_after"] > utcnow(), "offered again later, with backoff"
        listener.fail = False
        assert await process_event(store.tenant_id, events[0]["id"]) is True
        assert await process_event(store.tenant_id, events[0]["id"]) is False, "a duplicate message is a no-op"
    finally:
        pm.unregister(listener)
    assert listener.seen == [(str(store.tenant_id), "payments", "sandbox", "evt_4")]
    done = await owner.fetchrow("SELECT * FROM webhook_event WHERE id = $1", events[0]["id"])
    assert done["processed_at"] is not None
    assert done["process_after"] is None
