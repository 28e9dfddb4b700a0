"""Registers the admin UI shell: its pages, templates, static files and navigation entries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pawpay.admin_ui.labels import N_
from pawpay.admin_ui.templating import STATIC_PATH
from pawpay.platform.hooks import hookimpl
from pawpay.platform.hooks.types import NavItem
from pawpay.platform.identity.roles import FINANCE, MANAGER, OPS_ADMIN

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"

# Page modules that declare their own ``ROUTES`` (route handlers) and ``NAV`` ({area: [NavItem]}).
DECLARING_PAGE_MODULES: tuple[str, ...] = (
    "business_calendar", "alerts", "applications", "merchants", "settlement",
    "catalog", "plans", "customers", "contracts", "signing",
    "advances", "reconciliation", "reports", "billing", "dunning",
    "fulfilment", "aftersales", "visits", "portal",
)


def _page_modules() -> list[Any]:
    import importlib

    return [importlib.import_module(f"pawpay.admin_ui.pages.{name}") for name in DECLARING_PAGE_MODULES]


@hookimpl
def pawpay_route_handlers() -> list[object]:
    from litestar.static_files import create_static_files_router

    from pawpay.admin_ui.pages import api_keys, audit, auth, home, ops, providers, sandbox, staff

    return [
        auth.login_form, auth.login_submit, auth.logout, auth.switch_locale,
        home.admin_dashboard, home.ops_dashboard,
        audit.admin_audit, audit.ops_audit,
        staff.StaffPages, api_keys.ApiKeyPages, ops.StorePages, ops.OperatorPages,
        providers.ProviderSettingsPages, providers.ProviderOverviewPages,
        sandbox.SandboxInboxPages, sandbox.identity_page, sandbox.identity_complete,
        create_static_files_router(path=STATIC_PATH, directories=[STATIC], name="admin_ui_static",
                                   opt={"auth": "public"}, include_in_schema=False),
        *(handler for module in _page_modules() for handler in module.ROUTES),
    ]


@hookimpl
def pawpay_template_directories() -> list[str]:
    return [str(TEMPLATES)]


@hookimpl
def pawpay_template_environment(environment: Any, template_directories: list[str]) -> None:
    from pawpay.admin_ui.templating import configure_environment

    configure_environment(environment, template_directories)


@hookimpl
def pawpay_admin_nav(area: str) -> list[NavItem]:
    if area == "admin":
        return [
            NavItem(N_("Overview"), "/admin", order=0),
            NavItem(N_("Audit log"), "/admin/audit", frozenset({MANAGER, FINANCE}), order=900),
            NavItem(N_("Staff"), "/admin/staff", frozenset({MANAGER}), order=910),
            NavItem(N_("API keys"), "/admin/api-keys", frozenset({MANAGER}), order=920),
            NavItem(N_("Providers"), "/admin/settings/providers", frozenset({MANAGER}), order=930),
            # The nav hook knows no store: shown to every store; the page explains when a store
            # does not use the sandbox notifier.
            NavItem(N_("Sandbox inbox"), "/admin/sandbox/inbox", order=940),
            *declared_nav(area),
        ]
    if area == "ops":
        return [
            NavItem(N_("Overview"), "/ops", order=0),
            NavItem(N_("Stores"), "/ops/stores", order=10),
            NavItem(N_("Providers"), "/ops/providers", order=20),
            NavItem(N_("Audit log"), "/ops/audit", order=900),
            NavItem(N_("Operators"), "/ops/operators", frozenset({OPS_ADMIN}), order=910),
            *declared_nav(area),
        ]
    return declared_nav(area)


def declared_nav(area: str) -> list[NavItem]:
    return [item for module in _page_modules() for item in module.NAV.get(area, [])]
