"""payments/stripe charges: request encoding, outcome mapping, idempotency, query, close, refunds."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
import stripe

from pawpay.platform.hooks import ChargeRequest, ProviderError, ProviderStatus, RefundRequest
from pawpay.plugins.payments.stripe.provider import StripePayments

pytestmark = pytest.mark.unit

MakeCtx = Callable[..., Any]
MakeCharge = Callable[..., ChargeRequest]


def _create_posts(fake: Any) -> list[tuple[httpx.Request, dict[str, Any]]]:
    return fake.posts("/v1/payment_intents")


async def test_the_charge_is_an_off_session_destination_charge_with_a_deterministic_key(
    provider: StripePayments, fake: Any, make_ctx: MakeCtx, make_charge: MakeCharge,
) -> None:
    ctx, request = make_ctx(statement_descriptor_suffix="PAWPAY RENT"), make_charge(9900)
    result = await provider.charge(ctx, request)
    assert result.status is ProviderStatus.SUCCEEDED
    [(sent, form)] = _create_posts(fake)
    assert sent.headers["idempotency-key"] == f"pawpay-charge-{ctx.tenant_id}-{request.attempt_id}"
    assert sent.headers["authorization"] == "Bearer sk_test_unit_tests_key"
    pairs = dict(parse_qsl(sent.content.decode()))
    assert pairs["application_fee_amount"] == "99"  # 100 bps of 9900
    assert pairs["transfer_data[destination]"] == "acct_1Store"
    assert pairs["on_behalf_of"] == "acct_1Store"
    assert (pairs["off_session"], pairs["confirm"]) == ("true", "true")
    assert (pairs["amount"], pairs["currency"]) == ("9900", "cny")
    assert pairs["statement_descriptor_suffix"] == "PAWPAY RENT"
    assert form["metadata"] == {"pawpay_tenant_id": ctx.tenant_id, "pawpay_attempt_id": request.attempt_id,
                                "pawpay_payment_id": "pay-1", "pawpay_agreement_id": request.agreement_id,
                                "pawpay_hold_funds": "false"}
    assert pairs["customer"].startswith("cus_")
    assert pairs["payment_method"] == "pm_card_visa"
    assert result.provider_reference == fake.payment_intents[result.provider_reference]["id"]


async def test_the_platform_fee_of_the_request_wins_over_the_configured_bps(
    provider: StripePayments, fake: Any, make_ctx: MakeCtx, make_charge: MakeCharge,
) -> None:
    await provider.charge(make_ctx(on_behalf_of=False), make_charge(10_000, platform_fee_fen=350))
    [(sent, _)] = _create_posts(fake)
    pairs = dict(parse_qsl(sent.content.decode()))
    assert pairs["application_fee_amount"] == "350"
    assert "on_behalf_of" not in pairs


async def test_no_fee_sends_no_application_fee(
    provider: StripePayments, fake: Any, make_ctx: MakeCtx, make_charge: MakeCharge,
) -> None:
    await provider.charge(make_ctx(application_fee_bps=0), make_charge(9900))
    [(sent, _)] = _create_posts(fake)
    assert "application_fee_amount" not in dict(parse_qsl(sent.content.decode()))


@pytest.mark.parametrize(("amount_fen", "status", "code"), [
    (9900, ProviderStatus.SUCCEEDED, None),
    (9902, ProviderStatus.FAILED, "INSUFFICIENT_FUNDS"),
    (9903, ProviderStatus.FAILED, "AUTHENTICATION_REQUIRED"),
    (9904, ProviderStatus.PENDING, None),
    (9905, ProviderStatus.UNKNOWN, "TIMEOUT"),
    (9906, ProviderStatus.NOT_SUBMITTED, "CONNECTION_FAILED"),
    (9907, ProviderStatus.UNKNOWN, "VENDOR_ERROR"),
])
async def test_stripe_outcomes_map_onto_the_five_statuses(
    provider: StripePayments, make_ctx: MakeCtx, make_charge: MakeCharge,
    amount_fen: int, status: ProviderStatus, code: str | None,
) -> None:
    result = await provider.charge(make_ctx(), make_charge(amount_fen))
    assert (result.status, result.error_code) == (status, code)


@pytest.mark.parametrize(("amount_fen", "code"), [(9902, "INSUFFICIENT_FUNDS"), (9903, "AUTHENTICATION_REQUIRED")])
async def test_a_decline_names_the_payment_intent_and_query_agrees(
    provider: StripePayments, fake: Any, make_ctx: MakeCtx, make_charge: MakeCharge, amount_fen: int, code: str,
) -> None:
    ctx, request = make_ctx(), make_charge(amount_fen)
    declined = await provider.charge(ctx, request)
    assert declined.provider_reference in fake.payment_intents
    assert declined.raw["stripe_code"] in {"card_declined", "authentication_required"}
    queried = await provider.query_charge(ctx, request.attempt_id)
    assert (queried.status, queried.error_code, queried.provider_reference) == (
        ProviderStatus.FAILED, code, declined.provider_reference)


async def test_a_lost_response_is_unknown_then_resolved_by_query_without_a_second_debit(
    provider: StripePayments, fake: Any, make_ctx: MakeCtx, make_charge: MakeCharge,
) -> None:
    ctx, request = make_ctx(), make_charge(9905)
    assert (await provider.charge(ctx, request)).status is ProviderStatus.UNKNOWN
    queried = await provider.query_charge(ctx, request.attempt_id)
    assert queried.status is ProviderStatus.SUCCEEDED
    again = await provider.charge(ctx, request)  # the platform re-sends the attempt
    assert (again.status, again.provider_reference) == (ProviderStatus.SUCCEEDED, queried.provider_reference)
    assert len(_create_posts(fake)) == 1
    assert fake.debits(ctx.tenant_id) == 1


async def test_a_refused_connection_is_not_submitted_and_the_retry_uses_the_same_key(
    provider: StripePayments, fake: Any, make_ctx: MakeCtx, make_charge: MakeCharge,
) -> None:
    ctx, request = make_ctx(), make_charge(9900)
    fake.fail_next_post.append(httpx.ConnectError("connection refused"))
    first = await provider.charge(ctx, request)
    assert (first.status, first.error_code) == (ProviderStatus.NOT_SUBMITTED, "CONNECTION_FAILED")
    assert (await provider.query_charge(ctx, request.attempt_id)).error_code == "NOT_FOUND"
    retried = await provider.charge(ctx, request)
    assert retried.status is ProviderStatus.SUCCEEDED
    [(sent, _)] = _create_posts(fake)
    assert sent.headers["idempotency-key"] == first.raw["idempotency_key"]
    assert fake.debits(ctx.tenant_id) == 1


async def test_the_sdk_never_retries_on_its_own(
    provider: StripePayments, fake: Any, make_ctx: MakeCtx, make_charge: MakeCharge,
) -> None:
    ctx = make_ctx()
    fake.fail_next_post.append(httpx.ReadTimeout("slow"))
    result = await provider.charge(ctx, make_charge(9900))
    assert result.status is ProviderStatus.UNKNOWN
    assert _create_posts(fake) == []  # the one POST failed; no second try followed
    assert [r.method for r in fake.requests] == ["GET", "GET", "GET"]  # search charge, search customer, list setups


async def test_a_stored_500_is_replayed_for_the_same_attempt(
    provider: StripePayments, fake: Any, make_ctx: MakeCtx, make_charge: MakeCharge,
) -> None:
    ctx, request = make_ctx(), make_charge(9907)
    assert (await provider.charge(ctx, request)).status is ProviderStatus.UNKNOWN
    assert (await provider.query_charge(ctx, request.attempt_id)).error_code == "NOT_FOUND"
    again = await provider.charge(ctx, request)
    assert (again.status, again.error_code) == (ProviderStatus.UNKNOWN, "VENDOR_ERROR")
    assert fake.payment_intents == {}


async def test_stripe_refuses_a_key_reused_with_other_parameters(
    provider: StripePayments, fake: Any, make_ctx: MakeCtx, make_charge: MakeCharge,
) -> None:
    ctx, request = make_ctx(), make_charge(9907)  # stored 500: no PaymentIntent for the search to find
    await provider.charge(ctx, request)
    changed = ChargeRequest(request.attempt_id, request.payment_id, request.agreement_id, 9807, request.description)
    with pytest.raises(ProviderError) as raised:
        await provider.charge(ctx, changed)
    assert raised.value.code == "IDEMPOTENCY_MISMATCH"


async def test_processing_is_pending_until_stripe_finishes(
    provider: StripePayments, fake: Any, make_ctx: MakeCtx, make_charge: MakeCharge,
) -> None:
    ctx, request = make_ctx(), make_charge(9904)
    pending = await provider.charge(ctx, request)
    assert pending.status is ProviderStatus.PENDING
    closed = await provider.close_charge(ctx, request.attempt_id)
    assert (closed.status, closed.error_code) == (ProviderStatus.UNKNOWN, "PROCESSING")
    fake.payment_intents[pending.provider_reference]["status"] = "succeeded"
    assert (await provider.query_charge(ctx, request.attempt_id)).status is ProviderStatus.SUCCEEDED


async def test_closing_a_failed_attempt_cancels_its_payment_intent(
    provider: StripePayments, fake: Any, make_ctx: MakeCtx, make_charge: MakeCharge,
) -> None:
    ctx, request = make_ctx(), make_charge(9903)
    declined = await provider.charge(ctx, request)
    closed = await provider.close_charge(ctx, request.attempt_id)
    assert closed.status is ProviderStatus.SUCCEEDED
    [(sent, form)] = fake.posts(f"/v1/payment_intents/{declined.provider_reference}/cancel")
    assert sent.headers["idempotency-key"] == f"pawpay-close-{ctx.tenant_id}-{request.attempt_id}"
    assert form == {"cancellation_reason": "abandoned"}
    queried = await provider.query_charge(ctx, request.attempt_id)
    assert (queried.status, queried.error_code) == (ProviderStatus.FAILED, "CANCELED")
    assert (await provider.close_charge(ctx, "att-never-sent")).status is ProviderStatus.SUCCEEDED


async def test_a_charge_needs_the_stores_connect_account_and_an_active_agreement(
    provider: StripePayments, fake: Any, make_ctx: MakeCtx, make_charge: MakeCharge,
) -> None:
    no_account = make_ctx(connect_account_id=None)
    assert (await provider.charge(no_account, make_charge())).error_code == "CONNECT_ACCOUNT_MISSING"
    unknown = await provider.charge(make_ctx(), make_charge(agreement_id="agr-nobody-signed"))
    assert (unknown.status, unknown.error_code) == (ProviderStatus.FAILED, "AGREEMENT_NOT_FOUND")
    too_big = await provider.charge(make_ctx(), make_charge(100_000_000))
    assert too_big.error_code == "AMOUNT_LIMIT_EXCEEDED"
    assert _create_posts(fake) == []


async def test_a_live_key_never_runs_for_a_store_in_test_mode(
    provider: StripePayments, fake: Any, make_ctx: MakeCtx, make_charge: MakeCharge,
) -> None:
    ctx = make_ctx(secret_key="sk_live_real_money_key")
    with pytest.raises(ProviderError) as raised:
        await provider.charge(ctx, make_charge())
    assert raised.value.code == "LIVE_KEY_IN_TEST_MODE"
    assert fake.requests == []


async def test_each_store_calls_with_its_own_key_and_no_global_key_is_set(
    provider: StripePayments, fake: Any, make_ctx: MakeCtx, make_charge: MakeCharge,
) -> None:
    await provider.charge(make_ctx(secret_key="sk_test_store_a_key"), make_charge())
    await provider.charge(make_ctx(secret_key="sk_test_store_b_key"), make_charge())
    keys = {r.headers["authorization"] for r in fake.requests}
    assert keys == {"Bearer sk_test_store_a_key", "Bearer sk_test_store_b_key"}
    assert stripe.api_key is None


# --- refunds ---------------------------------------------------------------------------------------

async def test_refunds_reverse_the_transfer_and_are_idempotent_on_the_refund_id(
    provider: StripePayments, fake: Any, make_ctx: MakeCtx, make_charge: MakeCharge,
) -> None:
    ctx, request = make_ctx(), make_charge(9900)
    await provider.charge(ctx, request)
    refund = RefundRequest(refund_id="ref-1", attempt_id=request.attempt_id, amount_fen=4000,
                           charge_amount_fen=9900, reason="returned the crate")
    first = await provider.refund(ctx, refund)
    assert first.status is ProviderStatus.SUCCEEDED
    assert await provider.refund(ctx, refund) == first
    posts = fake.posts("/v1/refunds")
    assert [p.headers["idempotency-key"] for p, _ in posts] == [f"pawpay-refund-{ctx.tenant_id}-ref-1"] * 2
    assert len(fake.refunds) == 1
    form = posts[0][1]
    assert (form["amount"], form["reverse_transfer"]) == ("4000", "true")
    assert form["metadata"]["pawpay_refund_id"] == "ref-1"
    rest = await provider.refund(ctx, RefundRequest("ref-2", request.attempt_id, 5900, 9900))
    assert rest.status is ProviderStatus.SUCCEEDED
    more = await provider.refund(ctx, RefundRequest("ref-3", request.attempt_id, 1, 9900))
    assert (more.status, more.error_code) == (ProviderStatus.FAILED, "CHARGE_ALREADY_REFUNDED")


async def test_only_a_succeeded_charge_is_refunded(
    provider: StripePayments, fake: Any, make_ctx: MakeCtx, make_charge: MakeCharge,
) -> None:
    ctx, request = make_ctx(), make_charge(9902)
    await provider.charge(ctx, request)
    refused = await provider.refund(ctx, RefundRequest("ref-x", request.attempt_id, 100, 9902))
    assert (refused.status, refused.error_code) == (ProviderStatus.FAILED, "CHARGE_NOT_SUCCEEDED")
    assert fake.posts("/v1/refunds") == []


async def test_query_failures_are_unknown_not_not_found(
    provider: StripePayments, fake: Any, make_ctx: MakeCtx,
) -> None:
    fake.fail_next.append(httpx.ConnectError("down"))
    result = await provider.query_charge(make_ctx(), "att-1")
    assert (result.status, result.error_code) == (ProviderStatus.UNKNOWN, "QUERY_FAILED")


async def test_platform_ids_are_quoted_in_search_queries(
    provider: StripePayments, fake: Any, make_ctx: MakeCtx,
) -> None:
    ctx = make_ctx()
    sneaky = "att' OR metadata['pawpay_tenant_id']:'other"
    assert (await provider.query_charge(ctx, sneaky)).error_code == "NOT_FOUND"
    [sent] = fake.requests
    query = sent.url.params["query"]
    assert query == (f"metadata['pawpay_tenant_id']:'{ctx.tenant_id}' AND "
                     "metadata['pawpay_attempt_id']:'att\\' OR metadata[\\'pawpay_tenant_id\\']:\\'other'")


def test_every_call_has_explicit_timeouts(make_ctx: MakeCtx) -> None:
    from pawpay.plugins.payments.stripe.client import HttpxStripeClient, default_http_client

    client = default_http_client(make_ctx(request_timeout_seconds=12).config)
    assert isinstance(client, HttpxStripeClient)
    timeout = client._client.timeout
    assert (timeout.connect, timeout.read, timeout.write, timeout.pool) == (5.0, 12.0, 12.0, 12.0)
