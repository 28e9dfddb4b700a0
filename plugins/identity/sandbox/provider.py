"""The sandbox identity provider: real-name, face check and e-contract signing, in memory.

Flows work like Tencent 慧眼 / Aliyun 实人认证 and e签宝: ``start_face_check`` and
``start_sign_flow`` return ``PENDING`` and a ``redirect_url`` action to the sandbox page
``{page_base_url}/{tenant_id}/{face|sign}/{token}``; that page calls
:meth:`SandboxIdentity.complete_face_check` / :meth:`SandboxIdentity.complete_sign_flow` (and
:meth:`SandboxIdentity.page_session` to show what is being confirmed). Until then queries answer
``PENDING``; a face check expires 30 minutes and a sign flow 7 days after it started (on the
store's clock): then it is ``FAILED`` ``EXPIRED``.

Scripted by **the person's name** (the Chinese or the ASCII marker anywhere in it):

==================  =========================================================================
name contains       outcome
==================  =========================================================================
``不符`` / MISMATCH  ``verify_real_name`` and ``start_face_check`` are ``FAILED``
                    ``NAME_ID_MISMATCH`` (name and ID number do not belong together)
``非本人`` / NOTSELF  the face check completes ``FAILED`` ``FACE_MISMATCH`` (not the same person)
``假体`` / SPOOF      the face check completes ``FAILED`` ``LIVENESS_FAILED`` (photo or mask)
``超时`` / TIMEOUT    ``verify_real_name`` is ``UNKNOWN`` ``TIMEOUT``; asking again with the same
                    ``check_id`` succeeds
``拒签`` / DECLINE    (a person signer) the sign flow completes ``FAILED`` ``SIGNER_DECLINED``
==================  =========================================================================

An ID number that is not 18 characters is ``FAILED`` ``ID_NUMBER_INVALID``. A sign flow needs a
non-empty document (else ``FAILED`` ``DOCUMENT_EMPTY``) and at least one ``person`` signer (else
``FAILED`` ``NO_PERSON_SIGNER``); signer kinds other than ``person``/``organisation`` are
``FAILED`` ``INVALID_SIGNER``.

**Evidence.** Once signed, ``download_evidence`` returns the document (``SIGNED_DOCUMENT``, its
SHA-256 in ``raw``) and a JSON voucher (``VOUCHER``): evidence id, flow id, document name and
SHA-256, each signer's kind, name, masked mobile and ``HMAC-SHA256(app_secret, id_number)`` (never
the number itself), ``started_at`` and ``signed_at`` (aware UTC, ISO 8601), sealed by
``signature = hex(HMAC-SHA256(app_secret, canonical JSON of the rest))``; check one with
:func:`verify_voucher`.

``test_connection``: app id ``sandbox_bad_credentials`` fails ``AUTH_FAILED``,
``sandbox_unreachable`` is ``NOT_SUBMITTED`` ``UNREACHABLE``; anything else succeeds.

**Idempotency.** Checks and flows are keyed by ``(tenant_id, check_id | flow_id)``: starting the
same one again returns the same session (same URL); reusing an id for another person or document
raises ``ProviderError`` ``IDEMPOTENCY_MISMATCH``. Page tokens are per store: another store's
context never finds them.

**Webhooks** ``face_check.completed`` and ``sign_flow.completed`` are JSON signed with the
store's ``webhook_secret``: ``X-Sandbox-Signature = hex(HMAC-SHA256(secret, timestamp + "." +
body))`` and ``X-Sandbox-Timestamp`` (unix seconds, within 5 minutes of the store's clock);
:meth:`SandboxIdentity.build_webhook` makes one for a completed check or flow.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import pydantic

from pawpay.platform.hooks import (
    Capabilities,
    Capability,
    ClientAction,
    Evidence,
    EvidenceKind,
    FaceCheckRequest,
    IdentitySession,
    ProviderConfig,
    ProviderContext,
    ProviderError,
    ProviderResult,
    ProviderStatus,
    RawWebhook,
    RealNameCheck,
    SignFlowRequest,
    WebhookAck,
    WebhookEvent,
    WebhookRejected,
)

FACE_CHECK_TTL = timedelta(minutes=30)
SIGN_FLOW_TTL = timedelta(days=7)
WEBHOOK_TOLERANCE_SECONDS = 300
SIGNATURE_HEADER = "x-sandbox-signature"
TIMESTAMP_HEADER = "x-sandbox-timestamp"
SIGNER_KINDS = frozenset({"person", "organisation"})

_MISMATCH = ("不符", "MISMATCH")
_NOT_SELF = ("非本人", "NOTSELF")
_SPOOF = ("假体", "SPOOF")
_TIMEOUT = ("超时", "TIMEOUT")
_DECLINE = ("拒签", "DECLINE")


# Every setting has a default so a store gets this sandbox without entering anything (the
# platform falls back to a settings-free sandbox). The default secret is public: a store that
# wants forged sandbox webhooks refused enters its own.
SANDBOX_SECRET = pydantic.SecretStr("pawpay-sandbox-public-secret")


class SandboxIdentityConfig(ProviderConfig):
    """A store's sandbox identity settings."""

    app_id: str = pydantic.Field(
        default="sandbox", min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$",
        description="The sandbox app id (any value; see the docs for scripted ones).",
    )
    app_secret: pydantic.SecretStr = pydantic.Field(
        default=SANDBOX_SECRET, min_length=16, description="The sandbox app secret; also seals the evidence vouchers.",
    )
    webhook_secret: pydantic.SecretStr = pydantic.Field(
        default=SANDBOX_SECRET, min_length=16, description="Shared secret that signs the sandbox's webhooks.",
    )
    page_base_url: str = pydantic.Field(
        default="http://127.0.0.1:8000/sign/sandbox", pattern=r"^https?://",
        description="Where the sandbox face-check and signing pages are served.",
    )


