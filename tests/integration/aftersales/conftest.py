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
