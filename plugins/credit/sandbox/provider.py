"""The sandbox credit gate: deterministic, scriptable, in memory.

It behaves like a Zhima / WeChat Pay Score gate configured with the platform's 550 threshold
(DOMAIN §3). Like Stripe's test cards, documented inputs choose the outcome.

**Person checks** (``check_person``) are scripted by the resident ID number (18 characters:
6-digit area, 8-digit birth date ``YYYYMMDD``, 3-digit sequence code, check character). The
**sequence code** (characters 15-17) is read as the sandbox score:

=====================  ========================================================================
sequence code          outcome
=====================  ========================================================================
``550``-``950``        ``SUCCEEDED``, decision ``PASS`` (reason ``SCORE_OK``)
``500``-``549``        ``SUCCEEDED``, decision ``CONDITIONAL`` (reason ``SCORE_BELOW_THRESHOLD``),
                       conditions ``down_payment``, ``income_proof``, ``residence_proof`` (any one)
``350``-``499``        ``SUCCEEDED``, decision ``FAIL`` (reason ``SCORE_TOO_LOW``)
``001``                ``PENDING`` (the consumer confirms in the vendor's app); the first
                       ``query_check`` or the ``credit_check.completed`` webhook makes it ``PASS``
``002``                ``UNKNOWN`` ``TIMEOUT``; the first query resolves it to ``PASS``
``003``                ``UNKNOWN`` ``TIMEOUT``; the first query resolves it to ``FAIL``
``004``                ``NOT_SUBMITTED`` ``SYSTEM_BUSY`` the first time; a retry with the same
                       ``check_id`` proceeds as for score 700
``008``                raises :class:`ProviderError` ``SANDBOX_FAULT`` (retryable), nothing recorded
anything else          score 700: ``PASS``
=====================  ========================================================================

Before the score, a person whose birth date makes them under 18 on the store's clock (Beijing
date) gets
decision ``FAIL`` reason ``UNDERAGE``; an ID number that is not 18 characters with a valid
birth date is ``FAILED`` ``INVALID_ID_NUMBER`` (the check could not be run).
Example: ``110101199001015503`` passes, ``110101199001015203`` is conditional,
``110101199001014003`` fails, ``110101199001010023`` times out and then passes.

**Business checks** (``check_business``) are scripted by the last four characters of the unified
social credit code (USCC, 18 characters):

=========  ===============================================================================
ends in    outcome
=========  ===============================================================================
``9999``   decision ``FAIL`` reason ``SERIOUS_DISHONESTY`` (listed as a 严重失信 entity)
``8888``   decision ``CONDITIONAL`` reason ``ABNORMAL_OPERATIONS`` (经营异常), condition
           ``manual_review``
``0000``   ``UNKNOWN`` ``TIMEOUT``; the first query resolves it to ``PASS``
other      decision ``PASS`` reason ``GOOD_STANDING``
=========  ===============================================================================

A code that is not 18 characters is ``FAILED`` ``INVALID_REGISTRATION_NUMBER``.

``test_connection``: merchant id ``sandbox_bad_credentials`` fails ``AUTH_FAILED``,
``sandbox_unreachable`` is ``NOT_SUBMITTED`` ``UNREACHABLE``; anything else succeeds.

**Idempotency.** Checks are kept in this process's memory keyed by ``(tenant_id, check_id)``:
the same check id returns the same outcome (resolving a pending one); reusing it for another
person or business raises ``ProviderError`` ``IDEMPOTENCY_MISMATCH``. Outcomes never carry the ID
number, the name or a score (real gates return decisions only).

**Webhooks** are JSON signed like the sandbox payments provider's:
``X-Sandbox-Signature = hex(HMAC-SHA256(webhook_secret, timestamp + "." + body))`` with
``X-Sandbox-Timestamp`` (unix seconds, within 5 minutes of the store's clock).
:meth:`SandboxCredit.build_webhook` makes a ``credit_check.completed`` event for a check.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

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

_LOCAL = ZoneInfo("Asia/Shanghai")
PASS_SCORE = 550
CONDITIONAL_SCORE = 500
DEFAULT_SCORE = 700
CONDITIONAL_OPTIONS = ("down_payment", "income_proof", "residence_proof")
WEBHOOK_TOLERANCE_SECONDS = 300
SIGNATURE_HEADER = "x-sandbox-signature"
TIMESTAMP_HEADER = "x-sandbox-timestamp"


# Every setting has a default so a store gets this sandbox without entering anything (the
# platform falls back to a settings-free sandbox). The default secret is public: a store that
# wants forged sandbox webhooks refused enters its own.
SANDBOX_SECRET = pydantic.SecretStr("pawpay-sandbox-public-secret")


class SandboxCreditConfig(ProviderConfig):
    """A store's sandbox credit settings."""

    merchant_id: str = pydantic.Field(
        default="sandbox", min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$",
        description="The store's sandbox merchant id (any value; see the docs for scripted ones).",
    )
    api_key: pydantic.SecretStr = pydantic.Field(
        default=SANDBOX_SECRET, min_length=16, description="The sandbox API key.",
    )
    webhook_secret: pydantic.SecretStr = pydantic.Field(
        default=SANDBOX_SECRET, min_length=16, description="Shared secret that signs the sandbox's webhooks.",
    )


