"""identity/sandbox honours the provider contract; its flows complete on the page methods, its
scripted names fail where the docs say, and its evidence is sealed."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import timedelta
from typing import Any

import pytest

from pawpay.platform.hooks import (
    EvidenceKind,
    FaceCheckRequest,
    IdentitySession,
    ProviderCatalog,
    ProviderContext,
    ProviderError,
    ProviderRegistrationError,
    ProviderStatus,
    RealNameCheck,
    Signer,
    SignFlowRequest,
    WebhookRejected,
)
from pawpay.platform.hooks._manager import build_plugin_manager
from pawpay.platform.testing.providers import DEFAULT_NOW, IdentityProviderContract, IdentityScenarios
from pawpay.plugins.identity.sandbox import plugin
from pawpay.plugins.identity.sandbox.provider import SandboxIdentity, SandboxIdentityConfig, verify_voucher

pytestmark = pytest.mark.contract

CONFIG = {"app_id": "sandbox_store", "app_secret": "a" * 16, "webhook_secret": "s3cret-s3cret-s3cret"}
ID_NUMBER = "110101199001015503"


def _complete(provider: SandboxIdentity, ctx: ProviderContext[Any], session: IdentitySession) -> None:
    assert session.action is not None
    url, token = session.action.payload["url"], session.action.payload["token"]
    kind = "face" if "/face/" in url else "sign"
    if kind == "face":
        provider.complete_face_check(ctx, token)
    else:
        provider.complete_sign_flow(ctx, token)


class TestSandboxIdentityContract(IdentityProviderContract):
    @pytest.fixture
    def provider(self) -> SandboxIdentity:
        return SandboxIdentity()

    @pytest.fixture
    def provider_config(self) -> dict[str, Any]:
        return dict(CONFIG)

    @pytest.fixture
    def scenarios(self) -> IdentityScenarios:
        return IdentityScenarios(
            mismatched_person=("张不符", ID_NUMBER, "13812345678"),
            complete=_complete,
            make_webhook=lambda provider, ctx, flow_id: provider.build_webhook(ctx, "sign", flow_id),
        )


@pytest.fixture
def sandbox() -> SandboxIdentity:
    return SandboxIdentity()


TENANT = "7b0c7c2e-0000-4000-8000-000000000002"


def _ctx(after: timedelta = timedelta(0), tenant_id: str = TENANT) -> ProviderContext[SandboxIdentityConfig]:
    now = DEFAULT_NOW + after
    return ProviderContext(tenant_id, SandboxIdentityConfig(**CONFIG), True, lambda: now)


def _face(name: str, id_number: str = ID_NUMBER) -> FaceCheckRequest:
    return FaceCheckRequest(f"face-{uuid.uuid4().hex[:8]}", name, id_number, "https://example.invalid/back")


def _flow(consumer: str = "张三", document: bytes = b"%PDF-1.4 contract") -> SignFlowRequest:
    return SignFlowRequest(f"flow-{uuid.uuid4().hex[:8]}", "领养协议.pdf", document,
                           (Signer("person", consumer, ID_NUMBER, "13812345678"), Signer("organisation", "宠物店")))


@pytest.mark.parametrize(("name", "id_number", "status", "code"), [
    ("张三", ID_NUMBER, ProviderStatus.SUCCEEDED, None),
    ("张不符", ID_NUMBER, ProviderStatus.FAILED, "NAME_ID_MISMATCH"),
    ("Zhang MISMATCH", ID_NUMBER, ProviderStatus.FAILED, "NAME_ID_MISMATCH"),
    ("张三", "11010119900101", ProviderStatus.FAILED, "ID_NUMBER_INVALID"),
    ("张超时", ID_NUMBER, ProviderStatus.UNKNOWN, "TIMEOUT"),
])
async def test_real_name_is_scripted_by_name(
    sandbox: SandboxIdentity, name: str, id_number: str, status: ProviderStatus, code: str | None
) -> None:
    result = await sandbox.verify_real_name(_ctx(), RealNameCheck("rn-1", name, id_number))
    assert (result.status, result.error_code) == (status, code)


async def test_a_timed_out_real_name_check_succeeds_when_asked_again(sandbox: SandboxIdentity) -> None:
    check = RealNameCheck("rn-1", "张超时", ID_NUMBER)
    assert (await sandbox.verify_real_name(_ctx(), check)).status is ProviderStatus.UNKNOWN
    assert (await sandbox.verify_real_name(_ctx(), check)).status is ProviderStatus.SUCCEEDED
    with pytest.raises(ProviderError) as raised:
        await sandbox.verify_real_name(_ctx(), RealNameCheck("rn-1", "李四", ID_NUMBER))
    assert raised.value.code == "IDEMPOTENCY_MISMATCH"


@pytest.mark.parametrize(("name", "status", "code"), [
    ("张三", ProviderStatus.SUCCEEDED, None),
    ("张非本人", ProviderStatus.FAILED, "FACE_MISMATCH"),
    ("张假体", ProviderStatus.FAILED, "LIVENESS_FAILED"),
    ("zhang notself", ProviderStatus.FAILED, "FACE_MISMATCH"),
])
async def test_the_face_check_completes_as_scripted(
    sandbox: SandboxIdentity, name: str, status: ProviderStatus, code: str | None
) -> None:
    ctx, request = _ctx(), _face(name)
    session = await sandbox.start_face_check(ctx, request)
    assert session.result.status is ProviderStatus.PENDING
    assert session.action is not None
    assert session.action.kind == "redirect_url"
    assert session.action.payload["url"].startswith(f"http://127.0.0.1:8000/sign/sandbox/{TENANT}/face/")
    assert session.action.expires_at == DEFAULT_NOW + timedelta(minutes=30)
    page = sandbox.page_session(ctx, "face", session.action.payload["token"])
    assert (page.session_id, page.names) == (request.check_id, (name,))
    outcome = sandbox.complete_face_check(ctx, session.action.payload["token"])
    assert (outcome.status, outcome.error_code) == (status, code)
    assert await sandbox.query_face_check(ctx, request.check_id) == outcome


async def test_a_mismatched_face_check_is_refused_at_start(sandbox: SandboxIdentity) -> None:
    session = await sandbox.start_face_check(_ctx(), _face("张不符"))
    assert (session.result.status, session.result.error_code, session.action) == (
        ProviderStatus.FAILED, "NAME_ID_MISMATCH", None)


async def test_an_unfinished_face_check_expires_on_the_store_clock(sandbox: SandboxIdentity) -> None:
    request = _face("张三")
    session = await sandbox.start_face_check(_ctx(), request)
    assert session.action is not None
    assert (await sandbox.query_face_check(_ctx(timedelta(minutes=29)), request.check_id)).status is (
        ProviderStatus.PENDING)
    expired = await sandbox.query_face_check(_ctx(timedelta(minutes=30)), request.check_id)
    assert (expired.status, expired.error_code) == (ProviderStatus.FAILED, "EXPIRED")
    late = sandbox.complete_face_check(_ctx(timedelta(minutes=31)), session.action.payload["token"])
    assert late.error_code == "EXPIRED"


async def test_signing_yields_sealed_evidence(sandbox: SandboxIdentity) -> None:
    request = _flow()
    session = await sandbox.start_sign_flow(_ctx(), request)
    assert session.action is not None
    signed_ctx = _ctx(timedelta(minutes=3))
    assert sandbox.complete_sign_flow(signed_ctx, session.action.payload["token"]).status is ProviderStatus.SUCCEEDED
    document, voucher = await sandbox.download_evidence(signed_ctx, request.flow_id)
    assert (document.kind, document.content) == (EvidenceKind.SIGNED_DOCUMENT, request.document_pdf)
    assert voucher.kind is EvidenceKind.VOUCHER
    data = json.loads(voucher.content)
    assert data["document_sha256"] == hashlib.sha256(request.document_pdf).hexdigest()
    assert (data["started_at"], data["signed_at"]) == (
        DEFAULT_NOW.isoformat(), (DEFAULT_NOW + timedelta(minutes=3)).isoformat())
    assert [s["name"] for s in data["signers"]] == ["张三", "宠物店"]
    assert data["signers"][0]["mobile"] == "138****5678"
    assert ID_NUMBER not in voucher.content.decode()
    assert verify_voucher(signed_ctx.config, voucher.content)
    forged = voucher.content.replace("张三".encode(), "李四".encode())
    assert not verify_voucher(signed_ctx.config, forged)
    # Completing again changes nothing, the evidence stays the same.
    sandbox.complete_sign_flow(_ctx(timedelta(hours=1)), session.action.payload["token"])
    assert (await sandbox.download_evidence(signed_ctx, request.flow_id))[1].content == voucher.content


async def test_a_declining_signer_leaves_no_evidence(sandbox: SandboxIdentity) -> None:
    request = _flow("张拒签")
    session = await sandbox.start_sign_flow(_ctx(), request)
    assert session.action is not None
    outcome = sandbox.complete_sign_flow(_ctx(), session.action.payload["token"])
    assert (outcome.status, outcome.error_code) == (ProviderStatus.FAILED, "SIGNER_DECLINED")
    assert list(await sandbox.download_evidence(_ctx(), request.flow_id)) == []


@pytest.mark.parametrize(("request_", "code"), [
    (_flow(document=b""), "DOCUMENT_EMPTY"),
    (SignFlowRequest("f-org", "x.pdf", b"%PDF", (Signer("organisation", "宠物店"),)), "NO_PERSON_SIGNER"),
    (SignFlowRequest("f-bad", "x.pdf", b"%PDF", (Signer("robot", "R2"),)), "INVALID_SIGNER"),
])
async def test_bad_sign_flows_are_refused(sandbox: SandboxIdentity, request_: SignFlowRequest, code: str) -> None:
    session = await sandbox.start_sign_flow(_ctx(), request_)
    assert (session.result.status, session.result.error_code, session.action) == (ProviderStatus.FAILED, code, None)


async def test_tokens_are_per_store(sandbox: SandboxIdentity) -> None:
    session = await sandbox.start_sign_flow(_ctx(), _flow())
    assert session.action is not None
    other_store = _ctx(tenant_id="7b0c7c2e-0000-4000-8000-0000000000ff")
    with pytest.raises(ProviderError) as raised:
        sandbox.complete_sign_flow(other_store, session.action.payload["token"])
    assert raised.value.code == "NOT_FOUND"


async def test_reusing_a_flow_id_for_another_document_raises(sandbox: SandboxIdentity) -> None:
    request = _flow()
    await sandbox.start_sign_flow(_ctx(), request)
    with pytest.raises(ProviderError) as raised:
        await sandbox.start_sign_flow(_ctx(), SignFlowRequest(request.flow_id, request.document_name, b"%PDF other",
                                                              request.signers))
    assert raised.value.code == "IDEMPOTENCY_MISMATCH"


async def test_the_face_check_webhook_reports_the_outcome(sandbox: SandboxIdentity) -> None:
    ctx, request = _ctx(), _face("张非本人")
    session = await sandbox.start_face_check(ctx, request)
    assert session.action is not None
    sandbox.complete_face_check(ctx, session.action.payload["token"])
    [event] = await sandbox.verify_webhook(ctx, sandbox.build_webhook(ctx, "face", request.check_id))
    assert (event.kind, event.reference, event.status, event.raw["error_code"]) == (
        "face_check.completed", request.check_id, ProviderStatus.FAILED, "FACE_MISMATCH")
    other = ProviderContext(TENANT, SandboxIdentityConfig(**{**CONFIG, "webhook_secret": "z" * 16}), True,
                            ctx.clock_now)
    with pytest.raises(WebhookRejected):
        await sandbox.verify_webhook(other, sandbox.build_webhook(ctx, "face", request.check_id))


@pytest.mark.parametrize(("app_id", "status"), [
    ("sandbox_bad_credentials", ProviderStatus.FAILED),
    ("sandbox_unreachable", ProviderStatus.NOT_SUBMITTED),
])
async def test_scripted_connection_failures(sandbox: SandboxIdentity, app_id: str, status: ProviderStatus) -> None:
    config = SandboxIdentityConfig(**{**CONFIG, "app_id": app_id})
    assert (await sandbox.test_connection(ProviderContext("t", config, True, lambda: DEFAULT_NOW))).status is status


def test_the_plugin_registers_the_sandbox() -> None:
    catalog = build_plugin_manager(load_entry_points=False, extra_plugins=[plugin]).providers()
    assert isinstance(catalog.get("identity", "sandbox").provider, SandboxIdentity)
    assert isinstance(catalog.create("identity", "sandbox", CONFIG).config, SandboxIdentityConfig)


async def test_the_sandbox_needs_no_settings() -> None:
    # The platform falls back to a settings-free sandbox for a store that chose nothing.
    catalog = build_plugin_manager(load_entry_points=False, extra_plugins=[plugin]).providers()
    configured = catalog.create("identity", "sandbox", {})
    assert isinstance(configured.config, SandboxIdentityConfig)
    ctx = configured.context(tenant_id=str(uuid.uuid4()), test_mode=True, clock_now=lambda: DEFAULT_NOW)
    assert (await configured.provider.test_connection(ctx)).status is ProviderStatus.SUCCEEDED



def test_the_protocol_requires_a_webhook_ack() -> None:
    # The webhook endpoint answers with the provider's own reply, so the contract asks for it.
    without_ack = type("WithoutAck", (), {k: v for k, v in vars(SandboxIdentity).items()
                                           if k not in ("webhook_ack", "__slots__", "__dict__", "__weakref__")})
    assert not hasattr(without_ack(), "webhook_ack")
    with pytest.raises(ProviderRegistrationError, match="webhook_ack"):
        ProviderCatalog().add("identity", "no_ack", without_ack)
