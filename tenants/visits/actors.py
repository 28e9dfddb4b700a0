"""The visits' actor: the periodic catch-up planner, store by store."""

from __future__ import annotations

import logging
from datetime import datetime

import dramatiq

from pawpay.platform.jobs.services import run_periodic_job
from pawpay.platform.tenancy.context import TenantContext
from pawpay.tenants.visits import services
from pawpay.tenants.visits.due import PLAN_VISITS

log = logging.getLogger(__name__)


@dramatiq.actor(actor_name=PLAN_VISITS, queue_name="platform", max_retries=0, time_limit=600_000)
async def plan_visits(job_name: str) -> None:
    await run_periodic_job(job_name, _plan_every_store)


async def _plan_every_store(now: datetime) -> None:
    # Runs inside the periodic job's platform scope: collect the stores, plan each after the scope.
    from pawpay.platform.tenancy.context import PlatformContext
    from pawpay.platform.tenancy.scope import after_commit
    from pawpay.platform.tenancy.services import tenant_ids

    ids = await tenant_ids(PlatformContext(actor_label="job:plan_visits"))

    async def plan_all() -> None:
        for tenant_id in ids:
            try:
                await services.plan_missing(TenantContext(tenant_id=tenant_id, actor_label="job:plan_visits"))
            except Exception:
                log.exception("planning visits failed", extra={"tenant_id": str(tenant_id)})

    after_commit(plan_all)
