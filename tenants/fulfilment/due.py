"""The fulfilment due work (no actors here: listing due work must not declare actors)."""

from __future__ import annotations

from datetime import timedelta

from pawpay.platform.jobs.due import LeasedRowWork

SUBMIT_SHIPMENT = "submit_shipment"
POLL_SHIPMENT = "poll_shipment"
FULFILMENT_QUEUE = "fulfilment"

# Lease longer than the actors' time limit (2 min): a slow but alive submission never runs twice.
SUBMIT_WORK = LeasedRowWork(name="fulfilment.submit", actor_name=SUBMIT_SHIPMENT, table="fulfilment_shipment",
                            due_column="submit_at", lease_column="submit_lease_until", match={"status": "pending"},
                            lease=timedelta(minutes=5))
POLL_WORK = LeasedRowWork(name="fulfilment.poll", actor_name=POLL_SHIPMENT, table="fulfilment_shipment",
                          due_column="poll_at", lease_column="poll_lease_until", lease=timedelta(minutes=5))
DUE_WORK = (SUBMIT_WORK, POLL_WORK)
