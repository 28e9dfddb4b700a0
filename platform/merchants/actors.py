"""The merchants component's actors. Imported by ``configure_broker`` after the broker is set."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import dramatiq

from pawpay.platform.jobs.due import run_periodic_job
from pawpay.platform.merchants.periodic import MERCHANT_EXPIRY_REMINDERS

if TYPE_CHECKING:
    from datetime import datetime

log = logging.getLogger(__name__)

PLATFORM_QUEUE = "platform"


async def _remind(now: datetime) -> None:
    from pawpay.platform.merchants.services import send_expiry_reminders

    sent = await send_expiry_reminders(now)
    log.info("sent %d merchant document expiry reminders", sent)


# No dramatiq retries: the scheduled_job row is the retry (see pawpay.platform.jobs.actors).
@dramatiq.actor(actor_name=MERCHANT_EXPIRY_REMINDERS, queue_name=PLATFORM_QUEUE, max_retries=0, time_limit=600_000)
async def merchant_expiry_reminders(job_name: str) -> None:
    """Send the due licence/certificate expiry reminders (30/7/1 days before), then schedule the next run."""
    await run_periodic_job(job_name, _remind)
