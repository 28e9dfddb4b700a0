"""Test support, not a test: the actor that ``test_worker_killed.py`` runs in a worker subprocess.

Its first attempt at an item records itself, then hangs (the test SIGKILLs the worker there);
any later attempt finishes the item, once: the update is guarded by ``done_at IS NULL``.
"""

from __future__ import annotations

import asyncio
import os
import uuid

import dramatiq
from piccolo.querystring import QueryString

from pawpay.platform.db.engine import get_engine
from pawpay.platform.tenancy.scope import tenant_scope

ACTOR_NAME = "jobs_test_process_item"
QUEUE_NAME = "jobs_test"
# Set in the worker subprocess's environment: declare the actor when dramatiq imports us.
DECLARE_ENV = "PAWPAY_TEST_DECLARE_KILL_ACTOR"


async def process_item(tenant_id: str, item_id: str) -> None:
    async with tenant_scope(uuid.UUID(tenant_id)):
        rows = await get_engine().run_querystring(
            QueryString("UPDATE jobs_test_item SET attempts = attempts + 1 WHERE id = {} RETURNING attempts",
                        uuid.UUID(item_id))
        )
    if rows and rows[0]["attempts"] == 1:
        await asyncio.sleep(120)  # the test kills the worker while it waits here, holding the lease
    async with tenant_scope(uuid.UUID(tenant_id)):
        await get_engine().run_querystring(
            QueryString(
                "UPDATE jobs_test_item SET processed = processed + 1, done_at = now(), due_at = NULL, "
                "lease_until = NULL WHERE id = {} AND done_at IS NULL",
                uuid.UUID(item_id),
            )
        )


def declare(broker: dramatiq.Broker) -> dramatiq.Actor:  # type: ignore[type-arg]
    return dramatiq.actor(process_item, broker=broker, actor_name=ACTOR_NAME, queue_name=QUEUE_NAME, max_retries=0)


if os.environ.get(DECLARE_ENV) == "1":
    declare(dramatiq.get_broker())
