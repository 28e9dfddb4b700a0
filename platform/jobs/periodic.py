"""The platform's periodic jobs (rows of ``scheduled_job``), contributed through ``pawpay_due_work``.

Kept apart from :mod:`pawpay.platform.jobs.actors` so that listing them never imports (and so
declares) the actors before the broker is configured.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from pawpay.platform.jobs.due import PeriodicJob

# Actor and job names are part of the message contract: never rename them.
PURGE_EXPIRED_SESSIONS: Final = "purge_expired_sessions"

PURGE_EXPIRED_SESSIONS_JOB: Final = PeriodicJob.every(
    timedelta(hours=1), job_name=PURGE_EXPIRED_SESSIONS, actor_name=PURGE_EXPIRED_SESSIONS
)

PERIODIC_JOBS: Final[tuple[PeriodicJob, ...]] = (PURGE_EXPIRED_SESSIONS_JOB,)
