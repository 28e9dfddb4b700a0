"""Test-clock API: a store in test mode reads and moves its own clock (like Stripe's test clocks)."""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec
from litestar import Controller, get, post
from litestar.params import JSONBody

from pawpay.platform.identity.roles import MANAGER
from pawpay.platform.jobs import services
from pawpay.platform.web.deps import TenantCtx
from pawpay.platform.web.schemas import to_schema


class TestClockOut(msgspec.Struct):
    __test__ = False  # not a pytest test class

    tenant_id: uuid.UUID
    offset_seconds: int
    now: datetime


class AdvanceBody(msgspec.Struct, forbid_unknown_fields=True):
    seconds: int


class TestClockController(Controller):
    __test__ = False

    path = "/api/v1/test-clock"
    tags = ["test clock"]

    @get("/", opt={"auth": "tenant"}, operation_id="GetTestClock")
    async def get_clock(self, ctx: TenantCtx) -> TestClockOut:
        return to_schema(await services.get_tenant_clock(ctx), TestClockOut)

    @post("/advance", opt={"auth": "tenant", "roles": {MANAGER}}, operation_id="AdvanceTestClock", status_code=200)
    async def advance(self, ctx: TenantCtx, data: JSONBody[AdvanceBody]) -> TestClockOut:
        """Move the store's clock forward (test mode only; the service validates and audits)."""
        return to_schema(await services.advance_tenant_clock(ctx, data.seconds), TestClockOut)
