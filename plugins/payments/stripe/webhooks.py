"""Stripe webhooks: the ``Stripe-Signature`` check on the raw body, and events as contract DTOs.

The signature (``t=<unix>,v1=hex(HMAC-SHA256(whsec, "<t>.<body>"))``) is checked by the SDK's
``WebhookSignature.verify_header`` over the exact bytes received. Freshness is checked here, not
by the SDK, against the *store's* clock (``ctx.now()``, a test clock in test mode) with Stripe's
300-second tolerance, in both directions.

Events carry our metadata (``pawpay_tenant_id``, ``pawpay_attempt_id``, ...), set on every object
the provider creates; an event about another store's object is rejected. Event types nobody
handles parse to no events (the platform still answers 200, so Stripe stops resending them).
"""

from __future__ import annotations

import json
import typing
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import stripe

from pawpay.platform.hooks import (
    ProviderContext,
    ProviderStatus,
    RawWebhook,
    WebhookAck,
    WebhookEvent,
    WebhookRejected,
)
from pawpay.plugins.payments.stripe.config import StripePaymentsConfig

TOLERANCE_SECONDS = 300
SIGNATURE_HEADER = "stripe-signature"

META_TENANT = "pawpay_tenant_id"
META_ATTEMPT = "pawpay_attempt_id"
META_AGREEMENT = "pawpay_agreement_id"
META_APPLICATION = "pawpay_application_id"
META_REFUND = "pawpay_refund_id"


def _signed_at(header: str) -> datetime:
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t":
            try:
                return datetime.fromtimestamp(int(value), tz=UTC)
            except (ValueError, OverflowError):
                break
    raise WebhookRejected("the Stripe-Signature header has no valid timestamp", code="MALFORMED")


def verify(ctx: ProviderContext[StripePaymentsConfig], raw: RawWebhook) -> Mapping[str, Any]:
    """The event object of a verified webhook.

    Raises:
        WebhookRejected: ``SIGNATURE_MISSING``, ``SIGNATURE_INVALID`` (tampered body, other
            secret), ``STALE`` (outside 300 s of the store's clock), ``MALFORMED`` or
            ``TENANT_MISMATCH``.
    """
    header = next((v for k, v in raw.headers.items() if k.lower() == SIGNATURE_HEADER), None)
    if not header:
        raise WebhookRejected("no Stripe-Signature header", code="SIGNATURE_MISSING")
    try:
        payload = raw.body.decode("utf-8")
    except UnicodeDecodeError:
        raise WebhookRejected("the webhook body is not UTF-8", code="MALFORMED") from None
    secret = ctx.config.webhook_signing_secret.get_secret_value()
    try:
        stripe.WebhookSignature.verify_header(payload, header, secret, tolerance=None)
    except stripe.SignatureVerificationError as exc:
        raise WebhookRejected(f"the Stripe signature does not verify: {exc.user_message}",
                              code="SIGNATURE_INVALID") from None
    age = (ctx.now() - _signed_at(header)).total_seconds()
    if abs(age) > TOLERANCE_SECONDS:
        raise WebhookRejected(f"the webhook was signed {age:.0f} s from the store's clock", code="STALE")
    try:
        event = json.loads(payload)
    except ValueError as exc:
        raise WebhookRejected(f"malformed Stripe event: {exc}", code="MALFORMED") from None
    data = event.get("data") if isinstance(event, dict) else None
    if not (isinstance(data, dict) and isinstance(data.get("object"), dict) and event.get("object") == "event"
            and isinstance(event.get("id"), str) and isinstance(event.get("created"), int)):
        raise WebhookRejected("the body is not a Stripe event", code="MALFORMED")
    tenant = _metadata(data["object"]).get(META_TENANT)
    if tenant is not None and tenant != ctx.tenant_id:
        raise WebhookRejected("the event concerns another store's object", code="TENANT_MISMATCH")
    verified: Mapping[str, Any] = event
    return verified


