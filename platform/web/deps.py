"""Dependencies every handler may ask for by name: ``ctx``, ``principal``, ``request_id``."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.di import NamedDependency, Provide

from pawpay.platform.errors import NotAuthenticated
from pawpay.platform.identity.principal import Principal
from pawpay.platform.tenancy.context import PlatformContext, TenantContext


def provide_ctx(request: Request[Any, Any, Any]) -> TenantContext | PlatformContext:
    ctx = request.scope.get("state", {}).get("ctx")
    if not isinstance(ctx, TenantContext | PlatformContext):
        raise NotAuthenticated("sign in first")
    return ctx


def provide_principal(request: Request[Any, Any, Any]) -> Principal | None:
    user = request.scope.get("user")
    return user if isinstance(user, Principal) else None


def provide_request_id(request: Request[Any, Any, Any]) -> str:
    return str(request.scope.get("state", {}).get("request_id", ""))


DEPENDENCIES = {
    "ctx": Provide(provide_ctx, sync_to_thread=False),
    "principal": Provide(provide_principal, sync_to_thread=False),
    "request_id": Provide(provide_request_id, sync_to_thread=False),
}


# Handler parameter annotations (litestar injects by name; NamedDependency marks it explicitly).
TenantCtx = NamedDependency[TenantContext]
OpsCtx = NamedDependency[PlatformContext]
CurrentPrincipal = NamedDependency[Principal]
RequestId = NamedDependency[str]
