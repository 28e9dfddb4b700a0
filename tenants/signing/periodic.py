"""The signing component's periodic job (a row of ``scheduled_job``), contributed through ``pawpay_due_work``.

Kept apart from :mod:`pawpay.tenants.signing.actors` so that listing it never declares the actor
before the broker is configured.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from pawpay.platform.jobs.due import PeriodicJob

# Actor and job names are part of the message contract: never rename them.
SIGNING_EXPIRE_STALE: Final = "signing_expire_stale"

SIGNING_EXPIRE_STALE_JOB: Final = PeriodicJob.every(
    timedelta(hours=1), job_name=SIGNING_EXPIRE_STALE, actor_name=SIGNING_EXPIRE_STALE
)

PERIODIC_JOBS: Final[tuple[PeriodicJob, ...]] = (SIGNING_EXPIRE_STALE_JOB,)
