"""``/api/v1/contracts``: a store's contracts, schedules, evidence and PDFs; staff start drafts and
managers cancel in the cooling-off period. Staff never sign for a customer: activation belongs to
the signing flow (the customer's own session), not to this API."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, Response, get, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from pawpay.platform.identity.roles import AFTER_SALES, FINANCE, FRONT_DESK, MANAGER
from pawpay.platform.web.deps import TenantCtx
from pawpay.platform.web.pagination import Page, check_window
from pawpay.platform.web.schemas import to_schema
from pawpay.tenants.contracts import services
from pawpay.tenants.contracts.schemas import ContractOut, DraftBody, EvidenceOut, InstallmentOut, ReasonBody

STORE_STAFF = {MANAGER, FRONT_DESK, AFTER_SALES, FINANCE}


class ContractController(Controller):
    path = "/api/v1/contracts"
    tags = ["contracts"]
    opt = {"auth": "tenant", "roles": STORE_STAFF}

    @get("/", operation_id="ListContracts")
    async def list_contracts(self, ctx: TenantCtx,
                             state_filter: Annotated[str | None, QueryParameter(name="state")] = None,
                             customer_id: FromQuery[uuid.UUID | None] = None, limit: FromQuery[int] = 50,
                             offset: FromQuery[int] = 0) -> Page[ContractOut]:
        limit, offset = check_window(limit, offset)
        views, total = await services.list_contracts(ctx, state=state_filter, customer_id=customer_id, limit=limit,
                                                     offset=offset)
        return Page(items=[to_schema(v, ContractOut) for v in views], total=total, limit=limit, offset=offset)

    @post("/", operation_id="CreateContractDraft", opt={"roles": {MANAGER, FRONT_DESK}})
    async def create_draft(self, ctx: TenantCtx, data: JSONBody[DraftBody]) -> ContractOut:
        view = await services.create_draft(ctx, customer_id=data.customer_id, pet_id=data.pet_id,
                                           plan_id=data.plan_id, plan_version=data.plan_version,
                                           debit_day=data.debit_day, channel="admin",
                                           started_by=ctx.actor_label or str(ctx.actor_id or ""))
        return to_schema(view, ContractOut)

    @get("/{contract_id:uuid}", operation_id="GetContract")
    async def get_contract(self, ctx: TenantCtx, contract_id: FromPath[uuid.UUID]) -> ContractOut:
        return to_schema(await services.get_contract(ctx, contract_id), ContractOut)

    @get("/{contract_id:uuid}/installments", operation_id="ListContractInstallments")
    async def installments(self, ctx: TenantCtx, contract_id: FromPath[uuid.UUID]) -> list[InstallmentOut]:
        return [to_schema(v, InstallmentOut) for v in await services.installments(ctx, contract_id)]

    @get("/{contract_id:uuid}/evidence", operation_id="GetContractEvidence", opt={"roles": {MANAGER, FINANCE}})
    async def evidence(self, ctx: TenantCtx, contract_id: FromPath[uuid.UUID]) -> EvidenceOut | None:
        view = await services.get_evidence(ctx, contract_id)
        return to_schema(view, EvidenceOut) if view is not None else None

    @get("/{contract_id:uuid}/pdf", operation_id="GetContractPdf", media_type="application/pdf")
    async def pdf(self, ctx: TenantCtx, contract_id: FromPath[uuid.UUID]) -> Response[bytes]:
        view = await services.get_contract(ctx, contract_id)
        data = await services.render_pdf(ctx, contract_id)
        return Response(data, media_type="application/pdf",
                        headers={"Content-Disposition": f'inline; filename="{view.contract_no}.pdf"'})

    @post("/{contract_id:uuid}/cancel", operation_id="CancelContractInCoolingOff", status_code=200,
          opt={"roles": {MANAGER}})
    async def cancel(self, ctx: TenantCtx, contract_id: FromPath[uuid.UUID], data: JSONBody[ReasonBody]
                     ) -> ContractOut:
        return to_schema(await services.cancel_in_cooling_off(ctx, contract_id, reason=data.reason), ContractOut)
