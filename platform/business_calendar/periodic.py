"""The calendar's daily coverage check (a row of ``scheduled_job``), contributed through
``pawpay_due_work``. Kept apart from :mod:`.actors` so that listing it never declares the actor
before the broker is configured."""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from pawpay.platform.jobs.due import PeriodicJob

# Actor and job names are part of the message contract: never rename them.
CHECK_CALENDAR_COVERAGE: Final = "check_calendar_coverage"

CHECK_CALENDAR_COVERAGE_JOB: Final = PeriodicJob.every(
    timedelta(days=1), job_name=CHECK_CALENDAR_COVERAGE, actor_name=CHECK_CALENDAR_COVERAGE
)
