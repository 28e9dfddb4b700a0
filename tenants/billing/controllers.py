"""The billing JSON API (``/api/v1/billing``): the store's clock (test mode), debits due today, failed
debits, recent attempts, an installment's attempts and reminders, staff actions, points, the retry
schedule."""

from __future__ import annotations

import uuid

from litestar import Controller, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody

from pawpay.platform.identity.roles import FINANCE, FRONT_DESK, MANAGER
from pawpay.platform.web.deps import TenantCtx
from pawpay.platform.web.schemas import to_schema
from pawpay.tenants.billing import services
from pawpay.tenants.billing.schemas import (
    AdvanceBody,
    AttemptOut,
    ClockOut,
    DueDebitOut,
    MoveBody,
    PointsOut,
    ReasonBody,
    ReminderOut,
    RetryScheduleBody,
    RetryScheduleOut,
)

STAFF = {MANAGER, FINANCE, FRONT_DESK}
ACT = {MANAGER, FINANCE}


class BillingController(Controller):
    path = "/api/v1/billing"
    tags = ["billing"]

    @get("/clock", opt={"auth": "tenant", "roles": STAFF}, operation_id="GetBillingClock")
    async def get_clock(self, ctx: TenantCtx) -> ClockOut:
        return to_schema(await services.clock(ctx), ClockOut)

    @post("/clock/advance", opt={"auth": "tenant", "roles": {MANAGER}}, operation_id="AdvanceBillingClock",
          status_code=200)
    async def advance(self, ctx: TenantCtx, data: JSONBody[AdvanceBody]) -> ClockOut:
        """Move a test-mode store's clock by a day, a month or to just past the next planned debit."""
        return to_schema(await services.advance_clock(ctx, data.step), ClockOut)

    @get("/due-today", opt={"auth": "tenant", "roles": STAFF}, operation_id="ListDebitsDueToday")
    async def due_today(self, ctx: TenantCtx) -> list[DueDebitOut]:
        return [to_schema(v, DueDebitOut) for v in await services.debits_due_today(ctx)]

    @get("/failed", opt={"auth": "tenant", "roles": STAFF}, operation_id="ListFailedDebits")
    async def failed(self, ctx: TenantCtx) -> list[DueDebitOut]:
        return [to_schema(v, DueDebitOut) for v in await services.failed_debits(ctx)]

    @get("/attempts", opt={"auth": "tenant", "roles": STAFF}, operation_id="ListRecentDebitAttempts")
    async def attempts(self, ctx: TenantCtx, limit: FromQuery[int] = 50) -> list[AttemptOut]:
        return [to_schema(v, AttemptOut) for v in await services.recent_attempts(ctx, limit=max(1, min(limit, 500)))]

    @get("/installments/{installment_id:uuid}/attempts", opt={"auth": "tenant", "roles": STAFF},
         operation_id="ListInstallmentDebitAttempts")
    async def installment_attempts(self, ctx: TenantCtx, installment_id: FromPath[uuid.UUID]) -> list[AttemptOut]:
        return [to_schema(v, AttemptOut) for v in await services.installment_debits(ctx, installment_id)]

    @get("/installments/{installment_id:uuid}/reminders", opt={"auth": "tenant", "roles": STAFF},
         operation_id="ListInstallmentReminders")
    async def installment_reminders(self, ctx: TenantCtx, installment_id: FromPath[uuid.UUID]) -> list[ReminderOut]:
        await services.installment_debits(ctx, installment_id)  # 404 for another store's installment
        return [to_schema(v, ReminderOut) for v in await services.installment_reminders(ctx, installment_id)]

    @post("/installments/{installment_id:uuid}/retry", opt={"auth": "tenant", "roles": ACT},
          operation_id="RetryDebitNow", status_code=200)
    async def retry(self, ctx: TenantCtx, installment_id: FromPath[uuid.UUID], data: JSONBody[ReasonBody]
                    ) -> AttemptOut:
        return to_schema(await services.retry_now(ctx, installment_id, reason=data.reason), AttemptOut)

    @post("/installments/{installment_id:uuid}/remind", opt={"auth": "tenant", "roles": STAFF},
          operation_id="SendDebitReminderNow", status_code=204)
    async def remind(self, ctx: TenantCtx, installment_id: FromPath[uuid.UUID], data: JSONBody[ReasonBody]) -> None:
        await services.send_reminder_now(ctx, installment_id, reason=data.reason)

    @post("/installments/{installment_id:uuid}/move", opt={"auth": "tenant", "roles": ACT},
          operation_id="MoveDebitDate", status_code=204)
    async def move(self, ctx: TenantCtx, installment_id: FromPath[uuid.UUID], data: JSONBody[MoveBody]) -> None:
        await services.move_debit_date(ctx, installment_id, data.new_due_on, reason=data.reason)

    @get("/customers/{customer_id:uuid}/points", opt={"auth": "tenant", "roles": STAFF},
         operation_id="GetCustomerPoints")
    async def points(self, ctx: TenantCtx, customer_id: FromPath[uuid.UUID]) -> PointsOut:
        from pawpay.tenants.customers import services as customers

        await customers.get_customer(ctx, customer_id)  # 404 for another store's customer
        return PointsOut(customer_id=customer_id, points=await services.points_balance(ctx, customer_id))

    @get("/retry-schedule", opt={"auth": "tenant", "roles": STAFF}, operation_id="GetDebitRetrySchedule")
    async def get_schedule(self, ctx: TenantCtx) -> RetryScheduleOut:
        return RetryScheduleOut(retry_offsets_hours=await services.retry_schedule(ctx))

    @put("/retry-schedule", opt={"auth": "tenant", "roles": {MANAGER}}, operation_id="SetDebitRetrySchedule")
    async def set_schedule(self, ctx: TenantCtx, data: JSONBody[RetryScheduleBody]) -> RetryScheduleOut:
        return RetryScheduleOut(retry_offsets_hours=await services.set_retry_schedule(
            ctx, data.retry_offsets_hours, reason=data.reason))
