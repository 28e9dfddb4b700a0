"""Identity API: sign in and out, who am I, store staff, operators, API keys."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.datastructures import Cookie
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody

from pawpay.platform.clock import utcnow
from pawpay.platform.identity import services
from pawpay.platform.identity.roles import MANAGER, OPS_ADMIN
from pawpay.platform.identity.schemas import (
    AccountOut,
    ApiKeyOut,
    LoginBody,
    MeOut,
    NewApiKeyBody,
    NewApiKeyOut,
    NewOperatorBody,
    NewStaffBody,
    StaffPatchBody,
)
from pawpay.platform.settings import get_settings
from pawpay.platform.web.deps import CurrentPrincipal, OpsCtx, RequestId, TenantCtx
from pawpay.platform.web.middleware import SESSION_COOKIE, client_ip
from pawpay.platform.web.schemas import Error, to_schema


def session_cookie(token: str, max_age: int | None) -> Cookie:
    # Secure (HTTPS only) in production unless PAWPAY_COOKIE_SECURE says otherwise.
    return Cookie(key=SESSION_COOKIE, value=token, httponly=True, samesite="lax", path="/", max_age=max_age,
                  secure=get_settings().secure_cookies)


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["auth"]

    @post("/login", opt={"auth": "public", "transaction": False}, operation_id="Login", status_code=200,
          responses={
              401: ResponseSpec(Error, description="Wrong e-mail or password (INVALID_CREDENTIALS), or the "
                                "account is locked (ACCOUNT_LOCKED)", generate_examples=False),
              429: ResponseSpec(Error, description="Too many failed logins from this address (RATE_LIMITED); "
                                "see Retry-After", generate_examples=False),
          })
    async def login(
        self, request: Request[Any, Any, Any], data: JSONBody[LoginBody], request_id: RequestId
    ) -> Response[MeOut]:
        result = await services.login(
            data.email, data.password, ip=client_ip(request.scope),
            user_agent=request.headers.get("user-agent", ""), request_id=request_id,
        )
        p = result.principal
        max_age = int((result.expires_at - utcnow()).total_seconds())
        return Response(
            MeOut(kind=p.kind, account_id=p.account_id, tenant_id=p.tenant_id, roles=sorted(p.roles),
                  label=p.label, csrf_token=p.csrf_token),
            cookies=[session_cookie(result.token, max_age)],
        )

    @post("/logout", opt={"auth": "any"}, operation_id="Logout", status_code=204)
    async def logout(self, principal: CurrentPrincipal, request_id: RequestId) -> Response[None]:
        await services.logout(principal, request_id=request_id)
        return Response(None, status_code=204, cookies=[session_cookie("", 0)])

    @get("/me", opt={"auth": "any"}, operation_id="Me")
    async def me(self, principal: CurrentPrincipal) -> MeOut:
        return MeOut(kind=principal.kind, account_id=principal.account_id, tenant_id=principal.tenant_id,
                     roles=sorted(principal.roles), label=principal.label, csrf_token=principal.csrf_token)


class StaffController(Controller):
    """A store's staff accounts, managed by the store manager."""

    path = "/api/v1/staff"
    tags = ["staff"]
    opt = {"auth": "tenant", "roles": {MANAGER}}

    @get("/", operation_id="ListStaff")
    async def list_staff(self, ctx: TenantCtx) -> list[AccountOut]:
        return [to_schema(v, AccountOut) for v in await services.list_staff(ctx)]

    @post("/", operation_id="CreateStaff")
    async def create_staff(self, ctx: TenantCtx, data: JSONBody[NewStaffBody]) -> AccountOut:
        view = await services.create_staff(ctx, email=data.email, password=data.password, roles=data.roles,
                                           display_name=data.display_name)
        return to_schema(view, AccountOut)

    @get("/{account_id:uuid}", operation_id="GetStaff")
    async def get_staff(self, ctx: TenantCtx, account_id: FromPath[uuid.UUID]) -> AccountOut:
        return to_schema(await services.get_staff(ctx, account_id), AccountOut)

    @patch("/{account_id:uuid}", operation_id="UpdateStaff")
    async def update_staff(
        self, ctx: TenantCtx, account_id: FromPath[uuid.UUID], data: JSONBody[StaffPatchBody]
    ) -> AccountOut:
        view = await services.update_staff(ctx, account_id, roles=data.roles, is_active=data.is_active,
                                           display_name=data.display_name)
        return to_schema(view, AccountOut)


class ApiKeyController(Controller):
    path = "/api/v1/api-keys"
    tags = ["api keys"]
    opt = {"auth": "tenant", "roles": {MANAGER}}

    @get("/", operation_id="ListApiKeys")
    async def list_keys(self, ctx: TenantCtx) -> list[ApiKeyOut]:
        return [to_schema(v, ApiKeyOut) for v in await services.list_api_keys(ctx)]

    @post("/", operation_id="CreateApiKey")
    async def create_key(self, ctx: TenantCtx, data: JSONBody[NewApiKeyBody]) -> NewApiKeyOut:
        key, view = await services.create_api_key(ctx, name=data.name, role=data.role)
        return NewApiKeyOut(key=key, api_key=to_schema(view, ApiKeyOut))

    @delete("/{key_id:uuid}", operation_id="RevokeApiKey", status_code=200)
    async def revoke_key(self, ctx: TenantCtx, key_id: FromPath[uuid.UUID]) -> ApiKeyOut:
        return to_schema(await services.revoke_api_key(ctx, key_id), ApiKeyOut)


class OperatorController(Controller):
    path = "/api/v1/ops/operators"
    tags = ["operators"]
    opt = {"auth": "platform", "roles": {OPS_ADMIN}}

    @get("/", operation_id="ListOperators")
    async def list_operators(self, ctx: OpsCtx) -> list[AccountOut]:
        return [to_schema(v, AccountOut) for v in await services.list_operators(ctx)]

    @post("/", operation_id="CreateOperator")
    async def create_operator(self, ctx: OpsCtx, data: JSONBody[NewOperatorBody]) -> AccountOut:
        view = await services.create_operator(ctx, email=data.email, password=data.password, roles=data.roles,
                                              display_name=data.display_name)
        return to_schema(view, AccountOut)
