"""Provisioning a store: tenant in test mode, profile (ID sealed), terms v1, manager invitation, sandbox
providers by default; signing allowed or not; suspension; isolation between stores."""

from __future__ import annotations

import uuid
from datetime import date

import asyncpg
import pytest

from pawpay.platform.audit.services import AuditFilter, list_entries
from pawpay.platform.errors import Conflict, NotFound, ValidationFailed
from pawpay.platform.identity import services as identity
from pawpay.platform.merchants import services as merchants
from pawpay.platform.merchants.errors import StatusUnchanged
from pawpay.platform.providers.services import get_store_provider
from pawpay.platform.tenancy import services as tenancy
from pawpay.platform.tenancy.context import TenantContext
from pawpay.platform.testing.plugin import PASSWORD, create_store
from tests.integration.merchants.conftest import OPS, RESIDENT_ID, profile, provision

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("pawpay_database")]


async def test_provisioning_creates_a_test_mode_store_with_profile_terms_and_invitation(
    owner: asyncpg.Connection,
) -> None:
    store = await provision()
    tenant = await tenancy.get_tenant(OPS, store.tenant_id)
    assert tenant.test_mode
    assert tenant.status == "active"
    ctx = TenantContext(tenant_id=store.tenant_id)
    terms = await merchants.current_terms(ctx)
    assert terms.version == 1
    assert terms.as_input() == merchants.default_terms()
    view = await merchants.get_profile(ctx)
    assert view is not None
    assert view.legal_rep_id_masked == "1101**********002X"
    assert (view.agreement_status, view.sub_merchant_status, view.go_live_status) == ("unsigned", "not_started",
                                                                                      "none")
    sealed = await owner.fetchval("SELECT legal_rep_id_sealed FROM merchant_profile WHERE tenant_id = $1",
                                  store.tenant_id)
    assert RESIDENT_ID not in sealed
    assert store.invitation_url.startswith("/invite/")
    invitation = await identity.get_invitation(store.invitation_url.removeprefix("/invite/"))
    assert invitation.tenant_id == store.tenant_id
    assert invitation.roles == ["manager"]
    # Sandboxes everywhere: payments' needs settings, so provisioning configures it; the others are defaults.
    payments = await get_store_provider(ctx, "payments")
    assert (payments.provider_name, payments.configured) == ("sandbox", True)
    for category in ("identity", "notifications", "credit", "warehouses", "financing"):
        chosen = await get_store_provider(ctx, category)
        assert chosen.provider_name == "sandbox"
        assert chosen.is_default
    entries, _ = await list_entries(OPS, AuditFilter(tenant_id=store.tenant_id, action="merchant.provisioned"))
    assert len(entries) == 1
    assert RESIDENT_ID not in str(entries[0].after)


async def test_a_bad_profile_names_the_field_and_creates_nothing() -> None:
    with pytest.raises(ValidationFailed) as caught:
        await provision(uscc="91110000802100433C")
    assert caught.value.data["field"] == "uscc"
    with pytest.raises(ValidationFailed) as caught:
        await provision(legal_rep_id_number="110105194912310021")
    assert caught.value.data["field"] == "legal_rep_id_number"
    with pytest.raises(ValidationFailed) as caught:
        await provision(contact_phone="call me")
    assert caught.value.data["field"] == "contact_phone"


async def test_a_taken_slug_is_a_conflict() -> None:
    store = await provision()
    with pytest.raises(Conflict):
        await merchants.provision_store(OPS, slug=store.slug, name="again", profile=profile(),
                                        terms=merchants.default_terms(), manager_email="x@y.test", manager_name="x")


async def test_signings_stop_when_suspended_or_expired_and_resume_when_renewed() -> None:
    store = await provision(licence_expires_on=date(2020, 1, 1))
    ctx = TenantContext(tenant_id=store.tenant_id)
    assert await merchants.new_signings_allowed(ctx) == (False, "licence_expired")
    await merchants.update_expiry(OPS, store.tenant_id, certificate_expires_on=date(2030, 1, 1),
                                  licence_expires_on=date(2035, 1, 1), reason="licence renewed")
    assert await merchants.new_signings_allowed(ctx) == (True, None)
    await merchants.update_expiry(OPS, store.tenant_id, certificate_expires_on=date(2021, 1, 1),
                                  licence_expires_on=None, reason="typo")
    assert await merchants.new_signings_allowed(ctx) == (False, "certificate_expired")
    await merchants.update_expiry(OPS, store.tenant_id, certificate_expires_on=date(2031, 1, 1),
                                  licence_expires_on=None, reason="renewed")
    await merchants.suspend_store(OPS, store.tenant_id, reason="complaints under review")
    assert await merchants.new_signings_allowed(ctx) == (False, "store_suspended")
    assert (await tenancy.get_tenant(OPS, store.tenant_id)).status == "suspended"
    with pytest.raises(StatusUnchanged):
        await merchants.suspend_store(OPS, store.tenant_id, reason="again")
    await merchants.reinstate_store(OPS, store.tenant_id, reason="resolved")
    assert await merchants.new_signings_allowed(ctx) == (True, None)
    entries, _ = await list_entries(OPS, AuditFilter(tenant_id=store.tenant_id, action="tenant.status_changed"))
    assert len(entries) == 2
    with pytest.raises(ValidationFailed):
        await merchants.suspend_store(OPS, store.tenant_id, reason=" ")


async def test_a_store_without_a_profile_may_sign() -> None:
    store = await create_store()
    assert await merchants.new_signings_allowed(TenantContext(tenant_id=store.tenant_id)) == (True, None)


async def test_another_stores_profile_is_invisible() -> None:
    a = await provision()
    b = await create_store()
    assert await merchants.get_profile(TenantContext(tenant_id=b.tenant_id)) is None
    assert await merchants.get_profile(TenantContext(tenant_id=a.tenant_id)) is not None
    with pytest.raises(NotFound):
        await merchants.refresh_sub_merchant(TenantContext(tenant_id=b.tenant_id))


async def test_the_store_list_shows_terms_and_filters() -> None:
    store = await provision(licence_expires_on=date(2020, 1, 1))
    stores, _total = await merchants.list_stores(OPS, search=store.slug)
    assert [s.id for s in stores] == [store.tenant_id]
    assert stores[0].expired
    assert stores[0].terms_version == 1
    assert stores[0].test_mode
    assert (await merchants.list_stores(OPS, search=store.slug, mode="live"))[0] == []
    assert (await merchants.list_stores(OPS, search=store.slug, expiring=True))[1] == 1
    assert (await merchants.list_stores(OPS, search=store.slug, status="suspended"))[1] == 0


async def test_the_manager_accepts_the_invitation_once() -> None:
    store = await provision()
    token = store.invitation_url.removeprefix("/invite/")
    account = await identity.accept_invitation(token, password=PASSWORD, display_name="王店长")
    assert account.tenant_id == store.tenant_id
    assert account.roles == ["manager"]
    with pytest.raises(NotFound):
        await identity.accept_invitation(token, password=PASSWORD)
    with pytest.raises(NotFound):
        await identity.get_invitation(token)
    assert uuid.UUID(str(account.id))
