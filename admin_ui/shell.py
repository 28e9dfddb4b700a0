"""What every shell page needs: the signed-in principal, the store, navigation, flash messages,
the locale; plus helpers for forms, errors and pagination.

Handlers call ``shell = await Shell.load(request, "admin")`` *first*, before any write: if a
service then fails (a unique violation aborts the request's transaction), the page can still be
re-rendered from what was loaded, without another query.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import urlencode, urlsplit

from litestar import Request
from litestar.datastructures import Cookie
from litestar.response import Redirect, Template

from pawpay.admin_ui.flash import FLASH_COOKIE, Flash, clear_cookie, decode
from pawpay.admin_ui.labels import N_
from pawpay.admin_ui.translations import LOCALE_NAMES, LOCALES, html_lang, request_locale
from pawpay.platform.errors import PawPayError, PermissionDenied
from pawpay.platform.hooks.types import NavItem
from pawpay.platform.identity.principal import Principal
from pawpay.platform.identity.roles import OPERATOR, STAFF
from pawpay.platform.settings import get_settings
from pawpay.platform.tenancy import services as tenancy
from pawpay.platform.tenancy.services import TenantView

ADMIN: Final = "admin"
OPS: Final = "ops"
HOME: Final = {ADMIN: "/admin", OPS: "/ops"}
DEFAULT_LIMIT: Final = 50
MAX_LIMIT: Final = 200
NON_FIELD: Final = "__all__"
_CONTROL = re.compile(r"[\x00-\x1f\x7f\\]")


def home_for(principal: Principal | None) -> str:
    return HOME[OPS] if principal is not None and principal.kind == OPERATOR else HOME[ADMIN]


def safe_next(value: str | None, default: str) -> str:
    """``value`` if it is a same-site relative path (``/admin/...``), else ``default``.

    Refuses absolute and scheme-relative URLs (``https://x``, ``//x``, ``/\\x``) so that a link
    to the login page can never send the user to another site after signing in.
    """
    if not value or not value.startswith("/") or value.startswith("//") or _CONTROL.search(value):
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return default
    return value


def current_url(request: Request[Any, Any, Any]) -> str:
    query = request.scope.get("query_string", b"").decode("latin-1")
    return request.url.path + (f"?{query}" if query else "")


def redirect(path: str, *cookies: Cookie) -> Redirect:
    """303 See Other: the answer to a successful form POST."""
    return Redirect(path=path, status_code=303, cookies=list(cookies))


@dataclass(frozen=True, slots=True)
class NavEntry:
    label: str
    path: str
    active: bool


def visible_nav(items: Iterable[NavItem], roles: frozenset[str], current_path: str, home: str) -> list[NavEntry]:
    """Entries whose roles the user holds (no roles: everyone), the current one marked active."""
    entries = []
    for item in items:
        if item.roles and not roles.intersection(item.roles):
            continue
        active = current_path == item.path or (item.path != home and current_path.startswith(item.path + "/"))
        entries.append(NavEntry(item.label, item.path, active))
    return entries


@dataclass(slots=True)
class Shell:
    request: Request[Any, Any, Any]
    principal: Principal
    area: str
    locale: str
    tenant: TenantView | None
    nav: list[NavEntry]
    flashes: list[Flash] = field(default_factory=list)

    @classmethod
    async def load(cls, request: Request[Any, Any, Any], area: str) -> Shell:
        principal: Principal | None = request.scope.get("user")
        # The route guard already checked the area; pages are for people, not API keys.
        if principal is None or principal.kind not in (STAFF, OPERATOR):
            raise PermissionDenied("pages are for signed-in staff; API keys use /api/v1")
        tenant = None
        if area == ADMIN:
            tenant = await tenancy.get_own_tenant(request.scope["state"]["ctx"])
        pm = request.app.state["plugin_manager"]
        nav = visible_nav(pm.admin_nav(area), principal.roles, request.url.path, HOME[area])
        flashes = decode(request.cookies.get(FLASH_COOKIE))
        return cls(request, principal, area, request_locale(request), tenant, nav, flashes)

    @property
    def time_zone(self) -> str:
        return self.tenant.time_zone if self.tenant else get_settings().time_zone

    def context(self) -> dict[str, Any]:
        return {
            "principal": self.principal,
            "csrf_token": self.principal.csrf_token or "",
            "area": self.area,
            "home": HOME[self.area],
            "tenant": self.tenant,
            "nav": self.nav,
            "flashes": self.flashes,
            "locale": self.locale,
            "html_lang": html_lang(self.locale),
            "locales": [(code, LOCALE_NAMES[code]) for code in LOCALES],
            "time_zone": self.time_zone,
            "current_url": current_url(self.request),
        }

    def render(
        self, template_name: str, context: Mapping[str, Any] | None = None, *, status_code: int = 200,
        cookies: Sequence[Cookie] = (),
    ) -> Template:
        all_cookies = list(cookies)
        if self.flashes:
            all_cookies.append(clear_cookie())
        return Template(
            template_name=template_name,
            context={**self.context(), **(context or {})},
            status_code=status_code,
            cookies=all_cookies,
            # Staff pages show store data: never keep them in shared or back-button caches.
            headers={"cache-control": "no-store"},
        )


# --- forms ------------------------------------------------------------------------------------

FieldErrors = dict[str, str]


def field_errors(exc: PawPayError, rename: Mapping[str, str] | None = None,
                 by_code: Mapping[str, str] | None = None) -> FieldErrors:
    """A service error as ``{form field: message}``: the service's ``data["field"]`` (renamed to the
    form's field name), or a field chosen by error code, else the form-wide ``__all__``."""
    name = exc.data.get("field") or (by_code or {}).get(str(exc.code)) or NON_FIELD
    name = (rename or {}).get(name, name)
    return {name: exc.detail}


def is_form_error(exc: PawPayError) -> bool:
    """Input errors (409, 422) are shown in the form; 403, 404 and the rest go to the error page."""
    return exc.http_status in (409, 422)


# --- pagination -------------------------------------------------------------------------------

def parse_int(raw: str | None, default: int, *, low: int, high: int | None, name: str,
              errors: FieldErrors) -> int:
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        errors[name] = N_("must be a whole number")
        return default
    if value < low or (high is not None and value > high):
        errors[name] = N_("out of range")
        return default
    return value


def parse_window(query: Mapping[str, str], errors: FieldErrors) -> tuple[int, int]:
    limit = parse_int(query.get("limit"), DEFAULT_LIMIT, low=1, high=MAX_LIMIT, name="limit", errors=errors)
    offset = parse_int(query.get("offset"), 0, low=0, high=None, name="offset", errors=errors)
    return limit, offset


@dataclass(frozen=True, slots=True)
class Pager:
    """One page of a list: ``total`` rows, showing ``limit`` from ``offset``; links keep the filters."""

    total: int
    limit: int
    offset: int
    path: str
    params: Mapping[str, str] = field(default_factory=dict)

    def url(self, offset: int) -> str:
        query = {k: v for k, v in self.params.items() if v not in (None, "")}
        query.update({"limit": str(self.limit), "offset": str(max(offset, 0))})
        return f"{self.path}?{urlencode(query)}"

    @property
    def first(self) -> int:
        return min(self.offset + 1, self.total)

    @property
    def last(self) -> int:
        return min(self.offset + self.limit, self.total)

    @property
    def prev_url(self) -> str | None:
        return self.url(self.offset - self.limit) if self.offset > 0 else None

    @property
    def next_url(self) -> str | None:
        return self.url(self.offset + self.limit) if self.offset + self.limit < self.total else None
