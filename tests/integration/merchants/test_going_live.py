"""Test mode to live: the merchant agreement e-signed through the store's identity provider, sub-merchant
onboarding at its payment provider, the store's request, the operator's approval (test clock removed);
expiry reminders 30/7/1 days before, each sent once."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from pawpay.platform.audit.services import AuditFilter, list_entries
from pawpay.platform.jobs.services import advance_tenant_clock, get_tenant_clock
from pawpay.platform.merchants import services as merchants
from pawpay.platform.merchants.errors import AgreementAlreadySigned, AlreadyLive, GoLiveNotReady
from pawpay.platform.providers.services import provider_for
from pawpay.platform.tenancy import services as tenancy
from pawpay.platform.tenancy.context import TenantContext
from tests.integration.merchants.conftest import OPS, provision

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("pawpay_database")]


async def _sign(ctx: TenantContext) -> None:
    url = await merchants.start_agreement_signing(ctx)
    assert url is not None
    provider, pctx = await provider_for(ctx, "identity")
    provider.complete_sign_flow(pctx, url.rsplit("/", 1)[-1])


async def test_a_store_goes_live_after_signing_and_onboarding() -> None:
    store = await provision()
    ctx = TenantContext(tenant_id=store.tenant_id, actor_label="boss")
    await advance_tenant_clock(ctx, 3600)
    with pytest.raises(GoLiveNotReady) as caught:
        await merchants.request_go_live(ctx)
    assert caught.value.data["blockers"] == ["agreement_not_signed", "sub_merchant_not_approved"]

    url = await merchants.start_agreement_signing(ctx)
    assert url is not None
    assert (await merchants.get_profile(ctx)).agreement_status == "pending"  # type: ignore[union-attr]
    assert await merchants.start_agreement_signing(ctx) == url  # resuming gives the same flow
    assert (await merchants.refresh_agreement(ctx)).agreement_status == "pending"
    provider, pctx = await provider_for(ctx, "identity")
    provider.complete_sign_flow(pctx, url.rsplit("/", 1)[-1])
    signed = await merchants.refresh_agreement(ctx)
    assert signed.agreement_status == "signed"
    assert signed.agreement_signed_at is not None
    with pytest.raises(AgreementAlreadySigned):
        await merchants.start_agreement_signing(ctx)

    applied = await merchants.apply_sub_merchant(ctx)
    assert applied.sub_merchant_status == "pending"
    approved = await merchants.refresh_sub_merchant(ctx)  # the sandbox approves on the first query
    assert approved.sub_merchant_status == "approved"
    assert approved.sub_merchant_ref

    requested = await merchants.request_go_live(ctx)
    assert requested.go_live_status == "requested"
    await merchants.suspend_store(OPS, store.tenant_id, reason="complaint under review")
    with pytest.raises(GoLiveNotReady) as caught:
        await merchants.approve_go_live(OPS, store.tenant_id)
    assert caught.value.data["blockers"] == ["store_suspended"]
    await merchants.reinstate_store(OPS, store.tenant_id, reason="resolved")
    live = await merchants.approve_go_live(OPS, store.tenant_id, note="checked")
    assert live.go_live_status == "approved"
    assert not (await tenancy.get_tenant(OPS, store.tenant_id)).test_mode
    assert (await get_tenant_clock(ctx)).offset_seconds == 0
    with pytest.raises(AlreadyLive):
        await merchants.approve_go_live(OPS, store.tenant_id)
    with pytest.raises(AlreadyLive):
        await merchants.request_go_live(ctx)
    actions = {e.action for e in (await list_entries(OPS, AuditFilter(tenant_id=store.tenant_id), limit=100))[0]}
    assert {"merchant.agreement_signed", "merchant.sub_merchant_applied", "merchant.go_live_requested",
            "merchant.went_live", "tenant.status_changed", "test_clock.cleared"} <= actions


async def test_the_operator_cannot_approve_an_unready_store() -> None:
    store = await provision()
    await _sign(TenantContext(tenant_id=store.tenant_id))
    await merchants.refresh_agreement(TenantContext(tenant_id=store.tenant_id))
    with pytest.raises(GoLiveNotReady) as caught:
        await merchants.approve_go_live(OPS, store.tenant_id)
    assert caught.value.data["blockers"] == ["sub_merchant_not_approved", "go_live_not_requested"]
    assert (await tenancy.get_tenant(OPS, store.tenant_id)).test_mode


async def test_a_rejected_sub_merchant_application_is_tracked() -> None:
    store = await provision(legal_name="REJECT me Ltd")
    view = await merchants.apply_sub_merchant(TenantContext(tenant_id=store.tenant_id))
    assert view.sub_merchant_status == "rejected"
    assert view.sub_merchant_detail == "APPLICATION_REJECTED"


async def test_expiry_reminders_are_sent_once_each() -> None:
    now = datetime(2026, 11, 22, 2, 0, tzinfo=ZoneInfo("UTC"))
    today = date(2026, 11, 22)
    store = await provision(certificate_expires_on=today + timedelta(days=5),
                            licence_expires_on=today + timedelta(days=30))
    await merchants.send_expiry_reminders(now)
    await merchants.send_expiry_reminders(now)
    sent = await merchants.list_reminders(OPS, store.tenant_id)
    assert sorted((r["kind"], r["days_before"]) for r in sent) == [("certificate", 7), ("licence", 30)]
    assert {r["outcome"] for r in sent} == {"succeeded"}
    await merchants.send_expiry_reminders(now + timedelta(days=4))  # 1 day before the certificate expires
    sent = await merchants.list_reminders(OPS, store.tenant_id)
    assert sorted((r["kind"], r["days_before"]) for r in sent) == [
        ("certificate", 1), ("certificate", 7), ("licence", 30)]
    provider, pctx = await provider_for(TenantContext(tenant_id=store.tenant_id), "notifications")
    if hasattr(provider, "inbox"):
        assert len(provider.inbox(pctx)) >= 3
