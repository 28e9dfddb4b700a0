"""Jinja2 set-up of the shared template environment: gettext, and the shell's filters.

The app factory builds one Jinja environment from every component's template directory; the
shell configures it once through the ``pawpay_template_environment`` hook. The gettext
callables pick the catalog per render from the template context (``locale``, else the
``request``), so one shared environment serves zh-CN and English requests concurrently without
any global "current language".
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, pass_context
from jinja2.runtime import Context

from pawpay.admin_ui.translations import Catalogs, catalog_directories, default_locale, html_lang, request_locale
from pawpay.platform.clock import validate_time_zone
from pawpay.platform.identity.roles import OPERATOR_ROLES, TENANT_ROLES
from pawpay.platform.settings import get_settings

_CONFIGURED = "_pawpay_admin_ui_configured"
STATIC_PATH = "/static/ui"  # where the shell's own CSS/JS are served (see plugin.py)
DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"
DATE_FORMAT = "%Y-%m-%d"


def fen(amount: int | None) -> str:
    """Integer fen as CNY: ``123400`` -> ``¥1,234.00``; negative amounts get a leading minus."""
    if amount is None:
        return ""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError(f"fen expects an integer number of fen, got {type(amount).__name__}")
    yuan, cents = divmod(abs(amount), 100)
    return f"{'-' if amount < 0 else ''}¥{yuan:,}.{cents:02d}"


def zone_of(context: Context | dict[str, Any]) -> ZoneInfo:
    """The time zone pages are shown in: the store's, else the platform's (``PAWPAY_TIME_ZONE``)."""
    name = context.get("time_zone") or get_settings().time_zone
    try:
        return validate_time_zone(name)
    except ValueError:
        return get_settings().zone


def to_local(value: datetime, zone: ZoneInfo) -> datetime:
    if value.tzinfo is None:  # stored times are UTC; a naive one is a bug upstream, not local time
        raise ValueError("naive datetime: pawpay keeps aware UTC times")
    return value.astimezone(zone)


@pass_context
def localtime(context: Context, value: datetime | None, fmt: str = DATETIME_FORMAT) -> str:
    """An aware datetime shown in the page's time zone."""
    if value is None:
        return ""
    return to_local(value, zone_of(context)).strftime(fmt)


@pass_context
def localdate(context: Context, value: datetime | date | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return to_local(value, zone_of(context)).strftime(DATE_FORMAT)
    return value.strftime(DATE_FORMAT)


def static_url(file_name: str) -> str:
    return f"{STATIC_PATH}/{file_name}"


def _json(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def configure_environment(env: Environment, template_directories: list[str]) -> None:
    """Install the i18n extension, gettext callables and filters (idempotent)."""
    if getattr(env, _CONFIGURED, False):
        return
    catalogs = Catalogs(catalog_directories(template_directories))

    def locale_of(context: Context) -> str:
        locale = context.get("locale")
        if not locale:
            request = context.get("request")
            locale = request_locale(request) if request is not None else None
        return str(locale or default_locale())

    def translations_for(context: Context) -> Any:
        return catalogs.get(locale_of(context))

    @pass_context
    def gettext(context: Context, message: str) -> str:
        return str(translations_for(context).gettext(message))

    @pass_context
    def ngettext(context: Context, singular: str, plural: str, n: int) -> str:
        return str(translations_for(context).ngettext(singular, plural, n))

    @pass_context
    def translate(context: Context, message: str | None) -> str:
        """Translate a message that is data (a service's error detail, a nav label), unformatted."""
        return gettext(context, message) if message else ""

    @pass_context
    def role_label(context: Context, role: str) -> str:
        label = TENANT_ROLES.get(role) or OPERATOR_ROLES.get(role)
        return gettext(context, label) if label else role

    @pass_context
    def role_choices(context: Context, roles: Iterable[str]) -> list[tuple[str, str]]:
        """``(role, translated label)`` pairs for a select or a group of checkboxes."""
        return [(role, role_label(context, role)) for role in roles]

    @pass_context
    def page_lang(context: Context) -> str:
        """The page's ``lang`` attribute, also for templates rendered outside the shell."""
        return html_lang(locale_of(context))

    env.add_extension("jinja2.ext.i18n")
    env.policies["ext.i18n.trimmed"] = True
    env.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters.update({
        "fen": fen,
        "localtime": localtime,
        "localdate": localdate,
        "t": translate,
        "role_label": role_label,
        "role_choices": role_choices,
        "as_json": _json,
    })
    env.globals.update({"TENANT_ROLES": TENANT_ROLES, "OPERATOR_ROLES": OPERATOR_ROLES, "page_lang": page_lang,
                        "static_url": static_url})
    setattr(env, _CONFIGURED, True)
