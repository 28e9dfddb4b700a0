"""The Stripe payment rail: Stripe Connect with destination charges.

How the contract maps onto Stripe (API version pinned by stripe-python 16):

* **Sub-merchant** = the store's Connect account (``accounts.create``, type express or custom per
  config, card_payments + transfers requested, manual payouts when the store's balance is held
  for T+N settlement). The store then enters the ``acct_...`` id in its config.
* **Agreement** = a Customer per agreement plus a SetupIntent with ``usage=off_session``, confirmed
  by the payer with Stripe.js (the :class:`ClientAction` carries its ``client_secret``). Active
  once the SetupIntent succeeded (the card is saved on the customer); terminating detaches the
  card and marks the customer ``pawpay_agreement_state=terminated``.
* **Charge** = an off-session PaymentIntent, ``confirm=true``, a *destination charge* to the
  store's Connect account (``transfer_data[destination]``, ``on_behalf_of`` the store when
  configured) with the platform's ``application_fee_amount``. The money settles in the store's
  own Stripe balance, never in a platform pool (ARCHITECTURE §5a). The fee is the request's
  ``platform_fee_fen`` when the platform sets one, else ``application_fee_bps`` of the amount.
* **Idempotency.** Every POST carries a key derived from the platform id and the tenant
  (``pawpay-charge-<tenant>-<attempt>``...), never the SDK's random one, so a retry after a crash
  or a dramatiq redelivery replays Stripe's stored answer instead of charging again. Stripe
  prunes keys after 24 h, so ``charge`` first looks the attempt up by metadata (search) and
  returns its outcome if it exists.
* **Lookups by platform id** use the Search API on metadata (``pawpay_tenant_id`` AND
  ``pawpay_attempt_id``/``pawpay_agreement_id``). Search is eventually consistent (Stripe: new
  objects are searchable within about a minute), so the platform should not close an attempt it
  created less than a few minutes ago; a ``NOT_FOUND`` that was merely not indexed yet is still
  safe for a retry of the same attempt, which reuses the idempotency key.
* **Outcomes.** succeeded → ``SUCCEEDED``; processing → ``PENDING``; a card decline →
  ``FAILED`` with the decline code upper-cased (``INSUFFICIENT_FUNDS``); an off-session
  authentication demand → ``FAILED`` ``AUTHENTICATION_REQUIRED`` (the payer must come back
  on-session); a read timeout, a dropped connection after sending or a 5xx → ``UNKNOWN`` (query
  first); a connection that was never established, or a 429 → ``NOT_SUBMITTED``.
* **Held funds.** With manual payouts the transferred funds wait in the store's balance;
  ``release_held_funds`` pays them out (``payouts.create`` with the ``Stripe-Account`` header),
  in the store's settlement currency, net of Stripe's fees and of refunds. Splits to further
  receivers are not supported (the platform's share is the application fee).
* **Rail limits.** Stripe takes amounts of up to eight digits in the minor unit (99,999,999 fen);
  no daily cap, allowed hours or pre-debit notice for cards; the API allows 100 requests/s in
  live mode and 25 in test mode.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar

import httpx
import stripe

from pawpay.platform.hooks import (
    AgreementInfo,
    AgreementRequest,
    AgreementSession,
    AgreementState,
    Capabilities,
    Capability,
    ChargeRequest,
    ClientAction,
    PreDebitNotice,
    ProviderConfig,
    ProviderContext,
    ProviderError,
    ProviderResult,
    ProviderStatus,
    RailLimits,
    RawWebhook,
    RefundRequest,
    ReleaseRequest,
    SubMerchantApplication,
    WebhookAck,
    WebhookEvent,
)
from pawpay.plugins.payments.stripe import webhooks
from pawpay.plugins.payments.stripe.client import HttpClientFactory, default_http_client, stripe_client
from pawpay.plugins.payments.stripe.config import StripePaymentsConfig
from pawpay.plugins.payments.stripe.webhooks import (
    META_AGREEMENT,
    META_APPLICATION,
    META_ATTEMPT,
    META_REFUND,
    META_TENANT,
)

META_PAYMENT = "pawpay_payment_id"
META_HOLD = "pawpay_hold_funds"
META_AGREEMENT_STATE = "pawpay_agreement_state"
META_RELEASE = "pawpay_release_id"
META_PAYOUT = "pawpay_payout_id"

# Stripe: "The amount value supports up to eight digits" in the currency's minor unit.
STRIPE_MAX_AMOUNT = 99_999_999
LIVE_LIMITS = RailLimits(per_debit_max_fen=STRIPE_MAX_AMOUNT, requests_per_second=100)
TEST_LIMITS = RailLimits(per_debit_max_fen=STRIPE_MAX_AMOUNT, requests_per_second=25)

_PENDING_SETUP = frozenset({"requires_payment_method", "requires_confirmation", "requires_action", "processing"})

_Ctx = ProviderContext[StripePaymentsConfig]
Obj = dict[str, Any]


def _plain(obj: Any) -> Obj:
    """A StripeObject as plain JSON-able dicts (typed access through ExpandableField unions is noisy)."""
    data: Obj = obj.to_dict(for_json=True)
    return data


def _quote(value: str) -> str:
    # Stripe's search language quotes with ' and escapes with a backslash.
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _search(ctx: _Ctx, key: str, platform_id: str) -> str:
    """A Search API query for this store's object carrying ``platform_id`` under metadata ``key``."""
    return f"metadata['{META_TENANT}']:{_quote(ctx.tenant_id)} AND metadata['{key}']:{_quote(platform_id)}"


