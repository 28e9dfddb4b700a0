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
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig

from pawpay.platform.db.engine import close_pool, start_pool
from pawpay.platform.hooks._manager import PawPayPluginManager, get_plugin_manager
from pawpay.platform.settings import Settings, get_settings
from pawpay.platform.web.deps import DEPENDENCIES
from pawpay.platform.web.errors import exception_to_response
from pawpay.platform.web.guards import access_guard, access_mode
from pawpay.platform.web.middleware import RequestMiddleware

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
    return app
