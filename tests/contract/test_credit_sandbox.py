"""credit/sandbox honours the provider contract, and its scripted outcomes are what the docs say."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from pawpay.platform.hooks import (
    BusinessCheck,
    CreditDecision,
    PersonCheck,
    ProviderCatalog,
    ProviderContext,
    ProviderError,
    ProviderRegistrationError,
    ProviderStatus,
    WebhookRejected,
)
from pawpay.platform.hooks._manager import build_plugin_manager
from pawpay.platform.testing.providers import DEFAULT_NOW, CreditProviderContract, CreditScenarios
from pawpay.plugins.credit.sandbox import plugin
from pawpay.plugins.credit.sandbox.provider import SandboxCredit, SandboxCreditConfig

pytestmark = pytest.mark.contract

CONFIG = {"merchant_id": "sandbox_store", "api_key": "k" * 16, "webhook_secret": "s3cret-s3cret-s3cret"}


class TestSandboxCreditContract(CreditProviderContract):
    @pytest.fixture
    def provider(self) -> SandboxCredit:
        return SandboxCredit()

    @pytest.fixture
    def provider_config(self) -> dict[str, Any]:
        return dict(CONFIG)

    @pytest.fixture
    def scenarios(self) -> CreditScenarios:
        return CreditScenarios(
            passing_person=("张三", "110101199001015503", "13800138000"),
            failing_person=("李四", "110101199001014003", "13800138001"),
            good_business=("宠物店有限公司", "91310000MA1FL12345"),
            make_webhook=lambda provider, ctx, check_id: provider.build_webhook(ctx, check_id),
        )


@pytest.fixture
def sandbox() -> SandboxCredit:
    return SandboxCredit()


def _ctx(now: datetime = DEFAULT_NOW) -> ProviderContext[SandboxCreditConfig]:
    return ProviderContext(tenant_id=str(uuid.uuid4()), config=SandboxCreditConfig(**CONFIG),
                           test_mode=True, clock_now=lambda: now)


def _person(id_number: str) -> PersonCheck:
    return PersonCheck(check_id=f"chk-{uuid.uuid4().hex[:8]}", name="王五", id_number=id_number,
                       mobile="13800138000", risk_amount_fen=118_800)


@pytest.mark.parametrize(("sequence", "decision", "reason"), [
    ("950", CreditDecision.PASS, "SCORE_OK"),
    ("550", CreditDecision.PASS, "SCORE_OK"),
    ("549", CreditDecision.CONDITIONAL, "SCORE_BELOW_THRESHOLD"),
    ("500", CreditDecision.CONDITIONAL, "SCORE_BELOW_THRESHOLD"),
    ("499", CreditDecision.FAIL, "SCORE_TOO_LOW"),
    ("350", CreditDecision.FAIL, "SCORE_TOO_LOW"),
    ("123", CreditDecision.PASS, "SCORE_OK"),  # outside 350-950: the default score 700
])
async def test_the_sequence_code_is_the_score(
    sandbox: SandboxCredit, sequence: str, decision: CreditDecision, reason: str
) -> None:
    outcome = await sandbox.check_person(_ctx(), _person(f"11010119900101{sequence}3"))
    assert outcome.result.status is ProviderStatus.SUCCEEDED
    assert (outcome.decision, outcome.reason_code) == (decision, reason)
    assert bool(outcome.conditions) is (decision is CreditDecision.CONDITIONAL)


async def test_a_minor_fails_whatever_the_score(sandbox: SandboxCredit) -> None:
    outcome = await sandbox.check_person(_ctx(), _person("110101201001019503"))  # 16 on DEFAULT_NOW
    assert (outcome.decision, outcome.reason_code) == (CreditDecision.FAIL, "UNDERAGE")


@pytest.mark.parametrize("id_number", ["1101011990010155", "110101199013015503", "11010119900101550"])
async def test_a_malformed_id_number_cannot_be_checked(sandbox: SandboxCredit, id_number: str) -> None:
    outcome = await sandbox.check_person(_ctx(), _person(id_number))
    assert (outcome.result.status, outcome.result.error_code) == (ProviderStatus.FAILED, "INVALID_ID_NUMBER")
    assert outcome.decision is None


@pytest.mark.parametrize(("sequence", "first", "decision"), [
    ("001", ProviderStatus.PENDING, CreditDecision.PASS),
    ("002", ProviderStatus.UNKNOWN, CreditDecision.PASS),
    ("003", ProviderStatus.UNKNOWN, CreditDecision.FAIL),
])
async def test_pending_and_unknown_resolve_on_query(
    sandbox: SandboxCredit, sequence: str, first: ProviderStatus, decision: CreditDecision
) -> None:
    ctx, check = _ctx(), _person(f"11010119900101{sequence}3")
    outcome = await sandbox.check_person(ctx, check)
    assert (outcome.result.status, outcome.decision) == (first, None)
    resolved = await sandbox.query_check(ctx, check.check_id)
    assert (resolved.result.status, resolved.decision) == (ProviderStatus.SUCCEEDED, decision)
    assert await sandbox.check_person(ctx, check) == resolved


async def test_busy_then_the_same_check_proceeds(sandbox: SandboxCredit) -> None:
    ctx, check = _ctx(), _person("110101199001010043")
    busy = await sandbox.check_person(ctx, check)
    assert (busy.result.status, busy.result.error_code) == (ProviderStatus.NOT_SUBMITTED, "SYSTEM_BUSY")
    assert (await sandbox.check_person(ctx, check)).decision is CreditDecision.PASS


async def test_an_unexpected_fault_raises_and_records_nothing(sandbox: SandboxCredit) -> None:
    ctx, check = _ctx(), _person("110101199001010083")
    with pytest.raises(ProviderError) as raised:
        await sandbox.check_person(ctx, check)
    assert raised.value.retryable
    assert (await sandbox.query_check(ctx, check.check_id)).result.status is ProviderStatus.NOT_SUBMITTED


async def test_reusing_a_check_id_for_someone_else_raises(sandbox: SandboxCredit) -> None:
    ctx, check = _ctx(), _person("110101199001015503")
    await sandbox.check_person(ctx, check)
    other = PersonCheck(check.check_id, "赵六", "110101199001016003", check.mobile, check.risk_amount_fen)
    with pytest.raises(ProviderError) as raised:
        await sandbox.check_person(ctx, other)
    assert raised.value.code == "IDEMPOTENCY_MISMATCH"


@pytest.mark.parametrize(("uscc", "status", "decision", "reason"), [
    ("91310000MA1FL19999", ProviderStatus.SUCCEEDED, CreditDecision.FAIL, "SERIOUS_DISHONESTY"),
    ("91310000MA1FL18888", ProviderStatus.SUCCEEDED, CreditDecision.CONDITIONAL, "ABNORMAL_OPERATIONS"),
    ("91310000MA1FL12345", ProviderStatus.SUCCEEDED, CreditDecision.PASS, "GOOD_STANDING"),
    ("91310000MA1FL10000", ProviderStatus.UNKNOWN, None, None),
    ("9131000", ProviderStatus.FAILED, None, None),
])
async def test_business_checks_are_scripted_by_the_uscc(
    sandbox: SandboxCredit, uscc: str, status: ProviderStatus, decision: CreditDecision | None, reason: str | None
) -> None:
    outcome = await sandbox.check_business(_ctx(), BusinessCheck("biz-1", "宠物店有限公司", uscc))
    assert (outcome.result.status, outcome.decision, outcome.reason_code) == (status, decision, reason)


async def test_a_late_decision_arrives_by_webhook(sandbox: SandboxCredit) -> None:
    ctx, check = _ctx(), _person("110101199001010013")
    await sandbox.check_person(ctx, check)
    [event] = await sandbox.verify_webhook(ctx, sandbox.build_webhook(ctx, check.check_id))
    assert (event.kind, event.status, event.reference, event.raw["decision"]) == (
        "credit_check.completed", ProviderStatus.SUCCEEDED, check.check_id, "pass")


async def test_a_webhook_signed_with_another_stores_secret_is_rejected(sandbox: SandboxCredit) -> None:
    ctx, check = _ctx(), _person("110101199001015503")
    await sandbox.check_person(ctx, check)
    raw = sandbox.build_webhook(ctx, check.check_id)
    other = ProviderContext(ctx.tenant_id, SandboxCreditConfig(**{**CONFIG, "webhook_secret": "another-secret-value"}),
                            True, ctx.clock_now)
    with pytest.raises(WebhookRejected) as raised:
        await sandbox.verify_webhook(other, raw)
    assert raised.value.code == "SIGNATURE_INVALID"


@pytest.mark.parametrize(("merchant_id", "status"), [
    ("sandbox_bad_credentials", ProviderStatus.FAILED),
    ("sandbox_unreachable", ProviderStatus.NOT_SUBMITTED),
])
async def test_scripted_connection_failures(sandbox: SandboxCredit, merchant_id: str, status: ProviderStatus) -> None:
    config = SandboxCreditConfig(**{**CONFIG, "merchant_id": merchant_id})
    result = await sandbox.test_connection(ProviderContext("t", config, True, lambda: DEFAULT_NOW))
    assert result.status is status


def test_the_plugin_registers_the_sandbox() -> None:
    pm = build_plugin_manager(load_entry_points=False, extra_plugins=[plugin])
    catalog: ProviderCatalog = pm.providers()
    registered = catalog.get("credit", "sandbox")
    assert isinstance(registered.provider, SandboxCredit)
    assert isinstance(catalog.create("credit", "sandbox", CONFIG).config, SandboxCreditConfig)


@pytest.mark.parametrize(("id_number", "decision"), [
    ("110101200803105503", CreditDecision.PASS),  # 18 on DEFAULT_NOW's date (2026-03-10)
    ("110101200803115503", CreditDecision.FAIL),  # 18 tomorrow
])
async def test_adulthood_is_judged_on_the_store_clock(
    sandbox: SandboxCredit, id_number: str, decision: CreditDecision
) -> None:
    assert (await sandbox.check_person(_ctx(), _person(id_number))).decision is decision


async def test_the_sandbox_needs_no_settings() -> None:
    # The platform falls back to a settings-free sandbox for a store that chose nothing.
    catalog = build_plugin_manager(load_entry_points=False, extra_plugins=[plugin]).providers()
    configured = catalog.create("credit", "sandbox", {})
    assert isinstance(configured.config, SandboxCreditConfig)
    ctx = configured.context(tenant_id=str(uuid.uuid4()), test_mode=True, clock_now=lambda: DEFAULT_NOW)
    assert (await configured.provider.test_connection(ctx)).status is ProviderStatus.SUCCEEDED



def test_the_protocol_requires_a_webhook_ack() -> None:
    # The webhook endpoint answers with the provider's own reply, so the contract asks for it.
    without_ack = type("WithoutAck", (), {k: v for k, v in vars(SandboxCredit).items()
                                           if k not in ("webhook_ack", "__slots__", "__dict__", "__weakref__")})
    assert not hasattr(without_ack(), "webhook_ack")
    with pytest.raises(ProviderRegistrationError, match="webhook_ack"):
        ProviderCatalog().add("credit", "no_ack", without_ack)


async def test_age_is_counted_on_the_beijing_date(sandbox: SandboxCredit) -> None:
    # 2026-03-09 17:00 UTC is already 2026-03-10 01:00 in Beijing: the 18th birthday has come.
    late_evening_utc = datetime(2026, 3, 9, 17, 0, tzinfo=UTC)
    outcome = await sandbox.check_person(_ctx(late_evening_utc), _person("110101200803105503"))
    assert outcome.decision is CreditDecision.PASS


class _LeaksIdNumbers(SandboxCredit):
    """A broken provider: echoes the ID number into the outcome's raw data."""

    async def check_person(self, ctx: ProviderContext[SandboxCreditConfig], check: PersonCheck) -> Any:
        outcome = await super().check_person(ctx, check)
        return dataclasses.replace(outcome, raw={"id_number": check.id_number})


async def test_the_suite_catches_a_provider_that_leaks_id_numbers() -> None:
    suite = TestSandboxCreditContract()
    with pytest.raises(AssertionError):
        await suite.test_the_id_number_never_appears_in_the_outcome(
            provider=_LeaksIdNumbers(), ctx=_ctx(), scenarios=CreditScenarios())
