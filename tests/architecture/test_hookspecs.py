"""The plugin contract: documented hookspecs, misspelt hooks and unguarded routes refused at start-up."""

from __future__ import annotations

import inspect

import pluggy
import pytest
from litestar import get

from pawpay.platform.hooks import hookimpl, specs
from pawpay.platform.hooks._manager import build_plugin_manager
from pawpay.platform.web.app import RouteWithoutAccessRule, create_app

pytestmark = pytest.mark.unit


def _hookspecs() -> list[tuple[str, object]]:
    return [
        (name, fn) for name, fn in inspect.getmembers(specs, inspect.isfunction)
        if name.startswith("pawpay_") and hasattr(fn, f"{specs.PROJECT_NAME}_spec")
    ]


def test_there_are_hookspecs() -> None:
    names = {name for name, _ in _hookspecs()}
    assert {"pawpay_piccolo_apps", "pawpay_route_handlers", "pawpay_due_work"} <= names


@pytest.mark.parametrize(("name", "spec"), _hookspecs(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_hookspec_is_documented_with_versionadded(name: str, spec: object) -> None:
    doc = inspect.getdoc(spec) or ""
    assert doc.strip(), f"{name} has no docstring"
    assert "versionadded" in doc, f"{name}: document the API version it appeared in (.. versionadded:: N)"


class _MisspeltHook:
    @hookimpl
    def pawpay_route_handler(self) -> list[object]:  # the spec is pawpay_route_handlers
        return []


def test_a_misspelt_hook_fails_the_start_up() -> None:
    with pytest.raises(pluggy.PluginValidationError, match="pawpay_route_handler"):
        build_plugin_manager(load_entry_points=False, extra_plugins=[_MisspeltHook()])


@get("/api/v1/test-no-rule", sync_to_thread=False)
def _route_without_rule() -> dict[str, str]:
    return {}


class _UnguardedRoutePlugin:
    @hookimpl
    def pawpay_route_handlers(self) -> list[object]:
        return [_route_without_rule]


def test_a_route_without_an_access_rule_refuses_to_start() -> None:
    pm = build_plugin_manager(load_entry_points=False, extra_plugins=[_UnguardedRoutePlugin()])
    with pytest.raises(RouteWithoutAccessRule, match="/api/v1/test-no-rule"):
        create_app(plugin_manager=pm, manage_pool=False)
