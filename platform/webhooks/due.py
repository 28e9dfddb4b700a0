"""Webhook events due for processing, claimed by the scheduler."""

from __future__ import annotations

from pawpay.platform.jobs.due import LeasedRowWork

# Here, not in actors.py: listing due work must not declare actors before the broker is set.
PROCESS_WEBHOOK_EVENT = "process_webhook_event"
WEBHOOKS_QUEUE = "webhooks"

PROCESS_EVENTS = LeasedRowWork(
    name="webhooks.process",
    actor_name=PROCESS_WEBHOOK_EVENT,
    table="webhook_event",
    due_column="process_after",
)
