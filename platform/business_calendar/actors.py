"""The business calendar's actors. Imported by ``configure_broker`` after the broker is set."""

from __future__ import annotations

import dramatiq

from pawpay.platform.business_calendar.periodic import CHECK_CALENDAR_COVERAGE
from pawpay.platform.business_calendar.services import check_coverage
from pawpay.platform.jobs.due import run_periodic_job

PLATFORM_QUEUE = "platform"


# No dramatiq retries: the scheduled_job row is the retry (see pawpay.platform.jobs.actors).
@dramatiq.actor(actor_name=CHECK_CALENDAR_COVERAGE, queue_name=PLATFORM_QUEUE, max_retries=0, time_limit=120_000)
async def check_calendar_coverage(job_name: str) -> None:
    """Alert the operator when a day in the next 60 days cannot be classified; schedule the next run."""
    await run_periodic_job(job_name, check_coverage)