_Ctx = ProviderContext[SandboxIdentityConfig]


def _result(status: ProviderStatus, code: str | None = None, message: str | None = None,
            reference: str | None = None, **raw: Any) -> ProviderResult:
    return ProviderResult(status, provider_reference=reference, error_code=code, error_message=message,
                          raw={"sandbox": True, **raw})


def _has(name: str, markers: tuple[str, str]) -> bool:
    return any(marker in name.upper() for marker in markers)


def _hmac(config: SandboxIdentityConfig, text: str) -> str:
    return hmac.new(config.app_secret.get_secret_value().encode(), text.encode(), hashlib.sha256).hexdigest()


def _fingerprint(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def _masked(mobile: str) -> str:
    return f"{mobile[:3]}****{mobile[-4:]}" if len(mobile) >= 7 else "****"


@dataclass(frozen=True, slots=True)
class PageSession:
    """What the sandbox page shows about a pending face check or sign flow."""

    kind: str  # "face" or "sign"
    session_id: str  # the check_id or flow_id
    names: tuple[str, ...]
    document_name: str
    expires_at: datetime
    result: ProviderResult


@dataclass(frozen=True, slots=True)
class _Session:
    kind: str
    session_id: str
    fingerprint: str
    token: str
    started_at: datetime
    expires_at: datetime
    result: ProviderResult
    action: ClientAction | None
    names: tuple[str, ...] = ()
    request: SignFlowRequest | None = None
    signed_at: datetime | None = None


class SandboxIdentity:
    """The ``identity/sandbox`` provider (see the module docstring for its scripted inputs)."""

    config_schema: ClassVar[type[ProviderConfig]] = SandboxIdentityConfig
    capabilities: ClassVar[Capabilities] = frozenset({Capability.FACE_CHECK, Capability.E_SIGN, Capability.WEBHOOKS})

    def __init__(self) -> None:
        self._real_name: dict[tuple[str, str], tuple[str, ProviderResult]] = {}
        self._sessions: dict[tuple[str, str, str], _Session] = {}  # (tenant, kind, id)

    async def test_connection(self, ctx: _Ctx) -> ProviderResult:
        if ctx.config.app_id == "sandbox_bad_credentials":
            return _result(ProviderStatus.FAILED, "AUTH_FAILED", "the sandbox refused these credentials")
        if ctx.config.app_id == "sandbox_unreachable":
            return _result(ProviderStatus.NOT_SUBMITTED, "UNREACHABLE", "the sandbox did not answer")
        return _result(ProviderStatus.SUCCEEDED, reference=ctx.config.app_id)

    # --- real name ---------------------------------------------------------------------------------

    async def verify_real_name(self, ctx: _Ctx, check: RealNameCheck) -> ProviderResult:
        key = (ctx.tenant_id, check.check_id)
        fingerprint = _fingerprint(check.name, check.id_number, check.mobile)
        earlier = self._real_name.get(key)
        if earlier is not None:
            if earlier[0] != fingerprint:
                raise ProviderError(f"check {check.check_id} was made before for someone else",
                                    code="IDEMPOTENCY_MISMATCH")
            if earlier[1].status is not ProviderStatus.UNKNOWN:
                return earlier[1]
            result = _result(ProviderStatus.SUCCEEDED, reference=f"sbx_rn_{check.check_id}")
        elif len(check.id_number) != 18:
            result = _result(ProviderStatus.FAILED, "ID_NUMBER_INVALID", "not an 18-character ID number")
        elif _has(check.name, _MISMATCH):
            result = _result(ProviderStatus.FAILED, "NAME_ID_MISMATCH", "the name and ID number do not match")
        elif _has(check.name, _TIMEOUT):
            result = _result(ProviderStatus.UNKNOWN, "TIMEOUT", "the sandbox timed out after sending")
        else:
            result = _result(ProviderStatus.SUCCEEDED, reference=f"sbx_rn_{check.check_id}")
        self._real_name[key] = (fingerprint, result)
        return result

    # --- sessions shared by face checks and sign flows ------------------------------------------------

    def _start(self, ctx: _Ctx, kind: str, session_id: str, fingerprint: str, ttl: timedelta,
               refusal: ProviderResult | None, names: tuple[str, ...],
               request: SignFlowRequest | None = None) -> IdentitySession:
        key = (ctx.tenant_id, kind, session_id)
        existing = self._sessions.get(key)
        if existing is not None:
            if existing.fingerprint != fingerprint:
                raise ProviderError(f"{kind} {session_id} was started before with other details",
                                    code="IDEMPOTENCY_MISMATCH")
            current = self._current(ctx, key)
            return IdentitySession(current.result, current.action if current.result.needs_query else None)
        now = ctx.now()
        token = _hmac(ctx.config, f"{ctx.tenant_id}:{kind}:{session_id}")[:32]
        if refusal is not None:
            session = _Session(kind, session_id, fingerprint, token, now, now, refusal, None, names, request)
        else:
            expires_at = now + ttl
            url = f"{ctx.config.page_base_url.rstrip('/')}/{ctx.tenant_id}/{kind}/{token}"
            action = ClientAction("redirect_url", {"url": url, "token": token}, expires_at)
            pending = _result(ProviderStatus.PENDING, reference=f"sbx_{kind}_{session_id}")
            session = _Session(kind, session_id, fingerprint, token, now, expires_at, pending, action, names, request)
        self._sessions[key] = session
        return IdentitySession(session.result, session.action)

    def _current(self, ctx: _Ctx, key: tuple[str, str, str]) -> _Session:
        session = self._sessions[key]
        if session.result.status is ProviderStatus.PENDING and ctx.now() >= session.expires_at:
            expired = _result(ProviderStatus.FAILED, "EXPIRED", "the person did not finish in time",
                              reference=session.result.provider_reference)
            session = self._sessions[key] = replace(session, result=expired)
        return session

    def _query(self, ctx: _Ctx, kind: str, session_id: str) -> ProviderResult:
        key = (ctx.tenant_id, kind, session_id)
        if key not in self._sessions:
            return _result(ProviderStatus.NOT_SUBMITTED, "NOT_FOUND", "the sandbox never received it")
        return self._current(ctx, key).result

    def _by_token(self, ctx: _Ctx, kind: str, token: str) -> tuple[str, str, str]:
        for key, session in self._sessions.items():
            if key[0] == ctx.tenant_id and key[1] == kind and hmac.compare_digest(session.token, token):
                return key
        raise ProviderError(f"no sandbox {kind} session for this token", code="NOT_FOUND")

    def page_session(self, ctx: _Ctx, kind: str, token: str) -> PageSession:
        """What the sandbox page at ``.../{tenant_id}/{kind}/{token}`` shows (raises ``NOT_FOUND``)."""
        session = self._current(ctx, self._by_token(ctx, kind, token))
        document_name = session.request.document_name if session.request else ""
        return PageSession(kind, session.session_id, session.names, document_name, session.expires_at,
                           session.result)

    def _complete(self, ctx: _Ctx, kind: str, token: str, outcome: ProviderResult) -> ProviderResult:
        key = self._by_token(ctx, kind, token)
        session = self._current(ctx, key)
        if session.result.status is not ProviderStatus.PENDING:
            return session.result  # already completed, expired or refused: completing again changes nothing
        signed_at = ctx.now() if outcome.status is ProviderStatus.SUCCEEDED else None
        self._sessions[key] = replace(session, result=outcome, signed_at=signed_at)
        return outcome

    # --- face checks --------------------------------------------------------------------------------

    async def start_face_check(self, ctx: _Ctx, request: FaceCheckRequest) -> IdentitySession:
        refusal = None
        if len(request.id_number) != 18:
            refusal = _result(ProviderStatus.FAILED, "ID_NUMBER_INVALID", "not an 18-character ID number")
        elif _has(request.name, _MISMATCH):
            refusal = _result(ProviderStatus.FAILED, "NAME_ID_MISMATCH", "the name and ID number do not match")
        fingerprint = _fingerprint(request.name, request.id_number)
        return self._start(ctx, "face", request.check_id, fingerprint, FACE_CHECK_TTL, refusal, (request.name,))

    async def query_face_check(self, ctx: _Ctx, check_id: str) -> ProviderResult:
        return self._query(ctx, "face", check_id)

    def complete_face_check(self, ctx: _Ctx, token: str) -> ProviderResult:
        """The person finished the face check on the sandbox page; returns its outcome."""
        session = self._sessions[self._by_token(ctx, "face", token)]
        name, reference = session.names[0], session.result.provider_reference
        if _has(name, _NOT_SELF):
            outcome = _result(ProviderStatus.FAILED, "FACE_MISMATCH", "not the same person", reference=reference)
        elif _has(name, _SPOOF):
            outcome = _result(ProviderStatus.FAILED, "LIVENESS_FAILED", "liveness check failed", reference=reference)
        else:
            outcome = _result(ProviderStatus.SUCCEEDED, reference=reference, similarity=92.5)
        return self._complete(ctx, "face", token, outcome)

    # --- sign flows ---------------------------------------------------------------------------------

    async def start_sign_flow(self, ctx: _Ctx, request: SignFlowRequest) -> IdentitySession:
        refusal = None
        if not request.document_pdf:
            refusal = _result(ProviderStatus.FAILED, "DOCUMENT_EMPTY", "the document is empty")
        elif any(signer.kind not in SIGNER_KINDS for signer in request.signers):
            refusal = _result(ProviderStatus.FAILED, "INVALID_SIGNER", "signers are a person or an organisation")
        elif not any(signer.kind == "person" for signer in request.signers):
            refusal = _result(ProviderStatus.FAILED, "NO_PERSON_SIGNER", "a contract needs a person signer")
        fingerprint = _fingerprint(request.document_name, hashlib.sha256(request.document_pdf).hexdigest(),
                                   [(s.kind, s.name, s.id_number, s.mobile) for s in request.signers])
        names = tuple(signer.name for signer in request.signers)
        return self._start(ctx, "sign", request.flow_id, fingerprint, SIGN_FLOW_TTL, refusal, names, request)

    async def query_sign_flow(self, ctx: _Ctx, flow_id: str) -> ProviderResult:
        return self._query(ctx, "sign", flow_id)

    def complete_sign_flow(self, ctx: _Ctx, token: str) -> ProviderResult:
        """Every signer signed (or a scripted one declined) on the sandbox page; returns the outcome."""
        session = self._sessions[self._by_token(ctx, "sign", token)]
        assert session.request is not None
        reference = session.result.provider_reference
        if any(s.kind == "person" and _has(s.name, _DECLINE) for s in session.request.signers):
            outcome = _result(ProviderStatus.FAILED, "SIGNER_DECLINED", "a signer declined to sign",
                              reference=reference)
        else:
            outcome = _result(ProviderStatus.SUCCEEDED, reference=reference)
        return self._complete(ctx, "sign", token, outcome)

    async def download_evidence(self, ctx: _Ctx, flow_id: str) -> Sequence[Evidence]:
        key = (ctx.tenant_id, "sign", flow_id)
        if key not in self._sessions:
            return []
        session = self._current(ctx, key)
        if session.result.status is not ProviderStatus.SUCCEEDED or session.request is None:
            return []
        assert session.signed_at is not None
        request = session.request
        document_sha256 = hashlib.sha256(request.document_pdf).hexdigest()
        voucher: dict[str, Any] = {
            "evidence_id": f"sbx_evd_{flow_id}",
            "flow_id": flow_id,
            "document_name": request.document_name,
            "document_sha256": document_sha256,
            "signers": [{"kind": s.kind, "name": s.name, "mobile": _masked(s.mobile) if s.mobile else "",
                         "id_number_hmac": _hmac(ctx.config, s.id_number) if s.id_number else ""}
                        for s in request.signers],
            "started_at": session.started_at.astimezone(UTC).isoformat(),
            "signed_at": session.signed_at.astimezone(UTC).isoformat(),
        }
        voucher["signature"] = _hmac(ctx.config, _canonical(voucher))
        raw = {"evidence_id": voucher["evidence_id"], "document_sha256": document_sha256}
        return [
            Evidence(EvidenceKind.SIGNED_DOCUMENT, request.document_name, request.document_pdf, raw),
            Evidence(EvidenceKind.VOUCHER, f"{flow_id}-evidence.json",
                     json.dumps(voucher, ensure_ascii=False, indent=2).encode(), raw),
        ]

    # --- webhooks ---------------------------------------------------------------------------------

    def build_webhook(self, ctx: _Ctx, kind: str, session_id: str) -> RawWebhook:
        """A signed ``face_check.completed`` (kind ``"face"``) or ``sign_flow.completed`` (``"sign"``) webhook."""
        key = (ctx.tenant_id, kind, session_id)
        if key not in self._sessions:
            raise ProviderError(f"no sandbox {kind} session {session_id}", code="NOT_FOUND")
        result = self._current(ctx, key).result
        now = ctx.now()
        body = json.dumps({
            "id": f"evt_{kind}_{session_id}_{result.status.value}",
            "type": "face_check.completed" if kind == "face" else "sign_flow.completed",
            "reference": session_id,
            "provider_reference": result.provider_reference,
            "status": result.status.value,
            "error_code": result.error_code,
        }, separators=(",", ":")).encode()
        timestamp = str(int(now.timestamp()))
        headers = {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: sign_webhook(ctx.config, timestamp, body),
                   "content-type": "application/json"}
        return RawWebhook("POST", f"/webhooks/identity/sandbox/{ctx.tenant_id}", "", headers, body, "127.0.0.1", now)

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
                reference=str(data["reference"]), provider_reference=data.get("provider_reference"),
                status=ProviderStatus(data["status"]), raw={"error_code": data.get("error_code")},
            )]
        except (ValueError, KeyError, TypeError) as exc:
            raise WebhookRejected(f"malformed sandbox webhook body: {exc!r}", code="MALFORMED") from None

    def webhook_ack(self, ok: bool) -> WebhookAck:
        if ok:
            return WebhookAck(200, b'{"received":true}', {"content-type": "application/json"})
        return WebhookAck(400, b'{"received":false}', {"content-type": "application/json"})


def _canonical(data: Mapping[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def verify_voucher(config: ProviderConfig, content: bytes) -> bool:
    """Whether a sandbox evidence voucher is intact (its ``signature`` seals every other field)."""
    assert isinstance(config, SandboxIdentityConfig)
    try:
        voucher = json.loads(content)
        signature = voucher.pop("signature")
    except (ValueError, KeyError, AttributeError, TypeError):
        return False
    return isinstance(signature, str) and hmac.compare_digest(_hmac(config, _canonical(voucher)), signature)


def sign_webhook(config: ProviderConfig, timestamp: str, body: bytes) -> str:
    """``hex(HMAC-SHA256(webhook_secret, timestamp + "." + body))``."""
    assert isinstance(config, SandboxIdentityConfig)
    secret = config.webhook_secret.get_secret_value().encode()
    return hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
