"""payments/stripe: Connect onboarding, SetupIntent agreements, payouts of held funds, connection test."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import httpx
import pytest

from pawpay.platform.hooks import (
    AgreementRequest,
    AgreementState,
    ChargeRequest,
    ProviderStatus,
    RefundRequest,
    ReleaseRequest,
    SplitReceiver,
    SubMerchantApplication,
)
from pawpay.plugins.payments.stripe.provider import StripePayments

pytestmark = pytest.mark.unit

MakeCtx = Callable[..., Any]
MakeCharge = Callable[..., ChargeRequest]

APPLICATION = SubMerchantApplication(
    application_id="app-1", legal_name="Happy Paws Ltd", registration_number="91310000MA1FL0XX1X",
    contact_name="Li Lei", contact_phone="+85212345678", contact_email="owner@happypaws.example",
)


def _agreement(agreement_id: str = "agr-signed-by-hand") -> AgreementRequest:
    return AgreementRequest(agreement_id=agreement_id, payer_reference="", display_account="Happy Paws rent",
                            max_amount_fen=50_000, period_months=1, first_debit_on=date(2026, 4, 1),
                            return_url="https://pawpay.example/return")


# --- Connect onboarding ------------------------------------------------------------------------------

async def test_onboarding_creates_a_connect_account_with_manual_payouts(
    provider: StripePayments, fake: Any, make_ctx: MakeCtx,
) -> None:
    ctx = make_ctx(connect_account_id=None, connect_account_type="custom")
    result = await provider.onboard_sub_merchant(ctx, APPLICATION)
    assert result.status is ProviderStatus.PENDING
    assert result.raw["requirements_due"]
    [(sent, form)] = fake.posts("/v1/accounts")
    assert sent.headers["idempotency-key"] == f"pawpay-onboard-{ctx.tenant_id}-app-1"
    assert (form["type"], form["country"], form["email"]) == ("custom", "HK", "owner@happypaws.example")
    assert form["settings"]["payouts"]["schedule"]["interval"] == "manual"
    assert form["capabilities"] == {"card_payments": {"requested": "true"}, "transfers": {"requested": "true"}}
    assert form["metadata"] == {"pawpay_tenant_id": ctx.tenant_id, "pawpay_application_id": "app-1"}
    assert await provider.onboard_sub_merchant(ctx, APPLICATION) == result  # replayed, one account
    assert len([a for a in fake.accounts.values() if a["metadata"]]) == 1
    # Until the store enters its acct_ id, the account is found by its metadata.
    assert (await provider.query_sub_merchant(ctx, "app-1")).status is ProviderStatus.PENDING
    fake.approve_account(result.provider_reference)
    approved = await provider.query_sub_merchant(ctx, "app-1")
    assert (approved.status, approved.provider_reference) == (ProviderStatus.SUCCEEDED, result.provider_reference)
    assert (await provider.query_sub_merchant(ctx, "app-other")).error_code == "NOT_FOUND"
    configured = make_ctx(connect_account_id=result.provider_reference, tenant_id=ctx.tenant_id)
    assert (await provider.query_sub_merchant(configured, "app-1")).status is ProviderStatus.SUCCEEDED


# --- agreements ------------------------------------------------------------------------------------

async def test_an_agreement_is_a_customer_and_an_off_session_setup_intent(
    provider: StripePayments, fake: Any, make_ctx: MakeCtx, make_charge: MakeCharge,
) -> None:
    ctx = make_ctx()
    session = await provider.sign_agreement(ctx, _agreement())
    assert session.result.status is ProviderStatus.PENDING
    assert session.action is not None
    setup_id = session.action.payload["setup_intent"]
    assert session.action.payload["client_secret"] == fake.setup_intents[setup_id]["client_secret"]
    [(_, setup_form)] = fake.posts("/v1/setup_intents")
    assert (setup_form["usage"], setup_form["payment_method_types"]) == ("off_session", ["card"])
    assert setup_form["on_behalf_of"] == "acct_1Store"
    assert (await provider.query_agreement(ctx, "agr-signed-by-hand")).state is AgreementState.PENDING_SIGNATURE
    again = await provider.sign_agreement(ctx, _agreement())  # the payer reopens the page
    assert again.action is not None
    assert again.action.payload["setup_intent"] == setup_id
    assert len(fake.customers) == 1
    declined_before_signing = await provider.charge(ctx, make_charge(agreement_id="agr-signed-by-hand"))
    assert declined_before_signing.error_code == "AGREEMENT_NOT_ACTIVE"

    fake.complete_setup(setup_id)  # the payer confirms the card with Stripe.js
    info = await provider.query_agreement(ctx, "agr-signed-by-hand")
    assert (info.state, info.provider_reference, info.raw["payment_method"]) == (
        AgreementState.ACTIVE, setup_id, "pm_card_visa")
    assert info.payer_reference in fake.customers
    assert (await provider.sign_agreement(ctx, _agreement())).result.status is ProviderStatus.SUCCEEDED
    charged = await provider.charge(ctx, make_charge(agreement_id="agr-signed-by-hand"))
    assert charged.status is ProviderStatus.SUCCEEDED


async def test_terminating_detaches_the_card_and_stops_charges(
    provider: StripePayments, fake: Any, make_ctx: MakeCtx, make_charge: MakeCharge,
) -> None:
    ctx = make_ctx()
    session = await provider.sign_agreement(ctx, _agreement("agr-to-end"))
    assert session.action is not None
    fake.complete_setup(session.action.payload["setup_intent"], payment_method="pm_card_mastercard")
    ended = await provider.terminate_agreement(ctx, "agr-to-end", "contract finished")
    assert ended.status is ProviderStatus.SUCCEEDED
    assert fake.posts("/v1/payment_methods/pm_card_mastercard/detach")
    assert fake.customers[ended.provider_reference]["metadata"]["pawpay_agreement_state"] == "terminated"
    assert (await provider.query_agreement(ctx, "agr-to-end")).state is AgreementState.TERMINATED
    charged = await provider.charge(ctx, make_charge(agreement_id="agr-to-end"))
    assert (charged.status, charged.error_code) == (ProviderStatus.FAILED, "AGREEMENT_TERMINATED")
    assert (await provider.terminate_agreement(ctx, "agr-to-end", "again")).status is ProviderStatus.SUCCEEDED
    assert (await provider.terminate_agreement(ctx, "agr-never", "x")).status is ProviderStatus.SUCCEEDED


async def test_another_stores_agreement_is_not_found(
    provider: StripePayments, fake: Any, make_ctx: MakeCtx,
) -> None:
    await provider.sign_agreement(make_ctx(tenant_id="store-a"), _agreement("agr-a"))
    info = await provider.query_agreement(make_ctx(tenant_id="store-b"), "agr-a")
    assert info.state is AgreementState.NOT_FOUND


# --- held funds ------------------------------------------------------------------------------------

async def test_held_funds_are_paid_out_on_the_connected_account_once(
    provider: StripePayments, fake: Any, make_ctx: MakeCtx, make_charge: MakeCharge,
) -> None:
    ctx, request = make_ctx(), make_charge(9900, hold_funds=True)
    await provider.charge(ctx, request)
    release = ReleaseRequest(release_id="rel-1", attempt_id=request.attempt_id)
    released = await provider.release_held_funds(ctx, release)
    assert released.status is ProviderStatus.SUCCEEDED
    [(sent, form)] = fake.posts("/v1/payouts")
    assert sent.headers["stripe-account"] == "acct_1Store"
    assert sent.headers["idempotency-key"] == f"pawpay-release-{ctx.tenant_id}-rel-1"
    # 9900 - 99 fee = 9801 fen transferred, settled as 10585 HKD cents on the store's account
    assert (form["amount"], form["currency"]) == ("10585", "hkd")
    replayed = await provider.release_held_funds(ctx, release)
    assert (replayed.status, replayed.provider_reference) == (ProviderStatus.SUCCEEDED, released.provider_reference)
    again = await provider.release_held_funds(ctx, ReleaseRequest("rel-2", request.attempt_id))
    assert (again.status, again.error_code) == (ProviderStatus.FAILED, "ALREADY_RELEASED")
    assert len(fake.payouts["acct_1Store"]) == 1


async def test_a_partly_refunded_charge_releases_the_rest(
    provider: StripePayments, fake: Any, make_ctx: MakeCtx, make_charge: MakeCharge,
) -> None:
    ctx, request = make_ctx(application_fee_bps=0), make_charge(10_000, hold_funds=True)
    await provider.charge(ctx, request)
    await provider.refund(ctx, RefundRequest("ref-1", request.attempt_id, 2_500, 10_000))
    await provider.release_held_funds(ctx, ReleaseRequest("rel-1", request.attempt_id))
    [(_, form)] = fake.posts("/v1/payouts")
    assert form["amount"] == str(10_800 - 2_700)


async def test_what_cannot_be_released(
    provider: StripePayments, fake: Any, make_ctx: MakeCtx, make_charge: MakeCharge,
) -> None:
    ctx, not_held = make_ctx(), make_charge(9900)
    await provider.charge(ctx, not_held)
    refused = await provider.release_held_funds(ctx, ReleaseRequest("rel-1", not_held.attempt_id))
    assert refused.error_code == "NOT_HELD"
    split = ReleaseRequest("rel-2", not_held.attempt_id, receivers=(SplitReceiver("merchant", "x", 100, "fee"),))
    assert (await provider.release_held_funds(ctx, split)).error_code == "SPLIT_UNSUPPORTED"
    assert fake.posts("/v1/payouts") == []


# --- connection test and limits ------------------------------------------------------------------

async def test_connection_test_checks_the_key_and_the_connect_account(
    provider: StripePayments, fake: Any, make_ctx: MakeCtx,
) -> None:
    assert (await provider.test_connection(make_ctx())).status is ProviderStatus.SUCCEEDED
    assert {r.url.path for r in fake.requests} == {"/v1/balance", "/v1/accounts/acct_1Store"}
    bad_key = await provider.test_connection(make_ctx(secret_key="sk_test_rejected_by_fake"))
    assert (bad_key.status, bad_key.error_code) == (ProviderStatus.FAILED, "AUTH_FAILED")
    missing = await provider.test_connection(make_ctx(connect_account_id="acct_1Missing"))
    assert missing.error_code == "CONNECT_ACCOUNT_NOT_FOUND"
    live = await provider.test_connection(make_ctx(secret_key="sk_live_real_money_key"))
    assert live.error_code == "LIVE_KEY_IN_TEST_MODE"
    test_key_for_live_store = await provider.test_connection(make_ctx(test_mode=False))
    assert test_key_for_live_store.error_code == "TEST_KEY_IN_LIVE_MODE"
    fake.fail_next.append(httpx.ConnectTimeout("no route"))
    unreachable = await provider.test_connection(make_ctx())
    assert (unreachable.status, unreachable.error_code) == (ProviderStatus.NOT_SUBMITTED, "UNREACHABLE")


def test_rail_limits_declare_stripes_caps(provider: StripePayments, make_ctx: MakeCtx) -> None:
    live, test = provider.rail_limits(make_ctx(test_mode=False)), provider.rail_limits(make_ctx())
    assert live.per_debit_max_fen == test.per_debit_max_fen == 99_999_999
    assert (live.requests_per_second, test.requests_per_second) == (100, 25)
    assert live.allowed_hours is None
    assert live.daily_max_fen is None
    assert live.pre_debit_notice_hours == 0