def _metadata(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    metadata: object = obj.get("metadata")
    return typing.cast("Mapping[str, Any]", metadata) if isinstance(metadata, dict) else {}


def account_status(account: Mapping[str, Any]) -> ProviderStatus:
    if account.get("charges_enabled") and account.get("payouts_enabled"):
        return ProviderStatus.SUCCEEDED
    return ProviderStatus.PENDING


def _payment_error_code(obj: Mapping[str, Any]) -> str:
    error = obj.get("last_payment_error") or obj.get("last_setup_error") or {}
    return str(error.get("decline_code") or error.get("code") or "payment_failed").upper()


def refund_status(refund: Mapping[str, Any]) -> ProviderStatus:
    return {"succeeded": ProviderStatus.SUCCEEDED, "pending": ProviderStatus.PENDING,
            "requires_action": ProviderStatus.PENDING}.get(str(refund.get("status")), ProviderStatus.FAILED)


# type -> (our kind, metadata key of the reference, status from the object, amount field)
_Parser = tuple[str, str, Callable[[Mapping[str, Any]], ProviderStatus], str | None]
_PARSERS: Mapping[str, _Parser] = {
    "payment_intent.succeeded": ("charge.succeeded", META_ATTEMPT, lambda o: ProviderStatus.SUCCEEDED, "amount"),
    "payment_intent.payment_failed": ("charge.failed", META_ATTEMPT, lambda o: ProviderStatus.FAILED, "amount"),
    "charge.refunded": ("charge.refunded", META_ATTEMPT, lambda o: ProviderStatus.SUCCEEDED, "amount_refunded"),
    "refund.updated": ("refund.updated", META_REFUND, refund_status, "amount"),
    "setup_intent.succeeded": ("agreement.signed", META_AGREEMENT, lambda o: ProviderStatus.SUCCEEDED, None),
    "setup_intent.setup_failed": ("agreement.failed", META_AGREEMENT, lambda o: ProviderStatus.FAILED, None),
    "account.updated": ("sub_merchant.updated", META_APPLICATION, account_status, None),
}


def parse(event: Mapping[str, Any]) -> Sequence[WebhookEvent]:
    """The contract events of a verified Stripe event (none for types we do not handle)."""
    parser = _PARSERS.get(str(event.get("type")))
    if parser is None:
        return []
    kind, reference_key, status_of, amount_field = parser
    obj: Mapping[str, Any] = event["data"]["object"]
    status = status_of(obj)
    amount = obj.get(amount_field) if amount_field else None
    raw: dict[str, Any] = {"type": event["type"], "livemode": bool(event.get("livemode")),
                           "stripe_status": obj.get("status")}
    if event.get("account"):
        raw["account"] = event["account"]
    if status is ProviderStatus.FAILED and kind.startswith(("charge", "agreement")):
        raw["error_code"] = _payment_error_code(obj)
    if kind == "agreement.signed":
        raw.update(customer=obj.get("customer"), payment_method=obj.get("payment_method"))
    try:
        return [WebhookEvent(
            event_id=str(event["id"]), kind=kind,
            occurred_at=datetime.fromtimestamp(int(event["created"]), tz=UTC),
            reference=_metadata(obj).get(reference_key), provider_reference=obj.get("id"),
            status=status, amount_fen=int(amount) if amount is not None else None, raw=raw,
        )]
    except (KeyError, TypeError, ValueError, OverflowError) as exc:
        raise WebhookRejected(f"malformed Stripe event: {exc!r}", code="MALFORMED") from None


def ack(ok: bool) -> WebhookAck:
    """Stripe only needs a 2xx to stop retrying; a 400 makes it retry (with backoff, up to 3 days)."""
    if ok:
        return WebhookAck(200, b'{"received":true}', {"content-type": "application/json"})
    return WebhookAck(400, b'{"received":false}', {"content-type": "application/json"})