def _idempotency_key(ctx: _Ctx, action: str, platform_id: str) -> str:
    key = f"pawpay-{action}-{ctx.tenant_id}-{platform_id}"
    if len(key) > 255:  # Stripe's limit
        raise ProviderError(f"the idempotency key for {action} {platform_id!r} exceeds 255 characters",
                            code="ID_TOO_LONG")
    return key


def _result(status: ProviderStatus, *, reference: str | None = None, code: str | None = None,
            message: str | None = None, **raw: Any) -> ProviderResult:
    return ProviderResult(status, provider_reference=reference, error_code=code, error_message=message, raw=raw)


def _was_sent(exc: stripe.APIConnectionError) -> bool:
    """Whether the request may have reached Stripe: only a failed connect proves it did not."""
    cause = exc.__cause__
    return not isinstance(cause, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout))


def _fault(exc: stripe.StripeError) -> ProviderError:
    """A Stripe error on a call whose outcome is not a money value (lookups, onboarding reads)."""
    if isinstance(exc, (stripe.AuthenticationError, stripe.PermissionError)):
        return ProviderError(f"Stripe refused the store's key: {exc.user_message}", code="AUTH_FAILED")
    if isinstance(exc, (stripe.APIConnectionError, stripe.RateLimitError)) or (exc.http_status or 0) >= 500:
        return ProviderError(f"Stripe is unavailable: {exc.user_message}", code="VENDOR_UNAVAILABLE", retryable=True)
    return ProviderError(f"Stripe refused the request: {exc.user_message}",
                         code=str(exc.code or "STRIPE_ERROR").upper())


def _error_result(exc: stripe.StripeError, *, sent_as: str) -> ProviderResult:
    """The outcome of a money-moving POST that raised (``sent_as``: the idempotency key, for the record).

    Raises:
        ProviderError: ``IDEMPOTENCY_MISMATCH`` (the key was used with other parameters) or
            ``AUTH_FAILED``.
    """
    if isinstance(exc, stripe.IdempotencyError):
        raise ProviderError(f"{sent_as} was used before with other parameters", code="IDEMPOTENCY_MISMATCH")
    if isinstance(exc, (stripe.AuthenticationError, stripe.PermissionError)):
        raise _fault(exc)
    raw: dict[str, Any] = {"idempotency_key": sent_as, "http_status": exc.http_status, "request_id": exc.request_id}
    if isinstance(exc, stripe.APIConnectionError):
        if _was_sent(exc):
            return _result(ProviderStatus.UNKNOWN, code="TIMEOUT", message="no answer from Stripe after sending", **raw)
        return _result(ProviderStatus.NOT_SUBMITTED, code="CONNECTION_FAILED", message="Stripe was not reached", **raw)
    if isinstance(exc, stripe.RateLimitError):  # 429s are not executed, so not stored under the key
        return _result(ProviderStatus.NOT_SUBMITTED, code="RATE_LIMITED", message=exc.user_message, **raw)
    if (exc.http_status or 0) >= 500:
        return _result(ProviderStatus.UNKNOWN, code="VENDOR_ERROR", message=exc.user_message, **raw)
    error = exc.error
    decline_code = getattr(error, "decline_code", None) if error is not None else None
    intent = getattr(error, "payment_intent", None) if error is not None else None
    reference = str(intent["id"]) if intent is not None else None
    code = str(decline_code or exc.code or "REQUEST_REFUSED").upper()
    return _result(ProviderStatus.FAILED, reference=reference, code=code, message=exc.user_message,
                   stripe_code=exc.code, decline_code=decline_code, **raw)


