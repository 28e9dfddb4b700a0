"""The signing component's actors. Imported by ``configure_broker`` after the broker is set."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import dramatiq

from pawpay.platform.jobs.due import run_periodic_job
from pawpay.tenants.signing.periodic import SIGNING_EXPIRE_STALE

if TYPE_CHECKING:
    from datetime import datetime

log = logging.getLogger(__name__)

PLATFORM_QUEUE = "platform"


async def _expire(now: datetime) -> None:
    from pawpay.tenants.signing.services import expire_stale

    expired = await expire_stale(now)
    if expired:
        log.info("expired %d abandoned signings", expired)


# No dramatiq retries: the scheduled_job row is the retry (see pawpay.platform.jobs.actors).
@dramatiq.actor(actor_name=SIGNING_EXPIRE_STALE, queue_name=PLATFORM_QUEUE, max_retries=0, time_limit=600_000)
async def signing_expire_stale(job_name: str) -> None:
    """Expire signings abandoned half-way (their pending contract is abandoned, freeing the pet) and
    purge used or expired one-time codes and sessions; then schedule the next run."""
    await run_periodic_job(job_name, _expire)
