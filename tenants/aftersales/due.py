"""The after-sales due work (no actors here: listing due work must not declare actors)."""

from __future__ import annotations

from datetime import timedelta

from pawpay.platform.jobs.due import LeasedRowWork

ESCALATE_TICKET = "escalate_aftersales_ticket"
AFTERSALES_QUEUE = "aftersales"

SLA_WORK = LeasedRowWork(name="aftersales.sla", actor_name=ESCALATE_TICKET, table="aftersales_ticket",
                         due_column="escalate_at", lease=timedelta(minutes=10))
DUE_WORK = (SLA_WORK,)
