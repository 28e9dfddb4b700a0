"""Helpers for the dunning tests: a store at Beijing daytime on its test clock with an active contract
(made through the real services), the sandbox inbox, and one scheduler tick of the dunning work."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pawpay.platform.jobs.services import advance_tenant_clock, tenant_now
from pawpay.platform.providers.services import provider_for
from pawpay.platform.tenancy.context import TenantContext
from pawpay.tenants.contracts import services as contracts
from pawpay.tenants.dunning import services as dunning
from pawpay.tenants.dunning.due import DUE_WORK, DUNNING_QUEUE
from tests.integration.contracts.conftest import setup, signed

SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass
class World:
    ctx: TenantContext
    contract: Any
    installments: list[Any]
    phone: str
    store: Any


async def move_to_local(ctx: TenantContext, hour: int, minute: int = 0) -> datetime:
    """Move the store's clock forward to the next ``hour:minute`` Beijing time; returns the store's now."""
    now = await tenant_now(ctx)
    here = now.astimezone(SHANGHAI)
    target = here.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if target <= here:
        target += timedelta(days=1)
    await advance_tenant_clock(ctx, math.ceil((target - here).total_seconds()))
    return await tenant_now(ctx)


async def advance(ctx: TenantContext, *, days: float = 0, hours: float = 0) -> datetime:
    await advance_tenant_clock(ctx, int(days * 86400 + hours * 3600))
    return await tenant_now(ctx)


async def world(phone: str = "13912345678", openid: str = "ox_dunning_1") -> World:
    s = await setup(phone=phone, openid=openid)
    await move_to_local(s.ctx, 10)
    contract = await signed(s)
    schedule = await contracts.installments(s.ctx, contract.id)
    return World(s.ctx, contract, schedule, phone, s.store)


async def fail(w: World, index: int = 0, attempt: str = "att-1", at: datetime | None = None) -> Any:
    inst = w.installments[index]
    await contracts.set_installment_status(w.ctx, inst.id, "failed", reason="test debit failed")
    await dunning.debit_failed(w.ctx, installment_id=inst.id, contract_id=w.contract.id, attempt_id=attempt,
                               error_code="INSUFFICIENT_FUNDS", failed_at=at or await tenant_now(w.ctx))
    return inst


async def tick(jobs: Any) -> int:
    """One scheduler tick of the dunning work at the system time, then wait for the worker."""
    result = await jobs.scheduler(list(DUE_WORK)).tick(datetime.now(UTC))
    await jobs.join(DUNNING_QUEUE)
    return int(result.sent)


async def inbox(ctx: TenantContext, recipient: str | None = None) -> list[Any]:
    provider, pctx = await provider_for(ctx, "notifications")
    return [m for m in provider.inbox(pctx, recipient=recipient) if m.template.startswith("DUNNING_")]
