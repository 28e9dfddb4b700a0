"""Receive, verify, de-duplicate and process provider webhooks. The only entry point others call.

The life of a webhook:

1. :func:`receive` stores the raw request (method, path, headers, body bytes) in its own committed
   transaction *before* anything else, so even a request we then refuse is on record.
2. The store's configured provider for the category verifies it (signature over the raw body,
   freshness) and parses its events; a provider that raises, hangs or is not the store's chosen
   one gets the delivery marked ``rejected`` — nothing else changes.
3. Each event is inserted once: ``(store, category, provider, event_id)`` is unique, so a replay
   is recorded as a duplicate and ignored.
4. New events are due for processing at once (``process_after``); the scheduler claims them and
   the ``process_webhook_event`` actor broadcasts ``pawpay_provider_event`` to the domains, once.
5. The vendor gets the reply it expects (``provider.webhook_ack``).
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pawpay.platform.clock import utcnow
from pawpay.platform.errors import NotFound
from pawpay.platform.hooks import ProviderError, ProviderStatus, RawWebhook, WebhookAck
from pawpay.platform.hooks import WebhookEvent as ProviderWebhookEvent
from pawpay.platform.tenancy.context import TenantContext
from pawpay.platform.tenancy.scope import platform_scope, tenant_scope
from pawpay.platform.webhooks.tables import WebhookDelivery, WebhookEvent

log = logging.getLogger(__name__)

VERIFY_TIMEOUT_SECONDS = 10.0
# Headers never stored: they carry credentials of ours, not the vendor's signature.
_DROPPED_HEADERS = frozenset({"authorization", "cookie"})
# The reply when there is no provider to ask (unknown store or provider): plain and uninformative.
UNKNOWN_TARGET = WebhookAck(status_code=404, body=b"unknown webhook target")


@dataclass(frozen=True, slots=True)
class ReceiveResult:
    ack: WebhookAck
    delivery_id: uuid.UUID | None
    status: str  # accepted | rejected | unknown_target
    new_events: int = 0
    duplicate_events: int = 0


async def _store_exists(tenant_id: uuid.UUID) -> bool:
    from pawpay.platform.tenancy.tables import Tenant

    async with platform_scope("webhook: resolve store"):
        return await Tenant.exists().where(Tenant.id == tenant_id)


async def _mark(ctx: TenantContext, delivery_id: uuid.UUID, **changes: Any) -> None:
    async with tenant_scope(ctx):
        await WebhookDelivery.update({getattr(WebhookDelivery, k): v for k, v in changes.items()}).where(
            (WebhookDelivery.id == delivery_id) & (WebhookDelivery.tenant_id == ctx.tenant_id)
        )


async def receive(category: str, provider_name: str, store_id: uuid.UUID, raw: RawWebhook) -> ReceiveResult:
    """Handle one webhook request end to end (steps 1-3 and 5 above). Never raises for what the
    request or the provider does; the result says what to answer."""
    from pawpay.platform.providers import services as providers

    if not await _store_exists(store_id):
        log.warning("webhook for an unknown store", extra={"category": category, "provider": provider_name,
                                                           "store": str(store_id), "remote_ip": raw.remote_ip})
        return ReceiveResult(UNKNOWN_TARGET, None, "unknown_target")
    ctx = TenantContext(tenant_id=store_id, actor_label=f"webhook:{category}/{provider_name}")
    delivery = WebhookDelivery(
        tenant_id=store_id, category=category[:32], provider_name=provider_name[:64], method=raw.method,
        path=raw.path[:512], query=raw.query,
        headers=json.dumps({k: v for k, v in raw.headers.items() if k.lower() not in _DROPPED_HEADERS}),
        body=raw.body, remote_ip=raw.remote_ip, received_at=raw.received_at,
    )
    async with tenant_scope(ctx):
        await delivery.save()
    delivery_id = uuid.UUID(str(delivery.id))

    try:
        chosen = await providers.get_store_provider(ctx, category)
        provider, pctx = await providers.provider_for(ctx, category)
    except NotFound:
        await _mark(ctx, delivery_id, status="rejected", error_code="UNKNOWN_CATEGORY")
        return ReceiveResult(UNKNOWN_TARGET, delivery_id, "rejected")
    except Exception as exc:  # no usable provider: configured provider missing, bad stored config
        await _mark(ctx, delivery_id, status="rejected", error_code="NO_PROVIDER", error_message=str(exc)[:500])
        return ReceiveResult(UNKNOWN_TARGET, delivery_id, "rejected")
    if chosen.provider_name != provider_name:
        await _mark(ctx, delivery_id, status="rejected", error_code="NOT_THE_STORES_PROVIDER")
        log.warning("webhook names a provider the store does not use",
                    extra={"category": category, "provider": provider_name, "store": str(store_id)})
        return ReceiveResult(UNKNOWN_TARGET, delivery_id, "rejected")

    try:
        events = await asyncio.wait_for(provider.verify_webhook(pctx, raw), timeout=VERIFY_TIMEOUT_SECONDS)
    except Exception as exc:  # WebhookRejected, any other provider fault, a timeout: all refused alike
        code = exc.code if isinstance(exc, ProviderError) else type(exc).__name__
        await _mark(ctx, delivery_id, status="rejected", error_code=str(code)[:64], error_message=str(exc)[:500])
        log.warning("webhook rejected", extra={"category": category, "provider": provider_name,
                                                "store": str(store_id), "code": code})
        return ReceiveResult(_ack(provider, ok=False), delivery_id, "rejected")

    new, duplicates = await _record_events(ctx, delivery_id, category, provider_name, events)
    await _mark(ctx, delivery_id, status="accepted", new_events=new, duplicate_events=duplicates)
    return ReceiveResult(_ack(provider, ok=True), delivery_id, "accepted", new, duplicates)


def _ack(provider: Any, *, ok: bool) -> WebhookAck:
    try:
        ack = provider.webhook_ack(ok)
    except Exception:
        log.exception("provider webhook_ack failed")
        return WebhookAck(status_code=200 if ok else 400)
    return ack if isinstance(ack, WebhookAck) else WebhookAck(status_code=200 if ok else 400)


async def _record_events(
    ctx: TenantContext, delivery_id: uuid.UUID, category: str, provider_name: str,
    events: Any,
) -> tuple[int, int]:
    new = duplicates = 0
    now = utcnow()
    async with tenant_scope(ctx):
        for event in events:
            rows = await WebhookEvent.raw(
                "INSERT INTO webhook_event (id, tenant_id, delivery_id, category, provider_name, event_id, kind, "
                "reference, provider_reference, status, amount_fen, occurred_at, payload, received_at, "
                "process_after, attempts, last_error) VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, "
                "{}::jsonb, {}, {}, 0, '') "
                "ON CONFLICT ON CONSTRAINT webhook_event_uq_store_event DO NOTHING RETURNING id",
                uuid.uuid4(), ctx.tenant_id, delivery_id, category, provider_name, event.event_id[:255],
                event.kind[:64], (event.reference or "")[:255], (event.provider_reference or "")[:255],
                str(event.status or "")[:32], event.amount_fen, event.occurred_at,
                json.dumps(event.raw or {}, default=str), now, now,
            )
            if rows:
                new += 1
            else:
                duplicates += 1
    return new, duplicates


# --- processing (the process_webhook_event actor) --------------------------------------------------

async def process_event(tenant_id: uuid.UUID, event_row_id: uuid.UUID) -> bool:
    """Broadcast one stored event to the domains (``pawpay_provider_event``), exactly once.

    Returns False if it was already processed (a duplicate message). An implementation that
    fails leaves the event unprocessed: its lease runs out and the scheduler sends it again.
    """
    from pawpay.platform.hooks._manager import get_plugin_manager

    ctx = TenantContext(tenant_id=tenant_id, actor_label="webhook processor")
    async with tenant_scope(ctx) as tx:
        row = await WebhookEvent.select().where(
            (WebhookEvent.id == event_row_id) & (WebhookEvent.tenant_id == tenant_id)
        ).lock_rows("UPDATE").first().output(load_json=True)
        if row is None or row["processed_at"] is not None:
            return False
        event = ProviderWebhookEvent(
            event_id=row["event_id"], kind=row["kind"], occurred_at=row["occurred_at"] or row["received_at"],
            reference=row["reference"] or None, provider_reference=row["provider_reference"] or None,
            status=ProviderStatus(row["status"]) if row["status"] else None, amount_fen=row["amount_fen"],
            raw=row["payload"] or {},
        )
        # A listener's failed SQL must not doom the bookkeeping below: it runs behind a savepoint.
        savepoint = await tx.savepoint()
        try:
            results = get_plugin_manager().hook.pawpay_provider_event(
                tenant_id=str(tenant_id), category=row["category"], provider=row["provider_name"], event=event,
            )
            for result in results:
                if inspect.isawaitable(result):
                    await result
        except Exception as exc:
            await savepoint.rollback_to()  # type: ignore[no-untyped-call]
            await WebhookEvent.update({
                WebhookEvent.attempts: WebhookEvent.attempts + 1, WebhookEvent.last_error: str(exc)[:500],
                WebhookEvent.lease_until: None,
                WebhookEvent.process_after: utcnow() + _backoff(row["attempts"] + 1),
            }).where(WebhookEvent.id == event_row_id)
            log.exception("a pawpay_provider_event listener failed", extra={"event_id": row["event_id"]})
            return False
        await WebhookEvent.update({
            WebhookEvent.processed_at: utcnow(), WebhookEvent.process_after: None, WebhookEvent.lease_until: None,
            WebhookEvent.attempts: WebhookEvent.attempts + 1,
        }).where(WebhookEvent.id == event_row_id)
    return True


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, 15 * 2 ** min(attempts, 8)))

