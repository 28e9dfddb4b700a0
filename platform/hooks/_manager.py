"""Assemble pawpay from plugins (private: plugins never import this).

Like pytest's ``default_plugins``, the platform's own components are registered first; then
everything in the ``pawpay`` entry-point group (the admin UI, store domains, built-in and
third-party providers). ``check_pending()`` fails the start-up on a misspelt hook.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import pluggy

from pawpay.platform.hooks import specs
from pawpay.platform.hooks.registry import ProviderCatalog
from pawpay.platform.hooks.types import DueWork, NavItem

ENTRY_POINT_GROUP = "pawpay"

# The platform's own components, registered before any entry point (pytest's default_plugins).
DEFAULT_PLUGINS: tuple[str, ...] = (
    "pawpay.platform.ledger.plugin",
    "pawpay.platform.tenancy.plugin",
    "pawpay.platform.identity.plugin",
    "pawpay.platform.audit.plugin",
    "pawpay.platform.providers.plugin",
    "pawpay.platform.webhooks.plugin",
    "pawpay.platform.jobs.plugin",
    "pawpay.platform.web.plugin",
    "pawpay.platform.business_calendar.plugin",
    "pawpay.platform.alerts.plugin",
    "pawpay.platform.storage.plugin",
    "pawpay.platform.onboarding.plugin",
    "pawpay.platform.merchants.plugin",
    "pawpay.platform.settlement.plugin",
    "pawpay.platform.deposits.plugin",
    "pawpay.platform.advances.plugin",
    "pawpay.platform.reconciliation.plugin",
    "pawpay.platform.reports.plugin",
)

# Hooks whose per-plugin results `pawpay plugins list` shows.
CONTRIBUTION_HOOKS: tuple[str, ...] = (
    "pawpay_piccolo_apps",
    "pawpay_route_handlers",
    "pawpay_actor_modules",
    "pawpay_due_work",
    "pawpay_template_directories",
)


@dataclass(frozen=True, slots=True)
class PluginInfo:
    name: str
    distribution: str
    contributions: dict[str, list[str]]


class PawPayPluginManager(pluggy.PluginManager):
    """pluggy's manager plus typed accessors for what components contribute."""

    def __init__(self, project_name: str) -> None:
        super().__init__(project_name)
        self._provider_catalog: ProviderCatalog | None = None

    def _collect(self, hook_name: str, **kwargs: Any) -> list[Any]:
        results = getattr(self.hook, hook_name)(**kwargs)
        return [item for contribution in results for item in contribution]

    def piccolo_apps(self) -> list[str]:
        return sorted(set(self._collect("pawpay_piccolo_apps")))

    def route_handlers(self) -> list[Any]:
        return self._collect("pawpay_route_handlers")

    def actor_modules(self) -> list[str]:
        return sorted(set(self._collect("pawpay_actor_modules")))

    def due_work(self) -> list[DueWork]:
        return self._collect("pawpay_due_work")

    def template_directories(self) -> list[str]:
        return self._collect("pawpay_template_directories")

    def admin_nav(self, area: str) -> list[NavItem]:
        return sorted(self._collect("pawpay_admin_nav", area=area), key=lambda item: (item.order, item.path))

    def providers(self) -> ProviderCatalog:
        """Every registered provider, collected once through ``pawpay_register_providers``.

        Each plugin's implementation is called on its own, with a registry that knows the
        plugin's name, so a refused registration fails the start-up naming the plugin.
        """
        if self._provider_catalog is None:
            catalog = ProviderCatalog()
            # get_hookimpls() lists in load order (calls run in reverse); registering in load order
            # makes a duplicate-key error name the later plugin.
            for impl in self.hook.pawpay_register_providers.get_hookimpls():
                kwargs = {"registry": catalog.for_plugin(impl.plugin_name)}
                impl.function(**{name: kwargs[name] for name in impl.argnames})
            self._provider_catalog = catalog
        return self._provider_catalog

    def describe(self) -> list[PluginInfo]:
        """Every registered plugin and what it contributes, for ``pawpay plugins list``."""
        dists = {
            id(plugin): f"{dist.project_name} {dist.version}" for plugin, dist in self.list_plugin_distinfo()
        }
        infos = []
        for name, plugin in self.list_name_plugin():
            if plugin is None:
                continue
            contributions: dict[str, list[str]] = {}
            for hook_name in CONTRIBUTION_HOOKS:
                for impl in getattr(self.hook, hook_name).get_hookimpls():
                    if impl.plugin is plugin:
                        items: Sequence[Any] = impl.function()
                        contributions[hook_name] = [_describe(item) for item in items]
            for impl in self.hook.pawpay_admin_nav.get_hookimpls():
                if impl.plugin is plugin:
                    contributions["pawpay_admin_nav"] = [
                        f"{area}: {item.path}"
                        for area in ("admin", "ops")
                        for item in cast("Iterable[NavItem]", impl.function(area=area))
                    ]
            provided = [p.key for p in self.providers().all() if p.plugin == name]
            if provided:
                contributions["providers"] = provided
            for hook_name in ("pawpay_tenant_created", "pawpay_audit_recorded", "pawpay_provider_event",
                              "pawpay_contract_signed", "pawpay_demo_store_seeded"):
                if any(impl.plugin is plugin for impl in getattr(self.hook, hook_name).get_hookimpls()):
                    contributions.setdefault("listens to", []).append(hook_name)
            infos.append(PluginInfo(name, dists.get(id(plugin), "pawpay (built in)"), contributions))
        return infos


def _describe(item: Any) -> str:
    if isinstance(item, str):
        return item
    path = getattr(item, "path", None) or getattr(item, "paths", None)
    name = getattr(item, "name", None) or getattr(item, "__name__", type(item).__name__)
    if isinstance(path, set | frozenset | list | tuple):
        path = ", ".join(sorted(str(p) for p in path))
    return f"{name} {path}" if path else str(name)


def build_plugin_manager(
    *, load_entry_points: bool = True, extra_plugins: Sequence[object] = ()
) -> PawPayPluginManager:
    pm = PawPayPluginManager(specs.PROJECT_NAME)
    pm.add_hookspecs(specs)
    for module_name in DEFAULT_PLUGINS:
        pm.register(importlib.import_module(module_name), name=module_name)
    if load_entry_points:
        pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    for plugin in extra_plugins:
        pm.register(plugin)
    pm.check_pending()
    return pm


@functools.cache
def get_plugin_manager() -> PawPayPluginManager:
    """The process's plugin manager (built on first use)."""
    return build_plugin_manager()
