"""Helpers for the billing tests: a store with the sandbox rails, signed contracts, the scheduler and
the in-process worker, webhooks through the real receiver."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from pawpay.platform.clock import FrozenClock, set_clock
from pawpay.platform.hooks import hookimpl
from pawpay.platform.hooks._manager import get_plugin_manager
from pawpay.platform.providers.services import provider_for
from pawpay.platform.tenancy.context import TenantContext
from pawpay.tenants.billing.due import DEBIT_ATTEMPTS, DEBIT_RECEIPTS, DEBIT_REMINDERS
from pawpay.tenants.contracts import services as contracts
from tests.integration.contracts.conftest import Setup, add_customer, evidence, plan_for, setup

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(*args: int) -> datetime:
    """An aware instant from Shanghai wall-clock fields."""
    return datetime(*args, tzinfo=SHANGHAI)  # type: ignore[misc]


@pytest.fixture
def clock() -> Iterator[FrozenClock]:
    """A frozen process clock starting on a weekday morning in Shanghai (2026-11-02 10:00)."""
    frozen = FrozenClock(local(2026, 11, 2, 10, 0).astimezone(UTC))
    previous = set_clock(frozen)
    try:
        yield frozen
    finally:
        set_clock(previous)


def move(clock: FrozenClock, to: datetime) -> None:
    clock.set(to.astimezone(UTC))


class PaidListener:
    """Hears both paid hooks: ``paid`` per installment, ``batches`` the installment ids of each batch."""

    def __init__(self) -> None:
        self.paid: list[tuple[str, Any]] = []
        self.batches: list[list[str]] = []

    @hookimpl
    def pawpay_installment_paid(self, tenant_id: str, installment: Any) -> None:
        self.paid.append((tenant_id, installment))

    @hookimpl
    def pawpay_installments_paid(self, tenant_id: str, installments: Any) -> None:
        self.batches.append([i.installment_id for i in installments])


@pytest.fixture
def paid_listener() -> Iterator[PaidListener]:
    pm = get_plugin_manager()
    found = PaidListener()
    pm.register(found)
    try:
        yield found
    finally:
        pm.unregister(found)


@dataclass
class Store:
    s: Setup
    contracts: list[Any] = field(default_factory=list)

    @property
    def ctx(self) -> TenantContext:
        return self.s.ctx

    async def sandbox(self) -> Any:
        provider, _ = await provider_for(self.ctx, "payments")
        return provider

    async def pctx(self) -> Any:
        _, pctx = await provider_for(self.ctx, "payments")
        return pctx

    async def notifier(self) -> tuple[Any, Any]:
        return await provider_for(self.ctx, "notifications")

    async def sign(self, *, amount: int = 29_800, periods: int = 12, phone: str | None = None,
                   openid: str = "ox_billing") -> Any:
        plan = await plan_for(self.ctx, periods=periods, amount=amount)
        customer, pet = await add_customer(self.ctx, phone=phone or f"139{uuid.uuid4().int % 10**8:08d}",
                                           openid=openid)
        draft = await contracts.create_draft(self.ctx, customer_id=customer.id, pet_id=pet.id, plan_id=plan.id,
                                             plan_version=plan.version, debit_day=10, channel="h5",
                                             started_by="customer")
        await contracts.mark_pending_signature(self.ctx, draft.id)
        view = await contracts.activate(self.ctx, draft.id, evidence=evidence(
            payment_agreement_reference=f"agr-{draft.id.hex[:12]}"))
        self.contracts.append(view)
        return view


async def new_store() -> Store:
    return Store(await setup())


async def run_debits(jobs: Any, now: datetime, *, reminders: bool = False) -> dict[str, int]:
    """One scheduler tick at ``now`` (debits, and reminders if asked), then wait for the worker; then
    a tick of the receipts' outbox (in production, the debit work claims them once no debit is in flight)."""
    works = [DEBIT_ATTEMPTS, DEBIT_REMINDERS] if reminders else [DEBIT_ATTEMPTS]
    result = await jobs.scheduler(works).tick(now.astimezone(UTC))
    await jobs.join("billing")
    await jobs.scheduler([DEBIT_RECEIPTS]).tick(now.astimezone(UTC))
    await jobs.join("billing")
    return dict(result.claimed)


def after(at: datetime, **kw: float) -> datetime:
    return at + timedelta(**kw)
