"""Fixtures for the admin UI's page tests: a browser-like client (asks for HTML, keeps cookies,
posts forms with the page's CSRF token), one client address per client so that the login
throttle (per address) of one test never spills into another."""

from __future__ import annotations

import itertools
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from pawpay.platform.testing.plugin import PASSWORD

_CSRF_RE = re.compile(r'name="_csrf" value="([^"]+)"')
_addresses = itertools.count(1)


def client_address() -> tuple[str, int]:
    """A fresh address from TEST-NET-2 (198.51.100.0/24, then onwards) for each client."""
    n = next(_addresses)
    return (f"198.51.{100 + n // 250}.{n % 250 + 1}", 40000)


@dataclass
class Browser:
    """An httpx client that behaves like a browser on the shell's pages."""

    client: httpx.AsyncClient

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.client.get(path, **kwargs)

    async def login(self, email: str, password: str = PASSWORD, next_path: str = "") -> httpx.Response:
        response = await self.client.post("/login", data={"email": email, "password": password, "next": next_path})
        return response

    async def sign_in(self, email: str, password: str = PASSWORD) -> None:
        response = await self.login(email, password)
        assert response.status_code == 303, response.text

    async def csrf(self, path: str = "/admin") -> str:
        page = await self.client.get(path)
        match = _CSRF_RE.search(page.text)
        assert match, f"no CSRF field on {path} ({page.status_code})"
        return match.group(1)

    async def submit(self, path: str, data: dict[str, Any] | list[tuple[str, str]], *, csrf_from: str | None = None,
                     with_csrf: bool = True) -> httpx.Response:
        """POST a form as the browser would, with the ``_csrf`` field from ``csrf_from`` (a page)."""
        items = list(data.items()) if isinstance(data, dict) else list(data)
        if with_csrf:
            items.append(("_csrf", await self.csrf(csrf_from or path)))
        return await self.client.post(path, data=_flatten(items))


def _flatten(items: list[tuple[str, Any]]) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in items:
        if key in flat:
            current = flat[key]
            flat[key] = [*current, value] if isinstance(current, list) else [current, value]
        elif isinstance(value, list | tuple):
            flat[key] = list(value)
        else:
            flat[key] = value
    return flat


@pytest.fixture
async def new_browser(pawpay_app: Any) -> AsyncIterator[Callable[[], Awaitable[Browser]]]:
    """Make as many independent browsers (cookie jars, addresses) as a test needs."""
    clients: list[httpx.AsyncClient] = []

    async def make(locale: str | None = None) -> Browser:
        transport = httpx.ASGITransport(app=pawpay_app, client=client_address())
        client = httpx.AsyncClient(transport=transport, base_url="http://pawpay.test",
                                   headers={"accept": "text/html,application/xhtml+xml"})
        if locale:
            client.cookies.set("pawpay_locale", locale)
        clients.append(client)
        return Browser(client)

    yield make
    for client in clients:
        await client.aclose()


@pytest.fixture
async def browser(new_browser: Callable[[], Awaitable[Browser]]) -> Browser:
    return await new_browser()


@pytest.fixture
def make_staff() -> Callable[..., Awaitable[str]]:
    """Add a staff account with ``roles`` to a store (through the identity service); returns its e-mail."""
    import uuid

    from pawpay.platform.identity.services import create_staff
    from pawpay.platform.tenancy.context import PlatformContext

    async def make(tenant_id: uuid.UUID, *roles: str, email: str | None = None) -> str:
        email = email or f"staff-{uuid.uuid4().hex[:8]}@example.test"
        await create_staff(PlatformContext(actor_label="test"), tenant_id=tenant_id, email=email,
                           password=PASSWORD, roles=list(roles), display_name="Staff")
        return email

    return make


@pytest.fixture
def make_operator() -> Callable[..., Awaitable[str]]:
    import uuid

    from pawpay.platform.identity.services import create_operator
    from pawpay.platform.tenancy.context import PlatformContext

    async def make(*roles: str) -> str:
        email = f"op-{uuid.uuid4().hex[:8]}@pawpay.test"
        await create_operator(PlatformContext(actor_label="test"), email=email, password=PASSWORD,
                              roles=list(roles), display_name="Op")
        return email

    return make
