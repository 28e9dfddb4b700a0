"""payments/stripe webhooks (real signature code, signatures computed here), config schema, registration."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pydantic
import pytest

from pawpay.platform.hooks import (
    ChargeRequest,
    ProviderStatus,
    RawWebhook,
    WebhookRejected,
    redacted_config,
    secret_fields,
)
from pawpay.platform.hooks._manager import build_plugin_manager
from pawpay.plugins.payments.stripe import plugin as stripe_plugin
from pawpay.plugins.payments.stripe.config import StripePaymentsConfig
from pawpay.plugins.payments.stripe.provider import StripePayments

pytestmark = pytest.mark.unit

MakeCtx = Callable[..., Any]
MakeCharge = Callable[..., ChargeRequest]
Sign = Callable[[bytes, str, int], str]
SECRET = "whsec_unit_tests_secret"


def _raw(ctx: Any, body: bytes, signature: str | None) -> RawWebhook:
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["Stripe-Signature"] = signature
    return RawWebhook("POST", f"/webhooks/payments/stripe/{ctx.tenant_id}", "", headers, body, "3.18.12.63", ctx.now())


def _signed(fake: Any, sign: Sign, ctx: Any, event_type: str, obj: dict[str, Any], **kw: Any) -> RawWebhook:
    timestamp = int(ctx.now().timestamp())
    body = fake.event(event_type, obj, created=timestamp, **kw)
    return _raw(ctx, body, sign(body, SECRET, timestamp))


async def test_payment_intent_events_become_charge_events(
    provider: StripePayments, fake: Any, make_ctx: MakeCtx, make_charge: MakeCharge, sign: Sign,
) -> None:
    ctx, ok, declined = make_ctx(), make_charge(9900), make_charge(9902)
    charged = await provider.charge(ctx, ok)
    failed = await provider.charge(ctx, declined)
    [succeeded_event] = await provider.verify_webhook(ctx, _signed(
        fake, sign, ctx, "payment_intent.succeeded", fake.payment_intents[charged.provider_reference]))
    assert (succeeded_event.kind, succeeded_event.status, succeeded_event.reference, succeeded_event.amount_fen) == (
        "charge.succeeded", ProviderStatus.SUCCEEDED, ok.attempt_id, 9900)
    assert succeeded_event.provider_reference == charged.provider_reference
    assert succeeded_event.occurred_at == ctx.now()
    [failed_event] = await provider.verify_webhook(ctx, _signed(
        fake, sign, ctx, "payment_intent.payment_failed", fake.payment_intents[failed.provider_reference]))
    assert (failed_event.kind, failed_event.status, failed_event.raw["error_code"]) == (
        "charge.failed", ProviderStatus.FAILED, "INSUFFICIENT_FUNDS")


async def test_refund_agreement_and_account_events_are_parsed(
    provider: StripePayments, fake: Any, make_ctx: MakeCtx, make_charge: MakeCharge, sign: Sign,
) -> None:
    ctx, request = make_ctx(), make_charge(9900)
    charged = await provider.charge(ctx, request)
    charge = fake.charges[fake.payment_intents[charged.provider_reference]["latest_charge"]]
    charge["amount_refunded"] = 9900
    [refunded] = await provider.verify_webhook(ctx, _signed(fake, sign, ctx, "charge.refunded", charge))
    assert (refunded.kind, refunded.reference, refunded.amount_fen) == ("charge.refunded", request.attempt_id, 9900)

    setup = {**next(iter(fake.setup_intents.values())), "status": "succeeded"}
    [signed] = await provider.verify_webhook(ctx, _signed(fake, sign, ctx, "setup_intent.succeeded", setup))
    assert (signed.kind, signed.reference, signed.raw["payment_method"]) == (
        "agreement.signed", request.agreement_id, "pm_card_visa")

    account = {**fake.accounts["acct_1Store"], "metadata": {"pawpay_application_id": "app-1"}}
    [updated] = await provider.verify_webhook(ctx, _signed(fake, sign, ctx, "account.updated", account,
                                                           account="acct_1Store"))
    assert (updated.kind, updated.reference, updated.status, updated.raw["account"]) == (
        "sub_merchant.updated", "app-1", ProviderStatus.SUCCEEDED, "acct_1Store")

    assert await provider.verify_webhook(ctx, _signed(fake, sign, ctx, "customer.created", {"id": "cus_1"})) == []
    no_metadata = {"id": "pi_x", "status": "succeeded", "amount": 1, "metadata": None}
    [orphan] = await provider.verify_webhook(ctx, _signed(fake, sign, ctx, "payment_intent.succeeded", no_metadata))
    assert orphan.reference is None


async def test_a_replayed_webhook_gives_the_same_event_id_inside_the_window_and_is_refused_after(
    provider: StripePayments, fake: Any, make_ctx: MakeCtx, make_charge: MakeCharge, sign: Sign,
) -> None:
    ctx, request = make_ctx(), make_charge(9900)
    charged = await provider.charge(ctx, request)
    raw = _signed(fake, sign, ctx, "payment_intent.succeeded", fake.payment_intents[charged.provider_reference])
    first = await provider.verify_webhook(ctx, raw)
    replay = await provider.verify_webhook(ctx, raw)
    assert [e.event_id for e in first] == [e.event_id for e in replay]
    assert first[0].event_id == json.loads(raw.body)["id"]
    later = make_ctx(now=ctx.now() + timedelta(seconds=301), tenant_id=ctx.tenant_id)
    with pytest.raises(WebhookRejected) as stale:
        await provider.verify_webhook(later, raw)
    assert stale.value.code == "STALE"
    inside = make_ctx(now=ctx.now() + timedelta(seconds=299), tenant_id=ctx.tenant_id)
    assert await provider.verify_webhook(inside, raw)
    early = make_ctx(now=ctx.now() - timedelta(seconds=301), tenant_id=ctx.tenant_id)
    with pytest.raises(WebhookRejected):
        await provider.verify_webhook(early, raw)


async def test_tampered_wrongly_signed_and_unsigned_webhooks_are_rejected(
    provider: StripePayments, fake: Any, make_ctx: MakeCtx, make_charge: MakeCharge, sign: Sign,
) -> None:
    ctx, request = make_ctx(), make_charge(9900)
    charged = await provider.charge(ctx, request)
    raw = _signed(fake, sign, ctx, "payment_intent.succeeded", fake.payment_intents[charged.provider_reference])
    cases = {
        "SIGNATURE_INVALID": dataclasses.replace(raw, body=raw.body.replace(b'"amount":9900', b'"amount":1')),
        "SIGNATURE_MISSING": _raw(ctx, raw.body, None),
    }
    timestamp = int(ctx.now().timestamp())
    cases["SIGNATURE_INVALID "] = _raw(ctx, raw.body, sign(raw.body, "whsec_someone_elses_secret", timestamp))
    cases["MALFORMED"] = _raw(ctx, b"not json", sign(b"not json", SECRET, timestamp))
    not_an_event = b'{"object":"event","id":"evt_1","created":1,"data":[]}'
    cases["MALFORMED "] = _raw(ctx, not_an_event, sign(not_an_event, SECRET, timestamp))
    for code, bad in cases.items():
        with pytest.raises(WebhookRejected) as rejected:
            await provider.verify_webhook(ctx, bad)
        assert rejected.value.code == code.strip(), code
    other_store = make_ctx(now=ctx.now())
    with pytest.raises(WebhookRejected) as mismatch:
        await provider.verify_webhook(other_store, raw)
    assert mismatch.value.code == "TENANT_MISMATCH"


def test_the_webhook_ack_is_a_plain_2xx_or_400(provider: StripePayments) -> None:
    assert provider.webhook_ack(True).status_code == 200
    assert provider.webhook_ack(False).status_code == 400


# --- config -------------------------------------------------------------------------------------------

def test_the_config_marks_and_hides_both_secrets() -> None:
    config = StripePaymentsConfig(secret_key="sk_test_abcdefgh123", webhook_signing_secret="whsec_abcdefgh123")
    assert secret_fields(StripePaymentsConfig) == {"secret_key", "webhook_signing_secret"}
    assert "abcdefgh123" not in repr(config)
    assert redacted_config(config)["secret_key"] == "********"
    assert (config.application_fee_bps, config.connect_account_type, config.manual_payouts) == (0, "express", True)


@pytest.mark.parametrize(("field", "value"), [
    ("secret_key", "pk_test_publishable_key"),
    ("webhook_signing_secret", "not-a-whsec"),
    ("application_fee_bps", 10_001),
    ("connect_account_id", "cus_123456"),
    ("statement_descriptor_suffix", "x" * 23),
    ("request_timeout_seconds", 0.1),
])
def test_the_config_refuses_bad_values_without_echoing_secrets(field: str, value: Any) -> None:
    good = {"secret_key": "sk_test_abcdefgh123", "webhook_signing_secret": "whsec_abcdefgh123"}
    with pytest.raises(pydantic.ValidationError) as raised:
        StripePaymentsConfig(**{**good, field: value})
    assert [e["loc"] for e in raised.value.errors()] == [(field,)]
    assert "pk_test_publishable_key" not in str(raised.value.errors(include_input=False))


# --- registration ---------------------------------------------------------------------------------------

def test_the_plugin_registers_payments_stripe() -> None:
    catalog = build_plugin_manager(load_entry_points=False, extra_plugins=[stripe_plugin]).providers()
    registered = catalog.get("payments", "stripe")
    assert isinstance(registered.provider, StripePayments)
    assert registered.config_schema is StripePaymentsConfig
    configured = catalog.create("payments", "stripe", {"secret_key": "sk_test_abcdefgh123",
                                                       "webhook_signing_secret": "whsec_abcdefgh123"})
    assert isinstance(configured.config, StripePaymentsConfig)
    [described] = [d for d in catalog.describe() if d.name == "stripe"]
    assert described.secret_fields == ("secret_key", "webhook_signing_secret")
    assert "funds_hold" in described.capabilities
