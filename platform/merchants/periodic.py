"""The merchants component's periodic jobs (rows of ``scheduled_job``), contributed through ``pawpay_due_work``.

Kept apart from :mod:`pawpay.platform.merchants.actors` so that listing them never declares the actors
before the broker is configured.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from pawpay.platform.jobs.due import PeriodicJob

# Actor and job names are part of the message contract: never rename them.
MERCHANT_EXPIRY_REMINDERS: Final = "merchant_expiry_reminders"

MERCHANT_EXPIRY_REMINDERS_JOB: Final = PeriodicJob.every(
    timedelta(days=1), job_name=MERCHANT_EXPIRY_REMINDERS, actor_name=MERCHANT_EXPIRY_REMINDERS
)

PERIODIC_JOBS: Final[tuple[PeriodicJob, ...]] = (MERCHANT_EXPIRY_REMINDERS_JOB,)
