"""Staff invitations: one-time link, stored hashed, expires after 7 days, creates the account once."""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta

import asyncpg
import pytest

from pawpay.platform.clock import utcnow
from pawpay.platform.errors import Conflict, NotFound, ValidationFailed
from pawpay.platform.identity import services as identity
from pawpay.platform.identity.roles import FRONT_DESK, MANAGER
from pawpay.platform.tenancy.context import PlatformContext, TenantContext
from pawpay.platform.testing.plugin import PASSWORD, create_store

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("pawpay_database")]

OPS = PlatformContext(actor_label="ops@test")


def _email() -> str:
    return f"invitee-{uuid.uuid4().hex[:8]}@example.com"


async def test_an_invitation_is_stored_hashed_and_accepted_once(owner: asyncpg.Connection) -> None:
    store = await create_store()
    email = _email()
    url, view = await identity.create_invitation(OPS, tenant_id=store.tenant_id, email=email, display_name="小王",
                                                 roles=[MANAGER])
    token = url.removeprefix("/invite/")
    assert view.pending
    assert view.expires_at - view.created_at == timedelta(days=7)
    stored = await owner.fetchval("SELECT token_hash FROM invitation WHERE id = $1", view.id)
    assert stored == hashlib.sha256(token.encode()).hexdigest()
    account = await identity.accept_invitation(token, password=PASSWORD)
    assert (account.email, account.display_name, account.roles) == (email, "小王", [MANAGER])
    assert account.tenant_id == store.tenant_id
    with pytest.raises(NotFound):
        await identity.accept_invitation(token, password=PASSWORD)
    result = await identity.login(email, PASSWORD)
    assert result.principal.tenant_id == store.tenant_id


async def test_an_expired_or_unknown_invitation_is_not_found(owner: asyncpg.Connection) -> None:
    store = await create_store()
    url, view = await identity.create_invitation(OPS, tenant_id=store.tenant_id, email=_email(), display_name="",
                                                 roles=[FRONT_DESK])
    await owner.execute("UPDATE invitation SET expires_at = $1 WHERE id = $2", utcnow() - timedelta(seconds=1),
                        view.id)
    with pytest.raises(NotFound):
        await identity.get_invitation(url.removeprefix("/invite/"))
    with pytest.raises(NotFound):
        await identity.accept_invitation(url.removeprefix("/invite/"), password=PASSWORD)
    with pytest.raises(NotFound):
        await identity.get_invitation("not-a-token")


async def test_a_weak_password_keeps_the_invitation_usable() -> None:
    store = await create_store()
    url, _view = await identity.create_invitation(OPS, tenant_id=store.tenant_id, email=_email(), display_name="",
                                                  roles=[MANAGER])
    token = url.removeprefix("/invite/")
    with pytest.raises(ValidationFailed):
        await identity.accept_invitation(token, password="short")
    assert (await identity.get_invitation(token)).pending


async def test_an_existing_email_or_unknown_role_is_refused() -> None:
    store = await create_store()
    with pytest.raises(Conflict):
        await identity.create_invitation(OPS, tenant_id=store.tenant_id, email=store.manager_email, display_name="",
                                         roles=[MANAGER])
    with pytest.raises(ValidationFailed):
        await identity.create_invitation(OPS, tenant_id=store.tenant_id, email=_email(), display_name="",
                                         roles=["admin"])


async def test_a_store_sees_only_its_own_invitations() -> None:
    a, b = await create_store(), await create_store()
    await identity.create_invitation(TenantContext(tenant_id=a.tenant_id), email=_email(), display_name="",
                                     roles=[FRONT_DESK])
    assert len(await identity.list_invitations(TenantContext(tenant_id=a.tenant_id))) == 1
    assert await identity.list_invitations(TenantContext(tenant_id=b.tenant_id)) == []
