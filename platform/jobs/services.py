"""The jobs component's public services: per-tenant test clocks, and the helpers other
components use to declare due work (re-exported from :mod:`pawpay.platform.jobs.due`).

A store in test mode can move its own time forward, like Stripe's test clocks: its "now"
(:func:`tenant_now`) is the system time plus the store's offset, and the scheduler compares its
due rows with that moved time, so a simulated month of billing runs in seconds with the same
code. A live store's clock cannot move.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from pawpay.platform.clock import OffsetClock, get_clock, utcnow
from pawpay.platform.errors import ValidationFailed
from pawpay.platform.jobs.due import LeasedRowWork, PeriodicJob, run_periodic_job
from pawpay.platform.jobs.errors import TestClockNotAllowed
from pawpay.platform.jobs.tables import TenantClock
from pawpay.platform.tenancy.context import TenantContext
from pawpay.platform.tenancy.scope import tenant_scope

__all__ = [
    "MAX_ADVANCE",
    "LeasedRowWork",
    "PeriodicJob",
    "TenantClockView",
    "advance_tenant_clock",
    "clear_tenant_clock",
    "get_tenant_clock",
    "run_periodic_job",
    "tenant_clock",
    "tenant_now",
]

# One call moves a clock at most this far (a mistyped number should not jump centuries).
MAX_ADVANCE = timedelta(days=3 * 366)


@dataclass(frozen=True, slots=True)
class TenantClockView:
    tenant_id: uuid.UUID
    offset_seconds: int
    now: datetime


async def _offset_seconds(ctx: TenantContext) -> int:
    row = await TenantClock.select(TenantClock.offset_seconds).where(TenantClock.tenant_id == ctx.tenant_id).first()
    return int(row["offset_seconds"]) if row else 0


async def tenant_clock(ctx: TenantContext) -> OffsetClock:
    """The store's clock: the process clock moved by the store's offset (read once)."""
    async with tenant_scope(ctx):
        offset = await _offset_seconds(ctx)
    return OffsetClock(get_clock(), timedelta(seconds=offset))


async def tenant_now(ctx: TenantContext) -> datetime:
    """The store's "now": system time plus its test-clock offset (zero for live stores)."""
    return (await tenant_clock(ctx)).now()


async def get_tenant_clock(ctx: TenantContext) -> TenantClockView:
    async with tenant_scope(ctx):
        offset = await _offset_seconds(ctx)
    return TenantClockView(ctx.tenant_id, offset, utcnow() + timedelta(seconds=offset))


async def advance_tenant_clock(ctx: TenantContext, seconds: int) -> TenantClockView:
    """Move the store's clock forward by ``seconds``; only for a store in test mode. Audited.

    Raises:
        ValidationFailed: ``seconds`` is not positive or exceeds :data:`MAX_ADVANCE`.
        TestClockNotAllowed: the store is live (not in test mode); nothing changes.
    """
    from pawpay.platform.audit.services import record
    from pawpay.platform.tenancy.services import get_own_tenant

    if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds <= 0:
        raise ValidationFailed("advance the clock by a positive whole number of seconds", field="seconds")
    if seconds > MAX_ADVANCE.total_seconds():
        raise ValidationFailed(
            f"advance by at most {int(MAX_ADVANCE.total_seconds())} seconds at a time", field="seconds"
        )
    async with tenant_scope(ctx):
        tenant = await get_own_tenant(ctx)
        if not tenant.test_mode:
            raise TestClockNotAllowed("only a store in test mode can move its clock", tenant_id=str(ctx.tenant_id))
        # One atomic upsert: two concurrent advances add up, and the first one creates the row.
        rows = await TenantClock.raw(
            "INSERT INTO tenant_clock (id, tenant_id, offset_seconds, updated_at) VALUES ({}, {}, {}, {}) "
            "ON CONFLICT (tenant_id) DO UPDATE SET offset_seconds = tenant_clock.offset_seconds + "
            "EXCLUDED.offset_seconds, updated_at = EXCLUDED.updated_at RETURNING offset_seconds",
            uuid.uuid4(), ctx.tenant_id, seconds, utcnow(),
        )
        after = int(rows[0]["offset_seconds"])
        before = after - seconds
        await record(
            ctx, "test_clock.advanced", target_type="tenant_clock", target_id=str(ctx.tenant_id),
            before={"offset_seconds": before}, after={"offset_seconds": after, "advanced_by": seconds},
        )
    return TenantClockView(ctx.tenant_id, after, utcnow() + timedelta(seconds=after))


async def clear_tenant_clock(ctx: TenantContext) -> TenantClockView:
    """Remove the store's test clock (its offset back to zero); used when a store goes live. Audited
    when there was a clock to remove; a store without one is left as it is."""
    from pawpay.platform.audit.services import record

    async with tenant_scope(ctx):
        rows = await TenantClock.delete().where(TenantClock.tenant_id == ctx.tenant_id).returning(
            TenantClock.offset_seconds
        )
        if rows:
            await record(ctx, "test_clock.cleared", target_type="tenant_clock", target_id=str(ctx.tenant_id),
                         before={"offset_seconds": int(rows[0]["offset_seconds"])}, after={"offset_seconds": 0})
    return TenantClockView(ctx.tenant_id, 0, utcnow())
