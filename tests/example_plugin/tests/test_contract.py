"""credit/acme passes pawpay's credit contract suite, and maps Acme's answers as README.md says.

Acme is faked at the HTTP boundary (``pawpay_acme_credit.testing.FakeAcme`` behind
``httpx.MockTransport``), so the provider's real request building and answer mapping run.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from pawpay_acme_credit import plugin
from pawpay_acme_credit.provider import AcmeCredit, AcmeCreditConfig
from pawpay_acme_credit.testing import FakeAcme

from pawpay.platform.hooks import (
    CreditDecision,
    PersonCheck,
    ProviderCatalog,
    ProviderContext,
    ProviderError,
    ProviderStatus,
)
from pawpay.platform.testing.providers import CreditProviderContract, CreditScenarios

pytestmark = pytest.mark.contract

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
CONFIG = {"merchant_id": "acme-merchant-1", "api_key": "acme_test_" + "k" * 22}


class TestAcmeCreditContract(CreditProviderContract):
    @pytest.fixture
    def fake(self) -> FakeAcme:
        return FakeAcme()

    @pytest.fixture
    def provider(self, fake: FakeAcme) -> AcmeCredit:
        return AcmeCredit(transport=httpx.MockTransport(fake.handle))

    @pytest.fixture
    def provider_config(self) -> dict[str, Any]:
        return dict(CONFIG)

    @pytest.fixture
    def scenarios(self) -> CreditScenarios:
        return CreditScenarios(
            passing_person=("张三", "110101199001015503", "13800138000"),
            failing_person=("李四", "110101199001014003", "13800138009"),  # mobile ends 9: decline
        )

    async def test_a_repeated_check_is_run_once_at_acme(
        self, fake: FakeAcme, provider: AcmeCredit, ctx: ProviderContext[Any]
    ) -> None:
        check = _person("13800138000")
        await provider.check_person(ctx, check)
        await provider.check_person(ctx, check)
        assert fake.checks_made == 1


# --- the mapping of Acme's answers (README.md, "Deterministic test mode") ---------------------------


@pytest.fixture
def fake() -> FakeAcme:
    return FakeAcme()


@pytest.fixture
def acme(fake: FakeAcme) -> AcmeCredit:
    return AcmeCredit(transport=httpx.MockTransport(fake.handle))


def _ctx(test_mode: bool = True, **config: Any) -> ProviderContext[AcmeCreditConfig]:
    return ProviderContext(tenant_id=str(uuid.uuid4()), config=AcmeCreditConfig(**{**CONFIG, **config}),
                           test_mode=test_mode, clock_now=lambda: NOW)


def _person(mobile: str, id_number: str = "110101199001015503") -> PersonCheck:
    return PersonCheck(check_id=f"chk-{uuid.uuid4().hex[:8]}", name="王五", id_number=id_number,
                       mobile=mobile, risk_amount_fen=118_800)


@pytest.mark.parametrize(("mobile", "decision", "reason", "conditions"), [
    ("13800138000", CreditDecision.PASS, "SCORE_OK", ()),
    ("13800138008", CreditDecision.CONDITIONAL, "THIN_FILE", ("deposit",)),
    ("13800138009", CreditDecision.FAIL, "LOW_SCORE", ()),
])
async def test_acmes_decisions_become_pawpays(
    acme: AcmeCredit, mobile: str, decision: CreditDecision, reason: str, conditions: tuple[str, ...]
) -> None:
    outcome = await acme.check_person(_ctx(), _person(mobile))
    assert outcome.result.status is ProviderStatus.SUCCEEDED
    assert (outcome.decision, outcome.reason_code, tuple(outcome.conditions)) == (decision, reason, conditions)


async def test_a_pending_check_is_decided_by_the_next_query(acme: AcmeCredit) -> None:
    ctx, check = _ctx(), _person("13800138007")
    first = await acme.check_person(ctx, check)
    assert (first.result.status, first.decision) == (ProviderStatus.PENDING, None)
    queried = await acme.query_check(ctx, check.check_id)
    assert (queried.result.status, queried.decision) == (ProviderStatus.SUCCEEDED, CreditDecision.PASS)


async def test_a_lost_answer_is_unknown_and_the_query_finds_the_check(fake: FakeAcme, acme: AcmeCredit) -> None:
    ctx, check = _ctx(), _person("13800138006")
    lost = await acme.check_person(ctx, check)
    assert (lost.result.status, lost.result.error_code) == (ProviderStatus.UNKNOWN, "TIMEOUT")
    assert (await acme.query_check(ctx, check.check_id)).decision is CreditDecision.PASS
    assert (await acme.check_person(ctx, check)).decision is CreditDecision.PASS
    assert fake.checks_made == 1


async def test_rate_limited_is_not_submitted(fake: FakeAcme, acme: AcmeCredit) -> None:
    outcome = await acme.check_person(_ctx(), _person("13800138005"))
    assert (outcome.result.status, outcome.result.error_code) == (ProviderStatus.NOT_SUBMITTED, "RATE_LIMITED")
    assert fake.checks_made == 0


async def test_an_invalid_id_number_fails_with_acmes_code(acme: AcmeCredit) -> None:
    outcome = await acme.check_person(_ctx(), _person("13800138000", id_number="1101011990"))
    assert (outcome.result.status, outcome.result.error_code) == (ProviderStatus.FAILED, "INVALID_ID_NUMBER")
    assert outcome.decision is None


async def test_reusing_a_check_id_for_someone_else_raises(acme: AcmeCredit) -> None:
    ctx, check = _ctx(), _person("13800138000")
    await acme.check_person(ctx, check)
    other = PersonCheck(check.check_id, "赵六", "110101199001016003", check.mobile, check.risk_amount_fen)
    with pytest.raises(ProviderError) as raised:
        await acme.check_person(ctx, other)
    assert raised.value.code == "IDEMPOTENCY_MISMATCH"


@pytest.mark.parametrize(("fake_acme", "config", "status", "code"), [
    (FakeAcme(api_key="acme_test_" + "x" * 22), {}, ProviderStatus.FAILED, "AUTH_FAILED"),
    (FakeAcme(merchant_id="someone-else"), {}, ProviderStatus.FAILED, "MERCHANT_MISMATCH"),
    (FakeAcme(unreachable=True), {}, ProviderStatus.NOT_SUBMITTED, "UNREACHABLE"),
    (FakeAcme(), {"api_key": "acme_live_" + "k" * 22}, ProviderStatus.FAILED, "LIVE_KEY_IN_TEST_MODE"),
])
async def test_connection_failures(
    fake_acme: FakeAcme, config: dict[str, str], status: ProviderStatus, code: str
) -> None:
    result = await AcmeCredit(transport=httpx.MockTransport(fake_acme.handle)).test_connection(_ctx(**config))
    assert (result.status, result.error_code) == (status, code)


async def test_a_live_key_is_refused_in_test_mode_before_anything_is_sent(fake: FakeAcme, acme: AcmeCredit) -> None:
    outcome = await acme.check_person(_ctx(api_key="acme_live_" + "k" * 22), _person("13800138000"))
    assert (outcome.result.status, outcome.result.error_code) == (ProviderStatus.FAILED, "LIVE_KEY_IN_TEST_MODE")
    assert fake.checks_made == 0


def test_the_plugin_registers_credit_acme() -> None:
    # What pawpay does at start-up, minus the entry point: the registration passes its checks.
    catalog = ProviderCatalog()
    plugin.pawpay_register_providers(catalog.for_plugin("acme_credit"))
    registered = catalog.get("credit", "acme")
    assert isinstance(registered.provider, AcmeCredit)
    assert isinstance(catalog.create("credit", "acme", CONFIG).config, AcmeCreditConfig)
