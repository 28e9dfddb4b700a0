"""Webhook deliveries (the raw HTTP requests) and the events parsed from them. Tenant tables."""

from __future__ import annotations

from piccolo.columns import JSONB, BigInt, Bytea, Integer, Text, Timestamptz, Varchar
from piccolo.columns.column_types import UUID
from piccolo.columns.defaults.uuid import UUID4
from piccolo.constraints import Unique
from piccolo.table import Table


class WebhookDelivery(Table):
    """One request to ``/webhooks/{category}/{provider}/{store}``, stored before anything else."""

    id = UUID(primary_key=True, default=UUID4())
    tenant_id = UUID(default=None, null=False, index=True)
    category = Varchar(length=32)
    provider_name = Varchar(length=64)
    method = Varchar(length=8)
    path = Varchar(length=512)
    query = Text(default="")
    headers = JSONB(default={})
    body = Bytea()
    remote_ip = Varchar(length=64, default="")
    received_at = Timestamptz()
    status = Varchar(length=16, default="received")  # received | accepted | rejected
    error_code = Varchar(length=64, default="")
    error_message = Text(default="")
    new_events = Integer(default=0)
    duplicate_events = Integer(default=0)


class WebhookEvent(Table):
    """A verified event; (store, category, provider, event id) is unique, so a replay is a no-op."""

    id = UUID(primary_key=True, default=UUID4())
    tenant_id = UUID(default=None, null=False, index=True)
    delivery_id = UUID(default=None, null=False)
    category = Varchar(length=32)
    provider_name = Varchar(length=64)
    event_id = Varchar(length=255)
    kind = Varchar(length=64)
    reference = Varchar(length=255, default="")
    provider_reference = Varchar(length=255, default="")
    status = Varchar(length=32, default="")
    amount_fen = BigInt(null=True, default=None)
    occurred_at = Timestamptz(null=True, default=None)
    payload = JSONB(default={})  # the event's JSON-able vendor data (not "raw": that is Table.raw)
    received_at = Timestamptz()
    # Due for processing while processed_at is NULL; the scheduler re-sends a lost message.
    process_after = Timestamptz(null=True, default=None)
    lease_until = Timestamptz(null=True, default=None)
    processed_at = Timestamptz(null=True, default=None)
    attempts = Integer(default=0)
    last_error = Text(default="")

    webhook_event_uq_store_event = Unique([tenant_id, category, provider_name, event_id])