def _payment_intent_result(intent: Obj) -> ProviderResult:
    status = intent.get("status")
    reference = intent.get("id")
    raw: dict[str, Any] = {"stripe_status": status, "amount": intent.get("amount"), "currency": intent.get("currency"),
           "application_fee_amount": intent.get("application_fee_amount")}
    if status == "succeeded":
        return _result(ProviderStatus.SUCCEEDED, reference=reference, **raw)
    if status in {"processing", "requires_confirmation", "requires_capture"}:
        return _result(ProviderStatus.PENDING, reference=reference, **raw)
    if status == "requires_action":
        return _result(ProviderStatus.FAILED, reference=reference, code="AUTHENTICATION_REQUIRED",
                       message="the payer must authenticate on-session", **raw)
    if status == "requires_payment_method":
        error = intent.get("last_payment_error") or {}
        code = str(error.get("decline_code") or error.get("code") or "PAYMENT_FAILED").upper()
        return _result(ProviderStatus.FAILED, reference=reference, code=code, message=error.get("message"), **raw)
    if status == "canceled":
        return _result(ProviderStatus.FAILED, reference=reference, code="CANCELED", message="the charge was closed",
                       **raw)
    return _result(ProviderStatus.UNKNOWN, reference=reference, code="UNEXPECTED_STATUS", **raw)


def _account_result(account: Obj) -> ProviderResult:
    requirements = account.get("requirements") or {}
    raw: dict[str, Any] = {"charges_enabled": bool(account.get("charges_enabled")),
           "payouts_enabled": bool(account.get("payouts_enabled")),
           "requirements_due": list(requirements.get("currently_due") or []),
           "disabled_reason": requirements.get("disabled_reason")}
    if str(requirements.get("disabled_reason") or "").startswith("rejected"):
        return _result(ProviderStatus.FAILED, reference=account["id"], code="APPLICATION_REJECTED", **raw)
    status = webhooks.account_status(account)
    return _result(status, reference=account["id"], **raw)


@dataclass(frozen=True, slots=True)
class _Agreement:
    customer: Obj
    setup_intents: tuple[Obj, ...]  # this agreement's, newest first

    @property
    def active_setup(self) -> Obj | None:
        return next((si for si in self.setup_intents if si.get("status") == "succeeded" and si.get("payment_method")),
                    None)

    @property
    def pending_setup(self) -> Obj | None:
        return next((si for si in self.setup_intents if si.get("status") in _PENDING_SETUP), None)

    @property
    def state(self) -> AgreementState:
        if (self.customer.get("metadata") or {}).get(META_AGREEMENT_STATE) == "terminated":
            return AgreementState.TERMINATED
        if self.active_setup is not None:
            return AgreementState.ACTIVE
        if self.pending_setup is not None or not self.setup_intents:
            return AgreementState.PENDING_SIGNATURE
        return AgreementState.EXPIRED


