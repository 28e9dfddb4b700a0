"""Per-tenant test clocks: a store in test mode moves its own time, and its due work follows."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from asyncpg.exceptions import InsufficientPrivilegeError
from piccolo.querystring import QueryString

from pawpay.platform.audit.services import AuditFilter, list_entries
from pawpay.platform.db.engine import get_engine
from pawpay.platform.errors import ErrorCode, ValidationFailed
from pawpay.platform.jobs.errors import TestClockNotAllowed
from pawpay.platform.jobs.services import advance_tenant_clock, get_tenant_clock, tenant_now
from pawpay.platform.tenancy.context import PlatformContext, TenantContext
from pawpay.platform.tenancy.scope import platform_scope, tenant_scope
from pawpay.platform.tenancy.services import create_tenant

pytestmark = pytest.mark.integration


async def _fresh_store(test_mode: bool = True) -> TenantContext:
    # Fresh stores per test: a moved clock is permanent, and the shared stores must keep real time.
    tenant = await create_tenant(PlatformContext(actor_label="test"), slug=f"clock-{uuid.uuid4().hex[:8]}",
                                 name="Clock store", test_mode=test_mode)
    return TenantContext(tenant_id=tenant.id, actor_id=uuid.uuid4(), actor_label="manager")


@pytest.fixture
async def test_store(pawpay_database) -> TenantContext:
    return await _fresh_store()


@pytest.fixture
async def other_store(pawpay_database) -> TenantContext:
    return await _fresh_store()


async def test_advancing_a_test_store_clock_makes_its_work_due_earlier(
    items, test_store, other_store, frozen_clock
) -> None:
    now = frozen_clock.now()
    [mine] = await items.add(test_store.tenant_id, now + timedelta(hours=2))
    await items.add(other_store.tenant_id, now + timedelta(hours=2))
    scheduler_work = items.work()
    async with platform_scope("test: claim before"):
        assert list(await scheduler_work.claim(now, 10)) == []

    view = await advance_tenant_clock(test_store, 3 * 3600)

    assert view.offset_seconds == 3 * 3600
    assert await tenant_now(test_store) == now + timedelta(hours=3)
    assert await tenant_now(other_store) == now
    async with platform_scope("test: claim after"):
        claimed = list(await scheduler_work.claim(now, 10))
    # Only the store whose clock moved has work due; the other store's row waits for real time.
    assert [(i.key, i.tenant_id) for i in claimed] == [(str(mine), str(test_store.tenant_id))]


async def test_advances_add_up_and_are_audited(test_store, frozen_clock) -> None:
    await advance_tenant_clock(test_store, 60)
    view = await advance_tenant_clock(test_store, 90)
    assert (view.offset_seconds, view.now) == (150, frozen_clock.now() + timedelta(seconds=150))
    assert (await get_tenant_clock(test_store)).offset_seconds == 150
    entries, total = await list_entries(test_store, AuditFilter(action="test_clock.advanced"))
    assert total == 2
    assert entries[0].after == {"offset_seconds": 150, "advanced_by": 90}
    assert entries[0].before == {"offset_seconds": 60}
    assert entries[0].tenant_id == test_store.tenant_id


async def test_a_live_store_cannot_move_its_clock(pawpay_database) -> None:
    ctx = await _fresh_store(test_mode=False)
    with pytest.raises(TestClockNotAllowed) as raised:
        await advance_tenant_clock(ctx, 3600)
    assert raised.value.code == ErrorCode.TEST_CLOCK_NOT_ALLOWED
    assert raised.value.http_status == 422
    assert (await get_tenant_clock(ctx)).offset_seconds == 0
    _, total = await list_entries(ctx, AuditFilter(action="test_clock"))
    assert total == 0


@pytest.mark.parametrize("seconds", [0, -5, 10**10])
async def test_only_a_sensible_forward_move_is_accepted(test_store, seconds) -> None:
    with pytest.raises(ValidationFailed):
        await advance_tenant_clock(test_store, seconds)
    assert (await get_tenant_clock(test_store)).offset_seconds == 0


async def test_a_store_cannot_read_or_move_another_stores_clock(test_store, other_store) -> None:
    await advance_tenant_clock(test_store, 3600)
    await advance_tenant_clock(other_store, 60)
    victim = test_store.tenant_id
    async with tenant_scope(other_store):
        rows = await get_engine().run_querystring(
            QueryString("SELECT offset_seconds FROM tenant_clock WHERE tenant_id = {}", victim)
        )
        assert rows == []
        updated = await get_engine().run_querystring(
            QueryString("UPDATE tenant_clock SET offset_seconds = 0 WHERE tenant_id = {} RETURNING id", victim)
        )
        assert updated == []
        deleted = await get_engine().run_querystring(
            QueryString("DELETE FROM tenant_clock WHERE tenant_id = {} RETURNING id", victim)
        )
        assert deleted == []
    with pytest.raises(InsufficientPrivilegeError):
        async with tenant_scope(other_store):
            await get_engine().run_querystring(
                QueryString(
                    "INSERT INTO tenant_clock (id, tenant_id, offset_seconds, updated_at) "
                    "VALUES (gen_random_uuid(), {}, 1, now())",
                    victim,
                )
            )
    # The services only ever act on the caller's own store.
    assert (await get_tenant_clock(other_store)).offset_seconds == 60
    assert (await get_tenant_clock(test_store)).offset_seconds == 3600
