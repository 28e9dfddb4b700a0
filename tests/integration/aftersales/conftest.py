"""Helpers for the after-sales tests: a store at Beijing daytime on its test clock with an active
contract (real services), the sandbox inbox of after-sales messages, photos, one SLA tick."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from PIL import Image

from pawpay.platform.providers.services import provider_for
from pawpay.platform.tenancy.context import TenantContext
from pawpay.tenants.aftersales.due import AFTERSALES_QUEUE, DUE_WORK
from pawpay.tenants.aftersales.services import PhotoUpload
from tests.integration.contracts.conftest import Setup, setup, signed
from tests.integration.dunning.conftest import move_to_local


@dataclass
class World:
    s: Setup
    contract: Any

    @property
    def ctx(self) -> TenantContext:
        return self.s.ctx


async def world(phone: str = "13912345678", openid: str = "ox_aftersales_1") -> World:
    s = await setup(phone=phone, openid=openid)
    await move_to_local(s.ctx, 10)
    return World(s, await signed(s))


def jpeg(colour: str = "red", size: tuple[int, int] = (32, 24)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="JPEG")
    return out.getvalue()


def photo(name: str = "box.jpg", colour: str = "red") -> PhotoUpload:
    return PhotoUpload(jpeg(colour), name)


async def inbox(ctx: TenantContext, recipient: str | None = None) -> list[Any]:
    provider, pctx = await provider_for(ctx, "notifications")
    return [m for m in provider.inbox(pctx, recipient=recipient) if m.template.startswith("AFTERSALES_")]


async def sla_tick(jobs: Any) -> int:
    """One scheduler tick of the SLA work at the system time (the store's clock offset applies), then wait."""
    result = await jobs.scheduler(list(DUE_WORK)).tick(datetime.now(UTC))
    await jobs.join(AFTERSALES_QUEUE)
    return int(result.sent)


async def bodies(ctx: TenantContext, customer_id: Any) -> list[str]:
    """The after-sales texts in the customer's message log (what was said)."""
    from pawpay.tenants.customers import services as customers

    return [m.body for m in await customers.list_messages(ctx, customer_id) if m.template.startswith("AFTERSALES_")]


@dataclass
class Paid:
    """A store whose customer's first period was really debited (the sandbox rail, billing's job) and
    released to the sandbox warehouse (fulfilment's job): the period's shipment, accepted."""

    store: Any
    contract: Any
    shipment: Any
    phone: str

    @property
    def ctx(self) -> TenantContext:
        return self.store.ctx


async def paid_shipment(jobs: Any, phone: str) -> Paid:
    from datetime import time, timedelta

    from pawpay.platform.jobs.services import advance_tenant_clock, tenant_now
    from pawpay.tenants.billing.due import BILLING_QUEUE, DEBIT_ATTEMPTS
    from pawpay.tenants.contracts import services as contracts
    from pawpay.tenants.fulfilment import services as fulfilment
    from pawpay.tenants.fulfilment.due import DUE_WORK as FULFILMENT_WORK
    from pawpay.tenants.fulfilment.due import FULFILMENT_QUEUE
    from tests.integration.billing.conftest import SHANGHAI, new_store

    store = await new_store()
    await move_to_local(store.ctx, 10)
    contract = await store.sign(phone=phone, openid="")
    first = (await contracts.installments(store.ctx, contract.id))[0]
    here = (await tenant_now(store.ctx)).astimezone(SHANGHAI)
    due = datetime.combine(first.due_on, time(8, 5), tzinfo=SHANGHAI)
    await advance_tenant_clock(store.ctx, int((due - here) / timedelta(seconds=1)) + 1)
    await jobs.scheduler([DEBIT_ATTEMPTS]).tick(datetime.now(UTC))
    await jobs.join(BILLING_QUEUE)
    assert (await contracts.get_installment(store.ctx, first.id)).status == "paid"
    await jobs.scheduler(list(FULFILMENT_WORK)).tick(datetime.now(UTC))
    await jobs.join(FULFILMENT_QUEUE)
    [shipment], _total = await fulfilment.list_shipments(store.ctx, contract_id=contract.id)
    assert shipment.status == "accepted", shipment
    assert shipment.installment_id == first.id
    return Paid(store, contract, shipment, phone)


async def submit_reships(jobs: Any) -> dict[str, int]:
    """One tick of fulfilment's due work (submissions, polls) for every store, then wait for the worker."""
    from pawpay.tenants.fulfilment.due import DUE_WORK as FULFILMENT_WORK
    from pawpay.tenants.fulfilment.due import FULFILMENT_QUEUE

    result = await jobs.scheduler(list(FULFILMENT_WORK)).tick(datetime.now(UTC))
    await jobs.join(FULFILMENT_QUEUE)
    return dict(result.claimed)


async def shipped(jobs: Any, ctx: Any, contract: Any) -> Any:
    """The contract's first period released to the sandbox warehouse as if paid (fulfilment's event), submitted."""
    from pawpay.platform.hooks import InstallmentPaid
    from pawpay.platform.jobs.services import tenant_now
    from pawpay.tenants.contracts import services as contracts
    from pawpay.tenants.fulfilment import services as fulfilment

    inst = (await contracts.installments(ctx, contract.id))[0]
    await fulfilment.release_period(ctx, InstallmentPaid(
        installment_id=str(inst.id), contract_id=str(contract.id), contract_no=contract.contract_no,
        sequence=inst.sequence, amount_fen=inst.amount_fen, paid_at=await tenant_now(ctx),
        attempt_id=f"dbt-{inst.id.hex[:20]}"))
    await submit_reships(jobs)
    [shipment], _ = await fulfilment.list_shipments(ctx, contract_id=contract.id)
    return shipment
