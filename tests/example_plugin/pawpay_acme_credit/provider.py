"""``credit/acme``: Acme Credit's consumer credit gate over its HTTP API.

Acme decides ``approve`` / ``review`` / ``decline`` for a person (never a score). The provider
translates pawpay's calls into Acme's API and Acme's answers into pawpay's five statuses; the API
and the mapping are documented in README.md. State lives at Acme: the check's idempotency key
travels as Acme's ``Idempotency-Key``, so a retry after a timeout never checks twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, TypeAlias

import httpx
import pydantic

from pawpay.platform.hooks import (
    BusinessCheck,
    Capabilities,
    Capability,
    CreditDecision,
    CreditOutcome,
    PersonCheck,
    ProviderConfig,
    ProviderContext,
    ProviderError,
    ProviderResult,
    ProviderStatus,
    RawWebhook,
    WebhookAck,
    WebhookEvent,
    WebhookRejected,
)

TEST_KEY_PREFIX = "acme_test_"
_DECISIONS = {"approve": CreditDecision.PASS, "review": CreditDecision.CONDITIONAL, "decline": CreditDecision.FAIL}


class AcmeCreditConfig(ProviderConfig):
    """A store's Acme Credit settings (entered on pawpay's provider settings page)."""

    merchant_id: str = pydantic.Field(
        min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$",
        description="The store's merchant id at Acme Credit.",
    )
    api_key: pydantic.SecretStr = pydantic.Field(
        min_length=24, description="Acme API key (acme_live_… or, for a store in test mode, acme_test_…).",
    )
    base_url: str = pydantic.Field(
        default="https://api.acme-credit.example", pattern=r"^https?://", description="Acme API address.",
    )
    # Below pawpay's 10-second guard around each call, so that Acme's silence ends here, as
    # UNKNOWN TIMEOUT with the connection closed, rather than in a cancelled coroutine.
    timeout_seconds: float = pydantic.Field(
        default=6.0, gt=0, le=8, description="Read timeout per Acme call, in seconds (at most 8).",
    )


_Ctx: TypeAlias = ProviderContext[AcmeCreditConfig]


def _result(status: ProviderStatus, code: str | None = None, message: str | None = None,
            reference: str | None = None) -> ProviderResult:
    return ProviderResult(status, provider_reference=reference, error_code=code, error_message=message)


def _undecided(status: ProviderStatus, code: str | None = None, message: str | None = None) -> CreditOutcome:
    return CreditOutcome(_result(status, code, message))


def acme_reference(ctx: _Ctx, check_id: str) -> str:
    """Acme's idempotency key for a check: the platform's id, scoped to the store.

    Several stores may share one Acme merchant account, so the store is part of the key: one
    store can neither see nor replay another's check.
    """
    return f"pawpay-{ctx.tenant_id}-{check_id}"


class AcmeCredit:
    """The ``credit/acme`` provider. ``transport`` replaces the network (tests pass a fake Acme)."""

    config_schema: ClassVar[type[ProviderConfig]] = AcmeCreditConfig
    capabilities: ClassVar[Capabilities] = frozenset({Capability.PERSON_CHECK})

    def __init__(self, transport: httpx.AsyncBaseTransport | None = None) -> None:
        # Called once at pawpay's start-up: no network here, and no client shared between stores.
        self._transport = transport

    def _client(self, ctx: _Ctx) -> httpx.AsyncClient:
        config = ctx.config
        return httpx.AsyncClient(
            base_url=config.base_url, transport=self._transport,
            timeout=httpx.Timeout(config.timeout_seconds, connect=2.0),
            headers={"Authorization": f"Bearer {config.api_key.get_secret_value()}",
                     "Acme-Merchant": config.merchant_id},
        )

    @staticmethod
    def _refused_before_sending(ctx: _Ctx) -> ProviderResult | None:
        if ctx.test_mode and not ctx.config.api_key.get_secret_value().startswith(TEST_KEY_PREFIX):
            return _result(ProviderStatus.FAILED, "LIVE_KEY_IN_TEST_MODE",
                           "a store in test mode must use an acme_test_ key; nothing was sent")
        return None

    async def _call(self, ctx: _Ctx, method: str, path: str, *, json: Mapping[str, Any] | None = None,
                    idempotency_key: str | None = None) -> httpx.Response | ProviderResult:
        """Acme's answer, or the outcome when there is none (never raises for the network)."""
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        try:
            async with self._client(ctx) as client:
                return await client.request(method, path, json=json, headers=headers)
        except (httpx.ConnectError, httpx.ConnectTimeout):
            return _result(ProviderStatus.NOT_SUBMITTED, "UNREACHABLE", "Acme could not be reached")
        except httpx.TransportError:
            # The request may have reached Acme: only a query can tell.
            return _result(ProviderStatus.UNKNOWN, "TIMEOUT", "no answer from Acme after sending")

    async def test_connection(self, ctx: _Ctx) -> ProviderResult:
        refused = self._refused_before_sending(ctx)
        if refused is not None:
            return refused
        answer = await self._call(ctx, "GET", "/v1/merchant")
        if isinstance(answer, ProviderResult):
            return answer
        if answer.status_code == 401:
            return _result(ProviderStatus.FAILED, "AUTH_FAILED", "Acme refused the API key")
        if answer.status_code != 200:
            return _result(ProviderStatus.FAILED, "VENDOR_ERROR", f"Acme answered HTTP {answer.status_code}")
        if answer.json().get("merchant_id") != ctx.config.merchant_id:
            return _result(ProviderStatus.FAILED, "MERCHANT_MISMATCH", "the API key belongs to another merchant")
        return _result(ProviderStatus.SUCCEEDED, reference=ctx.config.merchant_id)

    async def check_person(self, ctx: _Ctx, check: PersonCheck) -> CreditOutcome:
        refused = self._refused_before_sending(ctx)
        if refused is not None:
            return CreditOutcome(refused)
        reference = acme_reference(ctx, check.check_id)
        answer = await self._call(ctx, "POST", "/v1/checks", idempotency_key=reference, json={
            "reference": reference, "name": check.name, "id_number": check.id_number,
            "mobile": check.mobile, "amount_fen": check.risk_amount_fen,
        })
        return self._outcome(answer)

    async def query_check(self, ctx: _Ctx, check_id: str) -> CreditOutcome:
        refused = self._refused_before_sending(ctx)
        if refused is not None:
            return CreditOutcome(refused)
        return self._outcome(await self._call(ctx, "GET", f"/v1/checks/{acme_reference(ctx, check_id)}"))

    @staticmethod
    def _outcome(answer: httpx.Response | ProviderResult) -> CreditOutcome:
        if isinstance(answer, ProviderResult):
            return CreditOutcome(answer)
        status = answer.status_code
        if status == 200:
            return _from_check(answer.json())
        error = _error_of(answer)
        if status == 404:
            return _undecided(ProviderStatus.NOT_SUBMITTED, "NOT_FOUND", "Acme has no such check")
        if status == 409:
            raise ProviderError("the check id was used before for another person", code="IDEMPOTENCY_MISMATCH")
        if status == 422:
            return _undecided(ProviderStatus.FAILED, error.upper() or "INVALID_REQUEST", "Acme refused the request")
        if status == 429:
            return _undecided(ProviderStatus.NOT_SUBMITTED, "RATE_LIMITED", "Acme asked to slow down")
        if status == 401:
            raise ProviderError("Acme refused the API key", code="AUTH_FAILED")
        if status >= 500:
            # Acme may have recorded the check before failing: query before anything else.
            return _undecided(ProviderStatus.UNKNOWN, "VENDOR_ERROR", f"Acme answered HTTP {status}")
        raise ProviderError(f"unexpected answer from Acme: HTTP {status}", code="VENDOR_PROTOCOL")

    async def check_business(self, ctx: _Ctx, check: BusinessCheck) -> CreditOutcome:
        # Not in `capabilities`: pawpay never calls it, but the Protocol requires it to exist.
        raise ProviderError("Acme Credit does not check businesses", code="UNSUPPORTED")

    async def verify_webhook(self, ctx: _Ctx, raw: RawWebhook) -> Sequence[WebhookEvent]:
        # Acme sends no webhooks (no WEBHOOKS capability): anything arriving is refused.
        raise WebhookRejected("Acme Credit sends no webhooks", code="UNSUPPORTED")

    def webhook_ack(self, ok: bool) -> WebhookAck:
        return WebhookAck(200 if ok else 400)


def _error_of(answer: httpx.Response) -> str:
    try:
        return str(answer.json().get("error", ""))
    except ValueError:
        return ""


def _from_check(data: Mapping[str, Any]) -> CreditOutcome:
    try:
        reference = str(data["id"])
        raw = {"acme_id": reference}  # never the ID number or the name: only Acme's id
        if data["status"] == "pending":
            return CreditOutcome(_result(ProviderStatus.PENDING, reference=reference), raw=raw)
        decision = _DECISIONS[data["decision"]]
        return CreditOutcome(
            _result(ProviderStatus.SUCCEEDED, reference=reference), decision,
            str(data.get("reason") or data["decision"]).upper(), tuple(data.get("conditions") or ()), raw,
        )
    except (KeyError, TypeError) as exc:
        raise ProviderError(f"unparseable check from Acme: {exc!r}", code="VENDOR_PROTOCOL") from None
