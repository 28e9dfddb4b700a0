"""``/api/v1/dunning``: open tasks, an installment's dunning log, recording a call, granting an extension, a
contract's early-termination penalties and settling an owed one by hand."""

from __future__ import annotations

import uuid

from litestar import Controller, get, post
from litestar.params import FromPath, FromQuery, JSONBody

from pawpay.platform.identity.roles import AFTER_SALES, FINANCE, FRONT_DESK, MANAGER
from pawpay.platform.web.deps import TenantCtx
from pawpay.platform.web.schemas import to_schema
from pawpay.tenants.dunning import services
from pawpay.tenants.dunning.schemas import (
    ActionOut,
    CallBody,
    CaseOut,
    ContactOut,
    ExtensionBody,
    InstallmentLogOut,
    PenaltyOut,
    SettlePenaltyBody,
    TaskOut,
)

ACTING = {MANAGER, FRONT_DESK, AFTER_SALES}


class DunningController(Controller):
    path = "/api/v1/dunning"
    tags = ["dunning"]
    opt = {"auth": "tenant", "roles": {MANAGER, FRONT_DESK, AFTER_SALES, FINANCE}}

    @get("/tasks", operation_id="ListDunningTasks")
    async def tasks(self, ctx: TenantCtx, kind: FromQuery[str | None] = None,
                    status: FromQuery[str] = "open") -> list[TaskOut]:
        views = await services.list_tasks(ctx, status=status or None, kind=kind)
        return [to_schema(v, TaskOut) for v in views]

    @get("/installments/{installment_id:uuid}", operation_id="GetInstallmentDunningLog")
    async def log(self, ctx: TenantCtx, installment_id: FromPath[uuid.UUID]) -> InstallmentLogOut:
        from pawpay.tenants.contracts import services as contracts

        await contracts.get_installment(ctx, installment_id)  # NotFound for another store's
        case = await services.get_case(ctx, installment_id)
        contacts = await services.list_contacts(ctx, installment_id=installment_id)
        actions = await services.list_actions(ctx, installment_id=installment_id)
        tasks = await services.list_tasks(ctx, installment_id=installment_id, status=None)
        return InstallmentLogOut(case=to_schema(case, CaseOut) if case else None,
                                 contacts=[to_schema(c, ContactOut) for c in contacts],
                                 actions=[to_schema(a, ActionOut) for a in actions],
                                 tasks=[to_schema(t, TaskOut) for t in tasks])

    @post("/installments/{installment_id:uuid}/calls", operation_id="RecordDunningCall", status_code=201,
          opt={"roles": ACTING})
    async def call(self, ctx: TenantCtx, installment_id: FromPath[uuid.UUID], data: JSONBody[CallBody]) -> ContactOut:
        view = await services.record_call(ctx, installment_id, note=data.note, outcome=data.outcome,
                                          promised_on=data.promised_on)
        return to_schema(view, ContactOut)

    @post("/installments/{installment_id:uuid}/extension", operation_id="GrantDunningExtension", status_code=200,
          opt={"roles": ACTING})
    async def extension(self, ctx: TenantCtx, installment_id: FromPath[uuid.UUID],
                        data: JSONBody[ExtensionBody]) -> CaseOut:
        view = await services.grant_extension(ctx, installment_id, days=data.days, reason=data.reason)
        return to_schema(view, CaseOut)

    @get("/contracts/{contract_id:uuid}/penalties", operation_id="ListTerminationPenalties")
    async def penalties(self, ctx: TenantCtx, contract_id: FromPath[uuid.UUID]) -> list[PenaltyOut]:
        from pawpay.tenants.contracts import services as contracts
        from pawpay.tenants.dunning import penalty

        await contracts.get_contract(ctx, contract_id)  # NotFound for another store's
        return [to_schema(v, PenaltyOut) for v in await penalty.list_penalties(ctx, contract_id=contract_id)]

    @post("/penalties/{penalty_id:uuid}/settle", operation_id="SettleOwedPenalty", status_code=200,
          opt={"roles": {MANAGER}})
    async def settle_penalty(self, ctx: TenantCtx, penalty_id: FromPath[uuid.UUID],
                             data: JSONBody[SettlePenaltyBody]) -> PenaltyOut:
        """A declined, owed penalty: paid to the store directly, or waived (a manager; once)."""
        from pawpay.tenants.dunning import penalty

        view = await penalty.settle_owed(ctx, penalty_id, outcome=data.outcome, note=data.note)
        return to_schema(view, PenaltyOut)
