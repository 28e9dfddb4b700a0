"""The daily settlement batch as due work: one ``settlement_schedule`` row per store, due at the
store-local morning on the store's own clock (a test-mode store's test clock moves it)."""

from __future__ import annotations

from datetime import timedelta

from pawpay.platform.jobs.due import LeasedRowWork

RUN_DAILY_SETTLEMENT = "run_daily_settlement"
SETTLEMENT_QUEUE = "settlement"

DAILY_SETTLEMENT = LeasedRowWork(
    name="settlement.daily",
    actor_name=RUN_DAILY_SETTLEMENT,
    table="settlement_schedule",
    due_column="next_run_at",
    lease_column="lease_until",
    # A store's batch calls its provider once per debit: allow it time before reclaiming.
    lease=timedelta(minutes=30),
)