_Ctx = ProviderContext[SandboxCreditConfig]


def _result(status: ProviderStatus, code: str | None = None, message: str | None = None,
            reference: str | None = None, **raw: Any) -> ProviderResult:
    return ProviderResult(status, provider_reference=reference, error_code=code, error_message=message,
                          raw={"sandbox": True, **raw})


def _decided(reference: str, decision: CreditDecision, reason: str,
             conditions: Sequence[str] = ()) -> CreditOutcome:
    return CreditOutcome(_result(ProviderStatus.SUCCEEDED, reference=reference), decision, reason,
                         tuple(conditions), {"sandbox": True})


@dataclass(frozen=True, slots=True)
class _Check:
    fingerprint: str  # what was checked, to refuse a reused check id
    outcome: CreditOutcome
    resolves_to: CreditOutcome | None = None


def _fingerprint(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _birth_date(id_number: str) -> date | None:
    if len(id_number) != 18 or not id_number[:17].isdigit():
        return None
    try:
        return date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except ValueError:
        return None


def _age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def _by_score(reference: str, score: int) -> CreditOutcome:
    if score >= PASS_SCORE:
        return _decided(reference, CreditDecision.PASS, "SCORE_OK")
    if score >= CONDITIONAL_SCORE:
        return _decided(reference, CreditDecision.CONDITIONAL, "SCORE_BELOW_THRESHOLD", CONDITIONAL_OPTIONS)
    return _decided(reference, CreditDecision.FAIL, "SCORE_TOO_LOW")


class SandboxCredit:
    """The ``credit/sandbox`` provider (see the module docstring for its scripted inputs)."""

    config_schema: ClassVar[type[ProviderConfig]] = SandboxCreditConfig
    capabilities: ClassVar[Capabilities] = frozenset({
        Capability.PERSON_CHECK, Capability.BUSINESS_CHECK, Capability.WEBHOOKS,
    })

    def __init__(self) -> None:
        self._checks: dict[tuple[str, str], _Check] = {}
        self._busy_once: set[tuple[str, str]] = set()

    async def test_connection(self, ctx: _Ctx) -> ProviderResult:
        if ctx.config.merchant_id == "sandbox_bad_credentials":
            return _result(ProviderStatus.FAILED, "AUTH_FAILED", "the sandbox refused these credentials")
        if ctx.config.merchant_id == "sandbox_unreachable":
            return _result(ProviderStatus.NOT_SUBMITTED, "UNREACHABLE", "the sandbox did not answer")
        return _result(ProviderStatus.SUCCEEDED, reference=ctx.config.merchant_id)

    def _existing(self, key: tuple[str, str], fingerprint: str) -> CreditOutcome | None:
        existing = self._checks.get(key)
        if existing is None:
            return None
        if existing.fingerprint != fingerprint:
            raise ProviderError(f"check {key[1]} was made before for someone else", code="IDEMPOTENCY_MISMATCH")
        return self._resolve(key)

    async def check_person(self, ctx: _Ctx, check: PersonCheck) -> CreditOutcome:
        key = (ctx.tenant_id, check.check_id)
        fingerprint = _fingerprint("person", check.name, check.id_number)
        earlier = self._existing(key, fingerprint)
        if earlier is not None:
            return earlier
        reference = f"sbx_credit_{check.check_id}"
        born = _birth_date(check.id_number)
        if born is None:
            outcome = CreditOutcome(_result(ProviderStatus.FAILED, "INVALID_ID_NUMBER",
                                            "not an 18-character resident ID number with a valid birth date"))
            self._checks[key] = _Check(fingerprint, outcome)
            return outcome
        script = check.id_number[14:17]
        if script == "008":
            raise ProviderError("the sandbox simulates an unexpected fault (sequence code 008)",
                                code="SANDBOX_FAULT", retryable=True)
        if script == "004" and key not in self._busy_once:
            self._busy_once.add(key)
            return CreditOutcome(_result(ProviderStatus.NOT_SUBMITTED, "SYSTEM_BUSY", "retry the same check"))
        resolves_to: CreditOutcome | None = None
        if _age_on(born, ctx.now().astimezone(_LOCAL).date()) < 18:  # age by the Beijing date
            outcome = _decided(reference, CreditDecision.FAIL, "UNDERAGE")
        elif script == "001":
            outcome = CreditOutcome(_result(ProviderStatus.PENDING, reference=reference))
            resolves_to = _by_score(reference, DEFAULT_SCORE)
        elif script in ("002", "003"):
            outcome = CreditOutcome(_result(ProviderStatus.UNKNOWN, "TIMEOUT", "the sandbox timed out after sending"))
            resolves_to = _by_score(reference, DEFAULT_SCORE if script == "002" else 400)
        else:
            score = int(script)
            outcome = _by_score(reference, score if 350 <= score <= 950 else DEFAULT_SCORE)
        self._checks[key] = _Check(fingerprint, outcome, resolves_to)
        return outcome

    async def check_business(self, ctx: _Ctx, check: BusinessCheck) -> CreditOutcome:
        key = (ctx.tenant_id, check.check_id)
        code = check.registration_number.upper()
        fingerprint = _fingerprint("business", code)
        earlier = self._existing(key, fingerprint)
        if earlier is not None:
            return earlier
        reference = f"sbx_biz_{check.check_id}"
        resolves_to: CreditOutcome | None = None
        if len(code) != 18 or not code.isalnum():
            outcome = CreditOutcome(_result(ProviderStatus.FAILED, "INVALID_REGISTRATION_NUMBER",
                                            "not an 18-character unified social credit code"))
        elif code.endswith("9999"):
            outcome = _decided(reference, CreditDecision.FAIL, "SERIOUS_DISHONESTY")
        elif code.endswith("8888"):
            outcome = _decided(reference, CreditDecision.CONDITIONAL, "ABNORMAL_OPERATIONS", ("manual_review",))
        elif code.endswith("0000"):
            outcome = CreditOutcome(_result(ProviderStatus.UNKNOWN, "TIMEOUT", "the sandbox timed out after sending"))
            resolves_to = _decided(reference, CreditDecision.PASS, "GOOD_STANDING")
        else:
            outcome = _decided(reference, CreditDecision.PASS, "GOOD_STANDING")
        self._checks[key] = _Check(fingerprint, outcome, resolves_to)
        return outcome

    def _resolve(self, key: tuple[str, str]) -> CreditOutcome:
        check = self._checks[key]
        if check.resolves_to is not None:
            check = self._checks[key] = replace(check, outcome=check.resolves_to, resolves_to=None)
        return check.outcome

    async def query_check(self, ctx: _Ctx, check_id: str) -> CreditOutcome:
        key = (ctx.tenant_id, check_id)
        if key not in self._checks:
            return CreditOutcome(_result(ProviderStatus.NOT_SUBMITTED, "NOT_FOUND", "the sandbox never received it"))
        return self._resolve(key)

    # --- webhooks ----------------------------------------------------------------------------------

    def build_webhook(self, ctx: _Ctx, check_id: str) -> RawWebhook:
        """A signed ``credit_check.completed`` webhook for the check (resolving a pending one)."""
        key = (ctx.tenant_id, check_id)
        if key not in self._checks:
            raise ProviderError(f"no sandbox check {check_id}", code="NOT_FOUND")
        outcome = self._resolve(key)
        now = ctx.now()
        body = json.dumps({
            "id": f"evt_{check_id}_{outcome.result.status.value}",
            "type": "credit_check.completed",
            "check_id": check_id,
            "reference": outcome.result.provider_reference,
            "status": outcome.result.status.value,
            "decision": outcome.decision.value if outcome.decision else None,
            "reason_code": outcome.reason_code,
        }, separators=(",", ":")).encode()
        timestamp = str(int(now.timestamp()))
        headers = {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: sign_webhook(ctx.config, timestamp, body),
                   "content-type": "application/json"}
        return RawWebhook("POST", f"/webhooks/credit/sandbox/{ctx.tenant_id}", "", headers, body, "127.0.0.1", now)

    async def verify_webhook(self, ctx: _Ctx, raw: RawWebhook) -> Sequence[WebhookEvent]:
        headers = {k.lower(): v for k, v in raw.headers.items()}
        timestamp, signature = headers.get(TIMESTAMP_HEADER), headers.get(SIGNATURE_HEADER)
        if not timestamp or not signature:
            raise WebhookRejected("missing sandbox signature headers", code="SIGNATURE_MISSING")
        if not hmac.compare_digest(sign_webhook(ctx.config, timestamp, raw.body), signature):
            raise WebhookRejected("the sandbox signature does not match", code="SIGNATURE_INVALID")
        try:
            sent_at = datetime.fromtimestamp(int(timestamp), tz=UTC)
        except (ValueError, OverflowError):
            raise WebhookRejected("malformed sandbox timestamp", code="MALFORMED") from None
        if abs((ctx.now() - sent_at).total_seconds()) > WEBHOOK_TOLERANCE_SECONDS:
            raise WebhookRejected("the sandbox webhook is outside the 5-minute window", code="STALE")
        try:
            data = json.loads(raw.body)
            return [WebhookEvent(
                event_id=str(data["id"]), kind=str(data["type"]), occurred_at=sent_at,
                reference=str(data["check_id"]), provider_reference=data.get("reference"),
                status=ProviderStatus(data["status"]),
                raw={"decision": data.get("decision"), "reason_code": data.get("reason_code")},
            )]
        except (ValueError, KeyError, TypeError) as exc:
            raise WebhookRejected(f"malformed sandbox webhook body: {exc!r}", code="MALFORMED") from None

    def webhook_ack(self, ok: bool) -> WebhookAck:
        if ok:
            return WebhookAck(200, b'{"received":true}', {"content-type": "application/json"})
        return WebhookAck(400, b'{"received":false}', {"content-type": "application/json"})


def sign_webhook(config: ProviderConfig, timestamp: str, body: bytes) -> str:
    """``hex(HMAC-SHA256(webhook_secret, timestamp + "." + body))``."""
    assert isinstance(config, SandboxCreditConfig)
    secret = config.webhook_secret.get_secret_value().encode()
    return hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
