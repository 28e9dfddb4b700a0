"""Payments-sandbox charge webhooks for the fault tests: build a signed ``charge.<status>`` webhook as
the sandbox vendor would send it, and process a store's received-but-unprocessed webhook events."""

from __future__ import annotations

import itertools
import json
from typing import Any

from piccolo.querystring import QueryString

from pawpay.platform.db.engine import get_engine
from pawpay.platform.hooks import RawWebhook
from pawpay.platform.tenancy.scope import platform_scope
from pawpay.platform.webhooks.services import process_event
from pawpay.plugins.payments.sandbox.provider import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign_webhook

_serial = itertools.count(1)


async def process_pending_webhooks(tenant_id: Any) -> int:
    """Process the store's webhook events not processed yet, oldest first; returns how many did work."""
    async with platform_scope("test: pending webhook events"):
        rows = await get_engine().run_querystring(QueryString(
            "SELECT id FROM webhook_event WHERE tenant_id = {} AND processed_at IS NULL ORDER BY received_at",
            tenant_id))
    done = 0
    for row in rows:
        done += await process_event(tenant_id, row["id"])
    return done


def charge_webhook(store: Any, pctx: Any, attempt_id: str, status: str, amount: int) -> RawWebhook:
    """A signed sandbox ``charge.<status>`` webhook for ``attempt_id`` (a new event id each call)."""
    now = pctx.now()
    body = json.dumps({"id": f"evt_{attempt_id}_{status}_{next(_serial)}", "type": f"charge.{status}",
                       "created": int(now.timestamp()), "attempt_id": attempt_id,
                       "transaction_id": f"sbx_txn_{attempt_id}", "status": status,
                       "error_code": "INSUFFICIENT_FUNDS" if status == "failed" else None,
                       "amount_fen": amount}, separators=(",", ":")).encode()
    ts = str(int(now.timestamp()))
    headers = {TIMESTAMP_HEADER: ts, SIGNATURE_HEADER: sign_webhook(pctx.config, ts, body),
               "content-type": "application/json"}
    return RawWebhook("POST", f"/webhooks/payments/sandbox/{store.ctx.tenant_id}", "", headers, body, "127.0.0.1",
                      now)
