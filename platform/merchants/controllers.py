"""``/api/v1/ops/merchants``: operators' store console (list, detail, terms versions, suspend/reinstate,
go-live approval, document expiry); ``/api/v1/merchant``: the store's own merchant account (profile, terms,
agreement e-signing, sub-merchant onboarding, the request to go live)."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, get, post, put
from litestar.params import FromPath, FromQuery, JSONBody

from pawpay.platform.identity.roles import FINANCE, MANAGER, OPS_ADMIN, OPS_FINANCE, OPS_REVIEWER
from pawpay.platform.merchants import services
from pawpay.platform.merchants.schemas import (
    ExpiryBody,
    MerchantOut,
    NoteBody,
    ProfileOut,
    ReasonBody,
    SignUrlOut,
    StoreSummaryOut,
    TermsBody,
    TermsOut,
)
from pawpay.platform.tenancy import services as tenancy
from pawpay.platform.web.deps import OpsCtx, TenantCtx
from pawpay.platform.web.pagination import Page, check_window
from pawpay.platform.web.schemas import to_schema


def _profile(view: services.StoreProfileView | None) -> ProfileOut | None:
    return to_schema(view, ProfileOut) if view is not None else None


def _terms_input(body: TermsBody) -> services.MerchantTermsInput:
    return services.MerchantTermsInput(**{name: getattr(body, name) for name in services.TERMS_FIELDS})


class OpsMerchantController(Controller):
    path = "/api/v1/ops/merchants"
    tags = ["merchants"]
    opt = {"auth": "platform"}

    @get("/", operation_id="ListMerchants")
    async def list_merchants(
        self, ctx: OpsCtx, status: FromQuery[str | None] = None, mode: FromQuery[str | None] = None,
        q: FromQuery[str] = "", expiring: FromQuery[bool] = False, limit: FromQuery[int] = 50,
        offset: FromQuery[int] = 0,
    ) -> Page[StoreSummaryOut]:
        limit, offset = check_window(limit, offset)
        views, total = await services.list_stores(ctx, status=status, mode=mode, search=q, expiring=expiring,
                                                  limit=limit, offset=offset)
        return Page(items=[to_schema(v, StoreSummaryOut) for v in views], total=total, limit=limit, offset=offset)

    @get("/{tenant_id:uuid}", operation_id="GetMerchant")
    async def get_merchant(self, ctx: OpsCtx, tenant_id: FromPath[uuid.UUID]) -> MerchantOut:
        store = await tenancy.get_tenant(ctx, tenant_id)
        profile = await services.store_profile(ctx, tenant_id)
        return MerchantOut(tenant_id=store.id, name=store.name, slug=store.slug, status=store.status,
                           test_mode=store.test_mode, profile=_profile(profile),
                           terms=to_schema(await services.store_terms(ctx, tenant_id), TermsOut),
                           go_live_blockers=services.go_live_blockers(profile, approval=True))

    @get("/{tenant_id:uuid}/terms", operation_id="ListMerchantTerms")
    async def list_terms(self, ctx: OpsCtx, tenant_id: FromPath[uuid.UUID]) -> list[TermsOut]:
        await tenancy.get_tenant(ctx, tenant_id)
        return [to_schema(v, TermsOut) for v in await services.list_terms(ctx, tenant_id)]

    @post("/{tenant_id:uuid}/terms", operation_id="SetMerchantTerms", opt={"roles": {OPS_ADMIN, OPS_FINANCE}})
    async def set_terms(self, ctx: OpsCtx, tenant_id: FromPath[uuid.UUID], data: JSONBody[TermsBody]) -> TermsOut:
        view = await services.set_terms(ctx, tenant_id, _terms_input(data), reason=data.reason)
        return to_schema(view, TermsOut)

    @post("/{tenant_id:uuid}/suspend", operation_id="SuspendMerchant", opt={"roles": {OPS_ADMIN}}, status_code=200)
    async def suspend(self, ctx: OpsCtx, tenant_id: FromPath[uuid.UUID], data: JSONBody[ReasonBody]
                      ) -> dict[str, Any]:
        view = await services.suspend_store(ctx, tenant_id, reason=data.reason)
        return {"tenant_id": str(view.id), "status": view.status}

    @post("/{tenant_id:uuid}/reinstate", operation_id="ReinstateMerchant", opt={"roles": {OPS_ADMIN}},
          status_code=200)
    async def reinstate(self, ctx: OpsCtx, tenant_id: FromPath[uuid.UUID], data: JSONBody[ReasonBody]
                        ) -> dict[str, Any]:
        view = await services.reinstate_store(ctx, tenant_id, reason=data.reason)
        return {"tenant_id": str(view.id), "status": view.status}

    @post("/{tenant_id:uuid}/go-live", operation_id="ApproveMerchantGoLive",
          opt={"roles": {OPS_ADMIN, OPS_REVIEWER}}, status_code=200)
    async def approve_go_live(self, ctx: OpsCtx, tenant_id: FromPath[uuid.UUID], data: JSONBody[NoteBody]
                              ) -> ProfileOut:
        return to_schema(await services.approve_go_live(ctx, tenant_id, note=data.note), ProfileOut)

    @put("/{tenant_id:uuid}/expiry", operation_id="UpdateMerchantExpiry", opt={"roles": {OPS_ADMIN, OPS_REVIEWER}})
    async def update_expiry(self, ctx: OpsCtx, tenant_id: FromPath[uuid.UUID], data: JSONBody[ExpiryBody]
                            ) -> ProfileOut:
        view = await services.update_expiry(ctx, tenant_id, certificate_expires_on=data.certificate_expires_on,
                                            licence_expires_on=data.licence_expires_on,
                                            certificate_number=data.certificate_number, reason=data.reason)
        return to_schema(view, ProfileOut)


class MerchantController(Controller):
    path = "/api/v1/merchant"
    tags = ["merchants"]
    opt = {"auth": "tenant", "roles": {MANAGER}}

    @get("/", operation_id="GetOwnMerchant", opt={"roles": {MANAGER, FINANCE}})
    async def get_own(self, ctx: TenantCtx) -> MerchantOut:
        store = await tenancy.get_own_tenant(ctx)
        profile = await services.get_profile(ctx)
        allowed, why = await services.new_signings_allowed(ctx)
        return MerchantOut(tenant_id=store.id, name=store.name, slug=store.slug, status=store.status,
                           test_mode=store.test_mode, profile=_profile(profile),
                           terms=to_schema(await services.current_terms(ctx), TermsOut),
                           go_live_blockers=services.go_live_blockers(profile), new_signings_allowed=allowed,
                           signings_blocked_reason=why)

    # A query parameter, not a path one: a version number is not an object id (see test_route_isolation).
    @get("/terms", operation_id="GetOwnMerchantTerms", opt={"roles": {MANAGER, FINANCE}})
    async def terms_version(self, ctx: TenantCtx, version: FromQuery[int | None] = None) -> TermsOut:
        """One version of the store's terms (contracts pin one); the current terms without ``version``."""
        if version is None:
            return to_schema(await services.current_terms(ctx), TermsOut)
        return to_schema(await services.terms_version(ctx, version), TermsOut)

    @post("/agreement", operation_id="StartMerchantAgreement", status_code=200)
    async def start_agreement(self, ctx: TenantCtx) -> SignUrlOut:
        url = await services.start_agreement_signing(ctx)
        profile = await services.get_profile(ctx)
        return SignUrlOut(url=url, agreement_status=profile.agreement_status if profile else "unsigned")

    @post("/agreement/refresh", operation_id="RefreshMerchantAgreement", status_code=200)
    async def refresh_agreement(self, ctx: TenantCtx) -> ProfileOut:
        return to_schema(await services.refresh_agreement(ctx), ProfileOut)

    @post("/sub-merchant", operation_id="ApplySubMerchant", status_code=200)
    async def apply_sub_merchant(self, ctx: TenantCtx) -> ProfileOut:
        return to_schema(await services.apply_sub_merchant(ctx), ProfileOut)

    @post("/sub-merchant/refresh", operation_id="RefreshSubMerchant", status_code=200)
    async def refresh_sub_merchant(self, ctx: TenantCtx) -> ProfileOut:
        return to_schema(await services.refresh_sub_merchant(ctx), ProfileOut)

    @post("/go-live-request", operation_id="RequestMerchantGoLive", status_code=200)
    async def request_go_live(self, ctx: TenantCtx) -> ProfileOut:
        return to_schema(await services.request_go_live(ctx), ProfileOut)
