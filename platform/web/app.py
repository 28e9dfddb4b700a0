"""``create_app()``: the litestar application, assembled from every plugin's contributions."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

from litestar import Litestar
from litestar.datastructures import State
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.plugins import ScalarRenderPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig

from pawpay.platform.db.engine import close_pool, start_pool
from pawpay.platform.hooks._manager import PawPayPluginManager, get_plugin_manager
from pawpay.platform.settings import Settings, get_settings
from pawpay.platform.web.deps import DEPENDENCIES
from pawpay.platform.web.errors import exception_to_response
from pawpay.platform.web.guards import access_guard, access_mode
from pawpay.platform.web.middleware import MULTIPART_OVERHEAD_BYTES, RequestMiddleware
from pawpay.platform.web.schemas import Error

log = logging.getLogger(__name__)

Lifespan = Callable[[Litestar], AbstractAsyncContextManager[None]]


class RouteWithoutAccessRule(Exception):
    """A route handler does not declare ``opt={"auth": ...}``; pawpay refuses to start."""


def check_access_rules(app: Litestar) -> None:
    missing = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if access_mode(handler, route.path) is None:
                missing.append(f"{sorted(handler.http_methods) if hasattr(handler, 'http_methods') else ''} "
                               f"{route.path}")
            elif handler.opt.get("transaction", True) is False and access_mode(handler, route.path) != "public":
                # Without the request transaction the middleware authenticates nobody.
                missing.append(f"{route.path} (opt transaction=False needs auth='public')")
    if missing:
        raise RouteWithoutAccessRule(
            "these routes declare no usable access rule (opt={'auth': 'public'|'tenant'|'platform'|'any'}): "
            + ", ".join(sorted(missing))
        )


_ERROR_DESCRIPTIONS = {
    400: "The request is malformed, e.g. its body is not JSON (BAD_REQUEST)",
    401: "Not signed in (NOT_AUTHENTICATED)",
    403: "Signed in, but not allowed (PERMISSION_DENIED, CSRF_FAILED)",
    404: "No such thing, or another store's (NOT_FOUND)",
    422: "The input is not valid (VALIDATION_FAILED): data.field or data.errors name the fields",
    500: "An unexpected error; nothing was saved (INTERNAL_ERROR): quote data.request_id",
    503: "The database is unavailable; try again (SERVICE_UNAVAILABLE)",
}


# Handler arguments that are not client input: injected by name, or litestar's reserved ones.
_NOT_INPUT = frozenset(DEPENDENCIES) | {"self", "request", "state", "scope", "headers", "cookies", "query"}


def document_errors(app: Litestar) -> None:
    """Give every JSON route the error answers it can give, all with the ``Error`` body, in the
    OpenAPI document (a route's own ``responses`` win). Runs before the document is built."""
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if not isinstance(handler, HTTPRouteHandler) or not handler.resolve_include_in_schema():
                continue
            statuses = {400, 500, 503}  # any request can be malformed; anything can fail
            if access_mode(handler, route.path) != "public":
                statuses |= {401, 403}
            inputs = set(handler.parsed_fn_signature.parameters) - _NOT_INPUT - set(route.path_parameters)
            if inputs:  # a body or query parameters
                statuses.add(422)
            if route.path_parameters:
                statuses.add(404)
            defaults = {
                status: ResponseSpec(data_container=Error, description=_ERROR_DESCRIPTIONS[status],
                                     generate_examples=False)
                for status in sorted(statuses)
            }
            handler.responses = {**defaults, **(handler.responses or {})}


def create_app(
    settings: Settings | None = None,
    plugin_manager: PawPayPluginManager | None = None,
    *,
    manage_pool: bool = True,
    extra_lifespan: Sequence[Lifespan] = (),
) -> Litestar:
    """Build the web application.

    Args:
        settings: defaults to the process settings.
        plugin_manager: defaults to the process plugin manager (entry points loaded).
        manage_pool: start and stop the database pool with the app (off when a test or the
            embedded runner owns the pool on the same event loop).
        extra_lifespan: more lifespan context managers (the embedded worker and scheduler).
    """
    settings = settings or get_settings()
    pm = plugin_manager or get_plugin_manager()

    @asynccontextmanager
    async def pool_lifespan(_: Litestar) -> AsyncIterator[None]:
        if manage_pool:
            await start_pool(settings.database_pool_min, settings.database_pool_max)
        try:
            yield
        finally:
            if manage_pool:
                await close_pool()

    template_dirs: list[Path | os.PathLike[Any] | str] = [Path(d) for d in pm.template_directories()]
    app = Litestar(
        route_handlers=pm.route_handlers(),
        dependencies=DEPENDENCIES,
        guards=[access_guard],
        middleware=[RequestMiddleware()],
        # Uploads: one file of up to PAWPAY_UPLOAD_MAX_BYTES plus the form around it (litestar's
        # default, 10 MB, would refuse a legal upload before the storage check could explain why).
        request_max_body_size=settings.upload_max_bytes + MULTIPART_OVERHEAD_BYTES,
        exception_handlers={Exception: exception_to_response},
        lifespan=[pool_lifespan, *extra_lifespan],
        template_config=TemplateConfig(
            directory=template_dirs,
            engine=JinjaTemplateEngine,
            engine_callback=lambda engine: pm.hook.pawpay_template_environment(
                environment=engine.engine, template_directories=[str(d) for d in template_dirs]
            ),
        )
        if template_dirs else None,
        openapi_config=OpenAPIConfig(
            title="pawpay API",
            version="1",
            path="/api/docs",
            render_plugins=[ScalarRenderPlugin()],
            description="JSON API of pawpay. Errors are always {code, detail, data}.",
        ),
        debug=False,
        logging_config=None,  # pawpay configures logging itself (structured JSON)
        state=State({"settings": settings, "plugin_manager": pm}),
    )
    check_access_rules(app)
    document_errors(app)
    return app