class StripePayments:
    """The ``payments/stripe`` provider (see the module docstring).

    Args:
        http_client_factory: builds the SDK's HTTP client for each call from the store's config
            (default: httpx with the store's timeouts). Tests fake Stripe at the HTTP boundary.
    """

    config_schema: ClassVar[type[ProviderConfig]] = StripePaymentsConfig
    capabilities: ClassVar[Capabilities] = frozenset({
        Capability.SUB_MERCHANT_ONBOARDING, Capability.AGREEMENTS, Capability.FUNDS_HOLD,
        Capability.REFUNDS, Capability.PARTIAL_REFUNDS, Capability.WEBHOOKS,
    })

    def __init__(self, http_client_factory: HttpClientFactory = default_http_client) -> None:
        self._http_client_factory = http_client_factory

    @asynccontextmanager
    async def _client(self, ctx: _Ctx) -> AsyncIterator[stripe.StripeClient]:
        async with stripe_client(ctx.config, test_mode=ctx.test_mode,
                                 http_client_factory=self._http_client_factory) as client:
            yield client

    # --- limits and connection -------------------------------------------------------------------

    def rail_limits(self, ctx: _Ctx) -> RailLimits:
        return TEST_LIMITS if ctx.test_mode else LIVE_LIMITS

    async def test_connection(self, ctx: _Ctx) -> ProviderResult:
        try:
            async with self._client(ctx) as client:
                balance = _plain(await client.v1.balance.retrieve_async())
                account = ctx.config.connect_account_id
                if account:
                    await client.v1.accounts.retrieve_async(account)
        except ProviderError as exc:
            return _result(ProviderStatus.FAILED, code=exc.code, message=exc.message)
        except (stripe.AuthenticationError, stripe.PermissionError) as exc:
            return _result(ProviderStatus.FAILED, code="AUTH_FAILED", message=exc.user_message)
        except stripe.InvalidRequestError as exc:
            return _result(ProviderStatus.FAILED, code="CONNECT_ACCOUNT_NOT_FOUND", message=exc.user_message)
        except stripe.StripeError as exc:
            return _result(ProviderStatus.NOT_SUBMITTED, code="UNREACHABLE", message=exc.user_message)
        if bool(balance.get("livemode")) == ctx.test_mode:
            # A live store on a test key would "collect" nothing; a test store never reaches here with a live key.
            return _result(ProviderStatus.FAILED, code="TEST_KEY_IN_LIVE_MODE",
                           message="a store in live mode needs a live Stripe key")
        return _result(ProviderStatus.SUCCEEDED, reference=ctx.config.connect_account_id,
                       livemode=bool(balance.get("livemode")))

    # --- onboarding -----------------------------------------------------------------------------------

    async def onboard_sub_merchant(self, ctx: _Ctx, application: SubMerchantApplication) -> ProviderResult:
        config = ctx.config
        params: dict[str, Any] = {
            "type": config.connect_account_type,
            "country": config.account_country,
            "business_type": "company",
            "company": {"name": application.legal_name, "tax_id": application.registration_number,
                        "phone": application.contact_phone},
            "capabilities": {"card_payments": {"requested": True}, "transfers": {"requested": True}},
            "metadata": {META_TENANT: ctx.tenant_id, META_APPLICATION: application.application_id},
        }
        if application.contact_email:
            params["email"] = application.contact_email
        if config.manual_payouts:
            params["settings"] = {"payouts": {"schedule": {"interval": "manual"}}}
        key = _idempotency_key(ctx, "onboard", application.application_id)
        async with self._client(ctx) as client:
            try:
                account = await client.v1.accounts.create_async(params=params,  # type: ignore[arg-type]
                                                                options={"idempotency_key": key})
            except stripe.StripeError as exc:
                return _error_result(exc, sent_as=key)
        return _account_result(_plain(account))

    async def query_sub_merchant(self, ctx: _Ctx, application_id: str) -> ProviderResult:
        async with self._client(ctx) as client:
            try:
                if ctx.config.connect_account_id:
                    account = await client.v1.accounts.retrieve_async(ctx.config.connect_account_id)
                    return _account_result(_plain(account))
                # Accounts have no search: page through them (a platform has few) and match our metadata.
                listed = await client.v1.accounts.list_async(params={"limit": 100})
                async for account in listed.auto_paging_iter():
                    data = _plain(account)
                    metadata = data.get("metadata") or {}
                    if (metadata.get(META_TENANT), metadata.get(META_APPLICATION)) == (ctx.tenant_id, application_id):
                        return _account_result(data)
            except stripe.StripeError as exc:
                raise _fault(exc) from exc
        return _result(ProviderStatus.NOT_SUBMITTED, code="NOT_FOUND",
                       message="no Connect account for this application")

    # --- agreements ---------------------------------------------------------------------------

    async def _find_agreement(self, client: stripe.StripeClient, ctx: _Ctx, agreement_id: str) -> _Agreement | None:
        found = await client.v1.customers.search_async(
            params={"query": _search(ctx, META_AGREEMENT, agreement_id), "limit": 1})
        if not found.data:
            return None
        customer = _plain(found.data[0])
        listed = await client.v1.setup_intents.list_async(params={"customer": customer["id"], "limit": 100})
        mine = tuple(si for si in map(_plain, listed.data)
                     if (si.get("metadata") or {}).get(META_AGREEMENT) == agreement_id)
        return _Agreement(customer, mine)

    async def sign_agreement(self, ctx: _Ctx, request: AgreementRequest) -> AgreementSession:
        metadata = {META_TENANT: ctx.tenant_id, META_AGREEMENT: request.agreement_id}
        async with self._client(ctx) as client:
            try:
                agreement = await self._find_agreement(client, ctx, request.agreement_id)
                if agreement is not None:
                    active = agreement.active_setup
                    if agreement.state is AgreementState.TERMINATED:
                        return AgreementSession(_result(ProviderStatus.FAILED, reference=agreement.customer["id"],
                                                        code="AGREEMENT_TERMINATED"))
                    if active is not None:
                        return AgreementSession(_result(ProviderStatus.SUCCEEDED, reference=active["id"]))
                    customer_id = agreement.customer["id"]
                    setup = agreement.pending_setup
                else:
                    customer = await client.v1.customers.create_async(
                        params={"description": request.display_account, "metadata": metadata},
                        options={"idempotency_key": _idempotency_key(ctx, "agreement-customer", request.agreement_id)})
                    customer_id, setup = customer.id, None
                if setup is None:
                    params: dict[str, Any] = {"customer": customer_id, "usage": "off_session",
                                              "payment_method_types": ["card"], "metadata": metadata}
                    if ctx.config.on_behalf_of and ctx.config.connect_account_id:
                        params["on_behalf_of"] = ctx.config.connect_account_id
                    setup = _plain(await client.v1.setup_intents.create_async(
                        params=params,  # type: ignore[arg-type]
                        options={"idempotency_key": _idempotency_key(ctx, "agreement-setup", request.agreement_id)}))
            except stripe.StripeError as exc:
                raise _fault(exc) from exc
        action = ClientAction("sdk_order_string", {
            "sdk": "stripe.js", "method": "confirmCardSetup", "setup_intent": setup["id"],
            "client_secret": setup.get("client_secret"), "return_url": request.return_url,
        })
        return AgreementSession(_result(ProviderStatus.PENDING, reference=setup["id"], customer=customer_id), action)

    async def query_agreement(self, ctx: _Ctx, agreement_id: str) -> AgreementInfo:
        async with self._client(ctx) as client:
            try:
                agreement = await self._find_agreement(client, ctx, agreement_id)
            except stripe.StripeError as exc:
                raise _fault(exc) from exc
        if agreement is None:
            return AgreementInfo(agreement_id, AgreementState.NOT_FOUND)
        setup = agreement.active_setup or (agreement.setup_intents[0] if agreement.setup_intents else None)
        return AgreementInfo(
            agreement_id, agreement.state, provider_reference=setup["id"] if setup else None,
            payer_reference=agreement.customer["id"],
            raw={"payment_method": setup.get("payment_method") if setup else None,
                 "setup_status": setup.get("status") if setup else None},
        )

    async def terminate_agreement(self, ctx: _Ctx, agreement_id: str, reason: str) -> ProviderResult:
        async with self._client(ctx) as client:
            try:
                agreement = await self._find_agreement(client, ctx, agreement_id)
                if agreement is None:
                    return _result(ProviderStatus.SUCCEEDED, found=False)
                for setup in agreement.setup_intents:
                    try:
                        if setup.get("status") == "succeeded" and setup.get("payment_method"):
                            await client.v1.payment_methods.detach_async(setup["payment_method"])
                        elif setup.get("status") in _PENDING_SETUP:
                            await client.v1.setup_intents.cancel_async(setup["id"])
                    except stripe.InvalidRequestError:
                        pass  # already detached or no longer cancelable: the aim is reached
                await client.v1.customers.update_async(agreement.customer["id"], params={"metadata": {
                    META_AGREEMENT_STATE: "terminated", "pawpay_termination_reason": reason[:500]}})
            except stripe.StripeError as exc:
                raise _fault(exc) from exc
        return _result(ProviderStatus.SUCCEEDED, reference=agreement.customer["id"])

    async def send_pre_debit_notice(self, ctx: _Ctx, notice: PreDebitNotice) -> ProviderResult:
        raise ProviderError("Stripe card mandates need no pre-debit notice", code="UNSUPPORTED")

    # --- charges ---------------------------------------------------------------------------------

    async def _find_payment_intent(self, client: stripe.StripeClient, ctx: _Ctx, attempt_id: str) -> Obj | None:
        found = await client.v1.payment_intents.search_async(
            params={"query": _search(ctx, META_ATTEMPT, attempt_id), "limit": 2})
        if len(found.data) > 1:
            raise ProviderError(f"more than one PaymentIntent carries attempt {attempt_id}", code="DUPLICATE_ATTEMPT")
        return _plain(found.data[0]) if found.data else None

    def _application_fee(self, ctx: _Ctx, request: ChargeRequest) -> int:
        if request.platform_fee_fen:
            return request.platform_fee_fen
        return request.amount_fen * ctx.config.application_fee_bps // 10_000

    async def charge(self, ctx: _Ctx, request: ChargeRequest) -> ProviderResult:  # noqa: PLR0911 - one per refusal
        account = ctx.config.connect_account_id
        if not account:
            return _result(ProviderStatus.FAILED, code="CONNECT_ACCOUNT_MISSING",
                           message="the store has no Connect account to receive the charge")
        refusal = self.rail_limits(ctx).amount_refusal(request.amount_fen)
        if refusal:
            return _result(ProviderStatus.FAILED, code="AMOUNT_LIMIT_EXCEEDED", message=refusal)
        key = _idempotency_key(ctx, "charge", request.attempt_id)
        async with self._client(ctx) as client:
            try:
                existing = await self._find_payment_intent(client, ctx, request.attempt_id)
                agreement = None if existing else await self._find_agreement(client, ctx, request.agreement_id)
            except stripe.StripeError as exc:
                raise _fault(exc) from exc
            if existing is not None:
                if (existing.get("amount") != request.amount_fen
                        or (existing.get("metadata") or {}).get(META_AGREEMENT) != request.agreement_id):
                    raise ProviderError(f"attempt {request.attempt_id} was charged before with another amount "
                                        "or agreement", code="IDEMPOTENCY_MISMATCH")
                return _payment_intent_result(existing)
            if agreement is None:
                return _result(ProviderStatus.FAILED, code="AGREEMENT_NOT_FOUND", message="no such agreement")
            setup = agreement.active_setup
            if agreement.state is AgreementState.TERMINATED:
                return _result(ProviderStatus.FAILED, code="AGREEMENT_TERMINATED", message="the agreement was ended")
            if setup is None:
                return _result(ProviderStatus.FAILED, code="AGREEMENT_NOT_ACTIVE",
                               message="the payer has not completed the card setup")
            params: dict[str, Any] = {
                "amount": request.amount_fen, "currency": request.currency.lower(),
                "customer": agreement.customer["id"], "payment_method": setup["payment_method"],
                "payment_method_types": ["card"], "off_session": True, "confirm": True,
                "transfer_data": {"destination": account},
                "description": request.description,
                "metadata": {META_TENANT: ctx.tenant_id, META_ATTEMPT: request.attempt_id,
                             META_PAYMENT: request.payment_id, META_AGREEMENT: request.agreement_id,
                             META_HOLD: "true" if request.hold_funds else "false"},
            }
            fee = self._application_fee(ctx, request)
            if fee:
                params["application_fee_amount"] = fee
            if ctx.config.on_behalf_of:
                params["on_behalf_of"] = account
            if ctx.config.statement_descriptor_suffix:
                params["statement_descriptor_suffix"] = ctx.config.statement_descriptor_suffix
            try:
                intent = await client.v1.payment_intents.create_async(params=params,  # type: ignore[arg-type]
                                                                      options={"idempotency_key": key})
            except stripe.StripeError as exc:
                return _error_result(exc, sent_as=key)
        return _payment_intent_result(_plain(intent))

    async def query_charge(self, ctx: _Ctx, attempt_id: str) -> ProviderResult:
        try:
            async with self._client(ctx) as client:
                intent = await self._find_payment_intent(client, ctx, attempt_id)
        except stripe.StripeError as exc:
            return _result(ProviderStatus.UNKNOWN, code="QUERY_FAILED", message=exc.user_message)
        if intent is None:
            return _result(ProviderStatus.NOT_SUBMITTED, code="NOT_FOUND",
                           message="Stripe has no charge for this attempt")
        return _payment_intent_result(intent)

    async def close_charge(self, ctx: _Ctx, attempt_id: str) -> ProviderResult:
        async with self._client(ctx) as client:
            try:
                intent = await self._find_payment_intent(client, ctx, attempt_id)
                if intent is None:
                    return _result(ProviderStatus.SUCCEEDED, found=False)
                if intent.get("status") not in {"succeeded", "canceled", "processing"}:
                    try:
                        intent = _plain(await client.v1.payment_intents.cancel_async(
                            intent["id"], params={"cancellation_reason": "abandoned"},
                            options={"idempotency_key": _idempotency_key(ctx, "close", attempt_id)}))
                    except stripe.InvalidRequestError:  # it moved on meanwhile: look again
                        intent = _plain(await client.v1.payment_intents.retrieve_async(intent["id"]))
            except stripe.StripeError as exc:
                raise _fault(exc) from exc
        status, reference = intent.get("status"), intent.get("id")
        if status == "succeeded":
            return _result(ProviderStatus.FAILED, reference=reference, code="ALREADY_SUCCEEDED",
                           message="the charge succeeded before it could be closed")
        if status == "canceled":
            return _result(ProviderStatus.SUCCEEDED, reference=reference)
        return _result(ProviderStatus.UNKNOWN, reference=reference, code="PROCESSING",
                       message=f"Stripe cannot cancel a PaymentIntent in status {status}; query it later")

    # --- refunds and held funds -------------------------------------------------------------

    async def refund(self, ctx: _Ctx, request: RefundRequest) -> ProviderResult:
        key = _idempotency_key(ctx, "refund", request.refund_id)
        async with self._client(ctx) as client:
            try:
                intent = await self._find_payment_intent(client, ctx, request.attempt_id)
            except stripe.StripeError as exc:
                raise _fault(exc) from exc
            if intent is None or intent.get("status") != "succeeded":
                return _result(ProviderStatus.FAILED, code="CHARGE_NOT_SUCCEEDED",
                               message="only a succeeded charge can be refunded")
            metadata = {META_TENANT: ctx.tenant_id, META_REFUND: request.refund_id, META_ATTEMPT: request.attempt_id}
            if request.reason:
                metadata["pawpay_reason"] = request.reason[:500]
            try:
                # reverse_transfer: the store, which received the funds, gives them back.
                refund = _plain(await client.v1.refunds.create_async(
                    params={"payment_intent": intent["id"], "amount": request.amount_fen,
                            "reverse_transfer": True, "metadata": metadata},
                    options={"idempotency_key": key}))
            except stripe.StripeError as exc:
                return _error_result(exc, sent_as=key)
        status = webhooks.refund_status(refund)
        code = None
        if status is ProviderStatus.FAILED:
            code = str(refund.get("failure_reason") or "REFUND_FAILED").upper()
        return _result(status, reference=refund.get("id"), code=code, stripe_status=refund.get("status"))

    async def release_held_funds(  # noqa: PLR0911 - one return per refusal reads best
        self, ctx: _Ctx, request: ReleaseRequest,
    ) -> ProviderResult:
        account = ctx.config.connect_account_id
        if request.receivers:
            return _result(ProviderStatus.FAILED, code="SPLIT_UNSUPPORTED",
                           message="Stripe takes the platform's share as the application fee at charge time")
        if not account:
            return _result(ProviderStatus.FAILED, code="CONNECT_ACCOUNT_MISSING", message="no Connect account")
        async with self._client(ctx) as client:
            try:
                found = await self._find_payment_intent(client, ctx, request.attempt_id)
                if found is None or found.get("status") != "succeeded" or \
                        (found.get("metadata") or {}).get(META_HOLD) != "true":
                    return _result(ProviderStatus.FAILED, code="NOT_HELD",
                                   message="only a succeeded, held charge can be released")
                metadata = found.get("metadata") or {}
                if metadata.get(META_RELEASE):
                    if metadata[META_RELEASE] == request.release_id:
                        return _result(ProviderStatus.SUCCEEDED, reference=metadata.get(META_PAYOUT))
                    return _result(ProviderStatus.FAILED, code="ALREADY_RELEASED",
                                   message="this charge's funds were released before")
                if not request.release_rest:
                    return _result(ProviderStatus.SUCCEEDED, released_fen=0)
                payout_params = await self._held_funds(client, found["id"], account)
            except stripe.StripeError as exc:
                raise _fault(exc) from exc
            if payout_params is None:
                return _result(ProviderStatus.FAILED, code="NOTHING_TO_RELEASE", message="nothing is left to pay out")
            key = _idempotency_key(ctx, "release", request.release_id)
            payout_params["metadata"] = {META_TENANT: ctx.tenant_id, META_RELEASE: request.release_id,
                                         META_ATTEMPT: request.attempt_id}
            try:
                payout = _plain(await client.v1.payouts.create_async(
                    params=payout_params,  # type: ignore[arg-type]
                    options={"idempotency_key": key, "stripe_account": account}))
                # Remember the release on the charge, so another release id cannot pay it out again.
                await client.v1.payment_intents.update_async(
                    found["id"], params={"metadata": {META_RELEASE: request.release_id, META_PAYOUT: payout["id"]}},
                    options={"idempotency_key": _idempotency_key(ctx, "release-mark", request.release_id)})
            except stripe.StripeError as exc:
                return _error_result(exc, sent_as=key)
        if payout.get("status") in {"failed", "canceled"}:
            return _result(ProviderStatus.FAILED, reference=payout.get("id"),
                           code=str(payout.get("failure_code") or "PAYOUT_FAILED").upper())
        return _result(ProviderStatus.SUCCEEDED, reference=payout.get("id"), amount=payout.get("amount"),
                       currency=payout.get("currency"), payout_status=payout.get("status"))

    async def _held_funds(self, client: stripe.StripeClient, intent_id: str, account: str) -> dict[str, Any] | None:
        """The payout for what a destination charge left in the store's balance (its currency, net of fees/refunds)."""
        intent = _plain(await client.v1.payment_intents.retrieve_async(
            intent_id, params={"expand": ["latest_charge.transfer"]}))
        transfer = (intent.get("latest_charge") or {}).get("transfer") or {}
        destination_payment = transfer.get("destination_payment")
        if not destination_payment:
            return None
        received = _plain(await client.v1.charges.retrieve_async(
            destination_payment, params={"expand": ["balance_transaction"]}, options={"stripe_account": account}))
        balance = received.get("balance_transaction") or {}
        net, amount = int(balance.get("net") or 0), int(received.get("amount") or 0)
        if amount <= 0:
            return None
        # A reversed transfer refunds the destination payment; pay out the unrefunded share of the net.
        payable = net * (amount - int(received.get("amount_refunded") or 0)) // amount
        if payable <= 0:
            return None
        return {"amount": payable, "currency": balance.get("currency") or received.get("currency")}

    # --- webhooks and statements -------------------------------------------------------------

    async def verify_webhook(self, ctx: _Ctx, raw: RawWebhook) -> Sequence[WebhookEvent]:
        return webhooks.parse(webhooks.verify(ctx, raw))

    def webhook_ack(self, ok: bool) -> WebhookAck:
        return webhooks.ack(ok)

    async def download_statement(self, ctx: _Ctx, day: date) -> bytes:
        raise ProviderError("statements are not built for Stripe (use balance transactions)", code="UNSUPPORTED")


__all__ = ["LIVE_LIMITS", "TEST_LIMITS", "StripePayments"]
