"""Route decorators for shell pages.

``page_get``/``page_post`` work like litestar's ``get``/``post`` plus one thing: when the app registers
the handler, the shared Jinja environment gets the shell's gettext and filters. The app factory
builds the template engine from the ``pawpay_template_directories`` hook but offers no hook to
configure it; registration is the first moment the shell sees the app, and it comes before any
page (including ``error.html``) can be rendered.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from litestar.enums import HttpMethod
from litestar.handlers import HTTPRouteHandler
from litestar.plugins.jinja import JinjaTemplateEngine

from pawpay.admin_ui.templating import configure_environment

if TYPE_CHECKING:
    from litestar import Litestar


def configure_app_templates(app: Litestar) -> None:
    engine = app.template_engine
    if isinstance(engine, JinjaTemplateEngine):
        pm = app.state.get("plugin_manager")
        directories = pm.template_directories() if pm is not None else []
        configure_environment(engine.engine, directories)


class ShellRouteHandler(HTTPRouteHandler):
    """litestar's route handler, plus the template set-up when the app registers it.

    (Subclassing the base class, not the ``get``/``post`` decorator classes: those are
    deprecated as base classes in litestar 2.x.)
    """

    def on_registration(self, app: Litestar) -> None:
        super().on_registration(app)
        configure_app_templates(app)


def page_get(path: str, **kwargs: Any) -> ShellRouteHandler:
    """``@get`` for shell pages."""
    return ShellRouteHandler(path, http_method=HttpMethod.GET, **kwargs)


def page_post(path: str, **kwargs: Any) -> ShellRouteHandler:
    """``@post`` for shell pages (form submissions); give ``status_code`` explicitly."""
    return ShellRouteHandler(path, http_method=HttpMethod.POST, **kwargs)
