"""Access rules declared on every route handler: ``opt={"auth": ..., "roles": {...}}``.

``auth`` is one of ``public`` (anyone), ``tenant`` (store staff or a store's API key),
``platform`` (operators), ``any`` (any signed-in principal). ``roles``: the principal must hold
at least one. A handler without ``auth`` is refused at start-up (fail closed).
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from pawpay.platform.errors import NotAuthenticated, PermissionDenied
from pawpay.platform.identity.principal import Principal

AUTH_MODES = frozenset({"public", "tenant", "platform", "any"})


# Framework-made handlers that carry no ``opt``: CORS pre-flight and the OpenAPI documents.
PUBLIC_FRAMEWORK_PREFIXES = ("/api/docs",)


def access_mode(handler: BaseRouteHandler, path: str) -> str | None:
    mode = handler.opt.get("auth")
    if mode is None:
        methods: set[str] = getattr(handler, "http_methods", set())
        if methods == {"OPTIONS"} or path.startswith(PUBLIC_FRAMEWORK_PREFIXES):
            return "public"
    return mode if mode in AUTH_MODES else None


def access_guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    mode = access_mode(handler, connection.scope["path"])
    if mode == "public":
        return
    principal: Principal | None = connection.scope.get("user")
    if principal is None:
        raise NotAuthenticated("sign in first")
    if mode == "tenant" and principal.tenant_id is None:
        raise PermissionDenied("this is for store staff")
    if mode == "platform" and not principal.is_operator:
        raise PermissionDenied("this is for platform operators")
    roles = handler.opt.get("roles")
    if roles and not principal.roles.intersection(roles):
        raise PermissionDenied("your role does not allow this", required_roles=sorted(roles))
