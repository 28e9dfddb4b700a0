"""Billing's due work: debit attempts and pre-debit reminders (rows due on the store's clock), and
the periodic catch-up planner. No actors here (listing due work must not declare actors)."""

from __future__ import annotations

from datetime import timedelta

from pawpay.platform.jobs.due import LeasedBatchWork, LeasedRowWork, PeriodicJob

BILLING_QUEUE = "billing"
RUN_DEBIT_ATTEMPT = "run_debit_attempt"
RUN_DEBIT_BATCH = "run_debit_batch"
SEND_DEBIT_RECEIPTS = "send_debit_receipts"
SEND_DEBIT_REMINDER = "send_debit_reminder"
PLAN_DEBITS = "plan_debits"

# A tick's due attempts of one store go out as ONE message (``run_debit_batch``, billing.batch);
# what a tick leaves over once no debit is in flight is filled with due receipts (the outbox),
# which travel in the same message. DEBIT_RECEIPTS alone (``send_debit_receipts``) is for a tick
# of receipts only (tests); it is not registered: DEBIT_ATTEMPTS claims the receipts.
DEBIT_RECEIPTS = LeasedBatchWork(
    name="billing.receipt",
    actor_name=SEND_DEBIT_RECEIPTS,
    table="debit_attempt",
    due_column="receipt_due_at",
    lease_column="receipt_lease_until",
    lease=timedelta(minutes=2),
    max_batch=100,
)

DEBIT_ATTEMPTS = LeasedBatchWork(
    name="billing.debit",
    actor_name=RUN_DEBIT_BATCH,
    table="debit_attempt",
    due_column="next_attempt_at",
    # Longer than the provider's money timeout (15 s) plus the two transactions around it, and than
    # the backlog the backpressure allows for ONE store: 20,000 attempts of a single large store at
    # its rail's 150 requests/s take ~133 s (a lease running out in the queue means its rows are
    # claimed again: safe, the id is the idempotency key, but wasted provider queries).
    lease=timedelta(minutes=5),
    # At most one rate-limit second of the sandbox's and most rails' 150 requests/s per store.
    max_batch=100,
    # A debit day: many stores due at the same moment, in no order between stores. A large claim
    # gives every store a full batch of its own (10,000 rows over 100 stores: ~100 each) and keeps
    # the stores' batches running side by side (each store has its rate limit); the backpressure
    # leases the day two claims at a time (debit_attempt_ix_lease counts them).
    claim_limit=10_000,
    max_in_flight=20_000,
    then=DEBIT_RECEIPTS,
)

DEBIT_REMINDERS = LeasedRowWork(
    name="billing.reminder",
    actor_name=SEND_DEBIT_REMINDER,
    table="debit_reminder",
    due_column="send_at",
    lease=timedelta(minutes=2),
)

PLAN_DEBITS_JOB = PeriodicJob.every(timedelta(minutes=15), job_name="billing.plan_debits", actor_name=PLAN_DEBITS)
