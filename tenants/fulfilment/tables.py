"""Fulfilment tables (tenant tables, RLS in the raw migration).

- ``fulfilment_shipment``: one outbound order at the store's warehouse: a paid period's box (unique
  per installment) or a reship (unique per after-sales ticket). ``order_id`` is the warehouse's
  idempotency key (``erpNo``), derived from the row and never changed, so a retry can never ship
  twice. Due work: ``submit_at`` (send or resolve the order at the warehouse, lease
  ``submit_lease_until``) and ``poll_at`` (ask the warehouse for tracking when webhooks are missed,
  lease ``poll_lease_until``).
- ``fulfilment_tracking_event``: the parcel's tracking events, unique per (shipment, state, time),
  so a duplicate webhook or a poll that sees the same event again adds nothing.
"""

from __future__ import annotations

from piccolo.columns import JSONB, Boolean, Integer, Text, Timestamptz, Varchar
from piccolo.columns.column_types import UUID
from piccolo.columns.defaults.uuid import UUID4
from piccolo.constraints import Unique
from piccolo.table import Table


class FulfilmentShipment(Table):
    id = UUID(primary_key=True, default=UUID4())
    tenant_id = UUID(default=None, null=False, index=True)
    kind = Varchar(length=16)  # period | reship
    contract_id = UUID(default=None, null=False)
    contract_no = Varchar(length=64)
    customer_id = UUID(default=None, null=True)  # filled by the submission job for a period
    pet_id = UUID(default=None, null=True)
    installment_id = UUID(default=None, null=True)
    sequence = Integer(null=True, default=None)
    attempt_id = Varchar(length=128, default="")  # the debit that paid the period ("" for a reship)
    ticket_id = UUID(default=None, null=True)
    reship_of = UUID(default=None, null=True)
    reason = Text(default="")
    stage = Varchar(length=32, default="")
    plan_id = UUID(default=None, null=True)
    plan_version = Integer(null=True, default=None)
    lines = JSONB(default=[])  # [{"sku", "name", "quantity"}]
    contents_resolved = Boolean(default=False)  # a period's contents are chosen by the submission job
    status = Varchar(length=24)
    order_id = Varchar(length=64)
    warehouse_reference = Varchar(length=128, default="")
    carrier_code = Varchar(length=32, null=True, default=None)
    waybill_no = Varchar(length=64, null=True, default=None)
    paid_at = Timestamptz(null=True, default=None)
    ship_by = Timestamptz()
    accepted_at = Timestamptz(null=True, default=None)
    shipped_at = Timestamptz(null=True, default=None)
    delivered_at = Timestamptz(null=True, default=None)
    last_event_at = Timestamptz(null=True, default=None)
    attempts = Integer(default=0)
    needs_query = Boolean(default=False)  # the last submission's outcome is unknown: query first
    auto_attempts = Integer(default=0)  # automatic attempts since the last staff retry
    last_error_code = Varchar(length=64, default="")
    last_error_message = Text(default="")
    postage_fen = Integer(default=0)
    shipping_info_status = Varchar(length=16, default="")  # "" | pending | uploaded | failed | not_needed
    shipping_info_error = Varchar(length=64, default="")
    submit_at = Timestamptz(null=True, default=None)
    submit_lease_until = Timestamptz(null=True, default=None)
    poll_at = Timestamptz(null=True, default=None)
    poll_lease_until = Timestamptz(null=True, default=None)
    created_at = Timestamptz()
    updated_at = Timestamptz()

    fulfilment_shipment_uq_tenant_order = Unique([tenant_id, order_id])
    fulfilment_shipment_uq_tenant_id = Unique([tenant_id, id])


class FulfilmentTrackingEvent(Table):
    id = UUID(primary_key=True, default=UUID4())
    tenant_id = UUID(default=None, null=False, index=True)
    shipment_id = UUID(default=None, null=False)
    at = Timestamptz()
    state = Varchar(length=24)
    description = Text(default="")
    location = Varchar(length=128, default="")
    source = Varchar(length=16, default="")  # webhook | poll | submit
    created_at = Timestamptz()

    fulfilment_tracking_event_uq_tenant_shipment_state_at = Unique([tenant_id, shipment_id, state, at])
