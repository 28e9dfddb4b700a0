"""Helpers for the fulfilment tests: a store on its test clock with a signed contract (real services),
a paid period released for shipping, the sandbox warehouse, one scheduler tick of the fulfilment work."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pawpay.platform.hooks import InstallmentPaid
from pawpay.platform.jobs.services import advance_tenant_clock, tenant_now
from pawpay.platform.providers.services import provider_for
from pawpay.platform.tenancy.context import TenantContext
from pawpay.tenants.contracts import services as contracts
from pawpay.tenants.fulfilment import services as fulfilment
from pawpay.tenants.fulfilment.due import DUE_WORK, FULFILMENT_QUEUE
from tests.integration.contracts.conftest import setup, signed
from tests.integration.dunning.conftest import move_to_local


@dataclass
class World:
    ctx: TenantContext
    contract: Any
    installments: list[Any]
    phone: str
    store: Any

    async def warehouse(self) -> tuple[Any, Any]:
        return await provider_for(self.ctx, "warehouses")

    async def inbox(self, prefix: str = "SMS_SHIPMENT") -> list[Any]:
        provider, pctx = await provider_for(self.ctx, "notifications")
        return [m for m in provider.inbox(pctx, recipient=self.phone) if m.template.startswith(prefix)]


async def world(phone: str | None = None) -> World:
    phone = phone or f"139{uuid.uuid4().int % 10**6:06d}00"
    s = await setup(phone=phone, openid="")
    await move_to_local(s.ctx, 10)
    contract = await signed(s)
    return World(s.ctx, contract, await contracts.installments(s.ctx, contract.id), phone, s.store)


async def pay(w: World, index: int = 0, *, attempt_id: str | None = None) -> Any:
    """The period ``index`` paid now (store clock), as billing reports it: released for shipping."""
    inst = w.installments[index]
    paid = InstallmentPaid(installment_id=str(inst.id), contract_id=str(w.contract.id),
                           contract_no=w.contract.contract_no, sequence=inst.sequence, amount_fen=inst.amount_fen,
                           paid_at=await tenant_now(w.ctx), attempt_id=attempt_id or f"dbt-{inst.id.hex[:20]}")
    return await fulfilment.release_period(w.ctx, paid)


async def tick(jobs: Any) -> dict[str, int]:
    """One scheduler tick of the fulfilment work at the system time, then wait for the worker."""
    result = await jobs.scheduler(list(DUE_WORK)).tick(datetime.now(UTC))
    await jobs.join(FULFILMENT_QUEUE)
    return dict(result.claimed)


async def advance(ctx: TenantContext, *, hours: float = 0, minutes: float = 0) -> datetime:
    await advance_tenant_clock(ctx, int(hours * 3600 + minutes * 60))
    return await tenant_now(ctx)


