"""After-sales tables (tenant tables, RLS in the raw migration).

- ``aftersales_ticket``: one per problem; ``escalate_at`` is the due column of the SLA escalation work
  (set while the SLA clock runs, cleared once its goal is met or the ticket escalated).
- ``aftersales_ticket_event``: every action on a ticket (who, when, what; staff, customer or system).
- ``aftersales_ticket_photo``: photos stored through ``pawpay.platform.storage`` (the key, never the bytes).
- ``aftersales_clinic_coupon``: partner-clinic discount coupons attached to pet-health tickets.
"""

from __future__ import annotations

from piccolo.columns import JSONB, Date, Integer, Text, Timestamptz, Varchar
from piccolo.columns.column_types import UUID
from piccolo.columns.defaults.uuid import UUID4
from piccolo.constraints import Unique
from piccolo.table import Table


class AftersalesTicket(Table):
    id = UUID(primary_key=True, default=UUID4())
    tenant_id = UUID(default=None, null=False, index=True)
    ticket_no = Varchar(length=32)
    kind = Varchar(length=24)
    state = Varchar(length=24)
    contract_id = UUID(default=None, null=False)
    customer_id = UUID(default=None, null=False)
    shipment_id = UUID(null=True, default=None)
    title = Varchar(length=200, default="")
    description = Text(default="")
    opened_by_kind = Varchar(length=16)  # customer | staff
    opened_by = Varchar(length=255, default="")
    assignee_id = UUID(null=True, default=None)
    sla_goal = Varchar(length=16)  # resolve | solution
    sla_started_at = Timestamptz()
    sla_deadline = Timestamptz()
    sla_met_at = Timestamptz(null=True, default=None)
    sla_outcome = Varchar(length=16, default="")  # "" | met | breached
    escalate_at = Timestamptz(null=True, default=None)
    lease_until = Timestamptz(null=True, default=None)
    escalated_at = Timestamptz(null=True, default=None)
    resolution = Text(default="")
    resolved_at = Timestamptz(null=True, default=None)
    closed_at = Timestamptz(null=True, default=None)
    reship_shipment_id = UUID(null=True, default=None)
    reship_postage_fen = Integer(default=0)
    pause_proposal = JSONB(default={})
    created_at = Timestamptz()
    updated_at = Timestamptz()

    aftersales_ticket_uq_tenant_no = Unique([tenant_id, ticket_no])
    aftersales_ticket_uq_tenant_id = Unique([tenant_id, id])


class AftersalesTicketEvent(Table):
    id = UUID(primary_key=True, default=UUID4())
    tenant_id = UUID(default=None, null=False, index=True)
    ticket_id = UUID(default=None, null=False)
    kind = Varchar(length=32)
    from_state = Varchar(length=24, default="")
    to_state = Varchar(length=24, default="")
    actor_kind = Varchar(length=16)  # staff | customer | system
    actor = Varchar(length=255, default="")
    actor_id = UUID(null=True, default=None)
    note = Text(default="")
    detail = JSONB(default={})
    created_at = Timestamptz()


class AftersalesTicketPhoto(Table):
    id = UUID(primary_key=True, default=UUID4())
    tenant_id = UUID(default=None, null=False, index=True)
    ticket_id = UUID(default=None, null=False)
    file_key = Varchar(length=200)
    content_type = Varchar(length=64)
    size = Integer(default=0)
    sha256 = Varchar(length=64, default="")
    original_name = Varchar(length=255, default="")
    uploaded_by_kind = Varchar(length=16)  # customer | staff
    created_at = Timestamptz()


class AftersalesClinicCoupon(Table):
    id = UUID(primary_key=True, default=UUID4())
    tenant_id = UUID(default=None, null=False, index=True)
    ticket_id = UUID(default=None, null=False)
    customer_id = UUID(default=None, null=False)
    clinic = Varchar(length=120)
    discount_kind = Varchar(length=16)  # percent | amount
    discount_value = Integer()
    code = Varchar(length=64)
    expires_on = Date()
    send_status = Varchar(length=32, default="")
    created_by = Varchar(length=255, default="")
    created_at = Timestamptz()

    aftersales_clinic_coupon_uq_tenant_code = Unique([tenant_id, clinic, code])
