"""Billing's due work: debit attempts and pre-debit reminders (rows due on the store's clock), and
the periodic catch-up planner. No actors here (listing due work must not declare actors)."""

from __future__ import annotations

from datetime import timedelta

from pawpay.platform.jobs.due import LeasedRowWork, PeriodicJob

BILLING_QUEUE = "billing"
RUN_DEBIT_ATTEMPT = "run_debit_attempt"
SEND_DEBIT_REMINDER = "send_debit_reminder"
PLAN_DEBITS = "plan_debits"

DEBIT_ATTEMPTS = LeasedRowWork(
    name="billing.debit",
    actor_name=RUN_DEBIT_ATTEMPT,
    table="debit_attempt",
    due_column="next_attempt_at",
    # Longer than the provider's money timeout (15 s) plus the two transactions around it.
    lease=timedelta(minutes=2),
)

DEBIT_REMINDERS = LeasedRowWork(
    name="billing.reminder",
    actor_name=SEND_DEBIT_REMINDER,
    table="debit_reminder",
    due_column="send_at",
    lease=timedelta(minutes=2),
)

PLAN_DEBITS_JOB = PeriodicJob.every(timedelta(minutes=15), job_name="billing.plan_debits", actor_name=PLAN_DEBITS)
