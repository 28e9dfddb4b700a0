"""The jobs component's own actors. Imported by ``configure_broker`` after the broker is set."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import dramatiq

from pawpay.platform.jobs.due import run_periodic_job
from pawpay.platform.jobs.periodic import PURGE_EXPIRED_SESSIONS

if TYPE_CHECKING:
    from datetime import datetime

log = logging.getLogger(__name__)

# Platform housekeeping shares one queue; domains with heavy traffic get their own.
PLATFORM_QUEUE = "platform"


async def _purge(now: datetime) -> None:
    from pawpay.platform.identity.services import purge_expired_sessions as purge

    deleted = await purge(now)
    log.info("purged %d expired web sessions", deleted)


# No dramatiq retries: the scheduled_job row is the retry (run_periodic_job books a retry time
# on failure, and a run lost with its worker is reclaimed when its lease expires).
@dramatiq.actor(actor_name=PURGE_EXPIRED_SESSIONS, queue_name=PLATFORM_QUEUE, max_retries=0, time_limit=120_000)
async def purge_expired_sessions(job_name: str) -> None:
    """Delete web sessions past their expiry, then schedule the next run."""
    await run_periodic_job(job_name, _purge)
