"""Clients for the integration tests: each signed in as someone, each from its own address."""

from __future__ import annotations

import ipaddress
import secrets
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import pytest

from pawpay.platform.identity import services as identity
from pawpay.platform.identity.roles import TENANT_ROLES
from pawpay.platform.tenancy.context import PlatformContext
from pawpay.platform.testing.plugin import PASSWORD, login


def random_address() -> str:
    """A client address of its own, so that one test's failed logins never throttle another's."""
    return str(ipaddress.IPv4Address(0x0A000000 + secrets.randbelow(1 << 24)))  # 10.0.0.0/8

ClientFactory = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def new_client(pawpay_app: Any) -> ClientFactory:
    """``async with new_client() as c``: an anonymous client of the real app from a fresh address."""

    @asynccontextmanager
    async def factory(app: Any = None) -> AsyncIterator[httpx.AsyncClient]:
        transport = httpx.ASGITransport(app=app or pawpay_app, client=(random_address(), 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://pawpay.test") as client:
            yield client

    return factory


async def create_staff_account(store: Any, roles: list[str]) -> tuple[uuid.UUID, str]:
    """A staff account of ``store`` (created as an operator would); returns its id and e-mail."""
    email = f"staff-{uuid.uuid4().hex[:8]}@{store.slug}.test"
    view = await identity.create_staff(PlatformContext(actor_label="test"), tenant_id=store.tenant_id, email=email,
                                       password=PASSWORD, roles=roles, display_name="Staff")
    return view.id, email


@pytest.fixture(scope="module")
async def b_all_roles(store_b: Any) -> str:
    """A store-B account holding every store role, so that role guards never hide a 404."""
    _, email = await create_staff_account(store_b, list(TENANT_ROLES))
    return email


@pytest.fixture
def make_staff() -> Callable[..., Any]:
    """``await make_staff(store, roles)`` -> (account id, e-mail)."""
    return create_staff_account


@pytest.fixture
def signed_in(new_client: ClientFactory) -> ClientFactory:
    """``async with signed_in(email) as c``: a client with a session (and its CSRF header set)."""

    @asynccontextmanager
    async def factory(email: str) -> AsyncIterator[httpx.AsyncClient]:
        async with new_client() as client:
            await login(client, email)
            yield client

    return factory
