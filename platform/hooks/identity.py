"""The ``identity`` category: real-name and face checks, e-contract signing and its evidence.

The signer of a contract must be an adult and the same person as the face check and the debit
authorisation (ARCHITECTURE §5a); evidence is kept ≥ 3 years after the contract ends.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from pawpay.platform.hooks.providers import (
    Capabilities,
    ClientAction,
    ProviderConfig,
    ProviderContext,
    ProviderResult,
    RawWebhook,
    WebhookAck,
    WebhookEvent,
)


@dataclass(frozen=True, slots=True)
class RealNameCheck:
    """Name + ID number (+ mobile) verification. ``id_number`` is never logged or put in ``raw``."""

    check_id: str
    name: str
    id_number: str
    mobile: str = ""


@dataclass(frozen=True, slots=True)
class FaceCheckRequest:
    """Start a liveness + face-match session for the person named."""

    check_id: str
    name: str
    id_number: str
    return_url: str
    channel: str = "h5"


@dataclass(frozen=True, slots=True)
class Signer:
    """One party of a sign flow. ``kind`` is ``"person"`` (consumer) or ``"organisation"`` (store)."""

    kind: str
    name: str
    id_number: str = ""
    mobile: str = ""


@dataclass(frozen=True, slots=True)
class SignFlowRequest:
    """An e-contract to sign.

    Attributes:
        flow_id: platform-owned id, the idempotency key.
        document_name: the file name shown to signers.
        document_pdf: the rendered contract.
        signers: the consumer and the store (auto-sealed where the vendor supports it).
        return_url: where the signer returns after signing.
    """

    flow_id: str
    document_name: str
    document_pdf: bytes
    signers: Sequence[Signer]
    return_url: str = ""


@dataclass(frozen=True, slots=True)
class IdentitySession:
    """A started face check or sign flow: ``result`` (usually ``PENDING``) plus the person's action."""

    result: ProviderResult
    action: ClientAction | None = None


class EvidenceKind(enum.StrEnum):
    SIGNED_DOCUMENT = "signed_document"
    VOUCHER = "voucher"
    FACE_CHECK = "face_check"


@dataclass(frozen=True, slots=True)
class Evidence:
    """A piece of evidence to keep (the signed PDF, the vendor's 存证 voucher)."""

    kind: EvidenceKind
    file_name: str
    content: bytes
    raw: Mapping[str, Any] = field(default_factory=dict)


@runtime_checkable
class IdentityProvider(Protocol):
    """Real-name, face and e-sign (Aliyun cloudauth, Tencent faceid, e签宝, the sandbox)."""

    @property
    def config_schema(self) -> type[ProviderConfig]:
        """The store config schema. .. versionadded:: 1"""
        ...

    @property
    def capabilities(self) -> Capabilities:
        """Optional features implemented (``FACE_CHECK``, ``E_SIGN``). .. versionadded:: 1"""
        ...

    async def test_connection(self, ctx: ProviderContext[Any]) -> ProviderResult:
        """Check the store's credentials without side effects. .. versionadded:: 1"""
        ...

    async def verify_real_name(self, ctx: ProviderContext[Any], check: RealNameCheck) -> ProviderResult:
        """Check that name, ID number (and mobile) belong together; ``FAILED`` = mismatch.

        .. versionadded:: 1
        """
        ...

    async def start_face_check(self, ctx: ProviderContext[Any], request: FaceCheckRequest) -> IdentitySession:
        """Start a face check; the person completes ``action``; idempotent on ``check_id``.

        .. versionadded:: 1
        """
        ...

    async def query_face_check(self, ctx: ProviderContext[Any], check_id: str) -> ProviderResult:
        """The face check's outcome (``SUCCEEDED`` = same person, alive). .. versionadded:: 1"""
        ...

    async def start_sign_flow(self, ctx: ProviderContext[Any], request: SignFlowRequest) -> IdentitySession:
        """Create an e-sign flow and return the consumer's signing action; idempotent on ``flow_id``.

        .. versionadded:: 1
        """
        ...

    async def query_sign_flow(self, ctx: ProviderContext[Any], flow_id: str) -> ProviderResult:
        """The flow's outcome (``SUCCEEDED`` = signed by everyone). .. versionadded:: 1"""
        ...

    async def download_evidence(self, ctx: ProviderContext[Any], flow_id: str) -> Sequence[Evidence]:
        """The signed documents and vendor evidence, for pawpay to keep its own copy.

        .. versionadded:: 1
        """
        ...

    async def verify_webhook(self, ctx: ProviderContext[Any], raw: RawWebhook) -> Sequence[WebhookEvent]:
        """Verify and parse a webhook (raises ``WebhookRejected``). .. versionadded:: 1"""
        ...

    def webhook_ack(self, ok: bool) -> WebhookAck:
        """The reply the vendor expects for an accepted (``ok``) or rejected webhook.

        Called by the webhook endpoint after persisting the raw request (capability ``WEBHOOKS``).

        .. versionadded:: 1
        """
        ...


__all__ = [
    "Evidence",
    "EvidenceKind",
    "FaceCheckRequest",
    "IdentityProvider",
    "IdentitySession",
    "RealNameCheck",
    "SignFlowRequest",
    "Signer",
]
