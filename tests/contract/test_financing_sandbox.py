"""financing/sandbox honours the provider contract; its eligibility rules and scripted amounts do
what the docs say."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import date
from typing import Any

import pytest

from pawpay.platform.hooks import AdvanceRequest, ProviderContext, ProviderError, ProviderStatus, SplitReceiver
from pawpay.platform.hooks._manager import build_plugin_manager
from pawpay.platform.testing.providers import DEFAULT_NOW, FinancingProviderContract, FinancingScenarios
from pawpay.plugins.financing.sandbox import plugin
from pawpay.plugins.financing.sandbox.provider import SandboxFinancing, SandboxFinancingConfig

pytestmark = pytest.mark.contract

CONFIG = {"partner_id": "sandbox_store", "api_key": "k" * 16}


def _payouts(provider: SandboxFinancing, tenant_id: str) -> int:
    return sum(1 for tenant, _, _ in provider.payouts if tenant == tenant_id)


class TestSandboxFinancingContract(FinancingProviderContract):
    @pytest.fixture
    def provider(self) -> SandboxFinancing:
        return SandboxFinancing()

    @pytest.fixture
    def provider_config(self) -> dict[str, Any]:
        return dict(CONFIG)

    @pytest.fixture
    def scenarios(self) -> FinancingScenarios:
        return FinancingScenarios(amount_fen=50_000, declining_amount_fen=50_001, payouts=_payouts)


@pytest.fixture
def sandbox() -> SandboxFinancing:
    return SandboxFinancing()


def _ctx(**config: Any) -> ProviderContext[SandboxFinancingConfig]:
    return ProviderContext(str(uuid.uuid4()), SandboxFinancingConfig(**{**CONFIG, **config}), True,
                           lambda: DEFAULT_NOW)


def _advance(amount_fen: int, total_fen: int = 118_800, installments_left: int = 12,
             last: date = date(2027, 3, 1)) -> AdvanceRequest:
    return AdvanceRequest(f"adv-{uuid.uuid4().hex[:8]}", "con-1", amount_fen, total_fen, installments_left, last)


@pytest.mark.parametrize(("request_", "code"), [
    (_advance(83_200), "AMOUNT_EXCEEDS_LIMIT"),  # 70% of 118,800 is 83,160
    (_advance(9_900), "AMOUNT_TOO_SMALL"),
    (_advance(50_000, installments_left=2), "TOO_FEW_INSTALLMENTS"),
    (_advance(50_000, last=DEFAULT_NOW.date()), "INVALID_TERM"),
    (dataclasses.replace(_advance(50_000), currency="USD"), "UNSUPPORTED_CURRENCY"),
])
async def test_ineligible_advances_are_refused(sandbox: SandboxFinancing, request_: AdvanceRequest, code: str) -> None:
    result = await sandbox.request_advance(_ctx(), request_)
    assert (result.status, result.error_code) == (ProviderStatus.FAILED, code)
    assert sandbox.payouts == []


async def test_the_limit_is_seventy_percent_exactly(sandbox: SandboxFinancing) -> None:
    assert (await sandbox.request_advance(_ctx(), _advance(70_000, total_fen=100_000))).status is (
        ProviderStatus.SUCCEEDED)
    assert (await sandbox.request_advance(_ctx(), _advance(70_100, total_fen=100_000))).error_code == (
        "AMOUNT_EXCEEDS_LIMIT")


@pytest.mark.parametrize(("amount_fen", "first", "resolved", "code"), [
    (50_000, ProviderStatus.SUCCEEDED, ProviderStatus.SUCCEEDED, None),
    (50_001, ProviderStatus.FAILED, ProviderStatus.FAILED, "DECLINED"),
    (50_004, ProviderStatus.UNKNOWN, ProviderStatus.SUCCEEDED, None),
    (50_006, ProviderStatus.PENDING, ProviderStatus.SUCCEEDED, None),
    (50_007, ProviderStatus.PENDING, ProviderStatus.FAILED, "DECLINED"),
])
async def test_the_amount_scripts_the_partner(
    sandbox: SandboxFinancing, amount_fen: int, first: ProviderStatus, resolved: ProviderStatus, code: str | None
) -> None:
    ctx, request = _ctx(), _advance(amount_fen)
    assert (await sandbox.request_advance(ctx, request)).status is first
    result = await sandbox.query_advance(ctx, request.advance_id)
    assert (result.status, result.error_code) == (resolved, code)
    assert await sandbox.request_advance(ctx, request) == result
    assert _payouts(sandbox, ctx.tenant_id) == (1 if resolved is ProviderStatus.SUCCEEDED else 0)


async def test_busy_then_the_same_advance_is_paid(sandbox: SandboxFinancing) -> None:
    ctx, request = _ctx(), _advance(50_003)
    busy = await sandbox.request_advance(ctx, request)
    assert (busy.status, busy.error_code) == (ProviderStatus.NOT_SUBMITTED, "SYSTEM_BUSY")
    assert (await sandbox.request_advance(ctx, request)).status is ProviderStatus.SUCCEEDED
    assert _payouts(sandbox, ctx.tenant_id) == 1


async def test_an_unexpected_fault_raises_and_records_nothing(sandbox: SandboxFinancing) -> None:
    ctx, request = _ctx(), _advance(50_008)
    with pytest.raises(ProviderError) as raised:
        await sandbox.request_advance(ctx, request)
    assert raised.value.retryable
    assert (await sandbox.query_advance(ctx, request.advance_id)).status is ProviderStatus.NOT_SUBMITTED


async def test_the_fee_is_rounded_up_and_bounds_the_repayment(sandbox: SandboxFinancing) -> None:
    ctx, request = _ctx(fee_rate_bp=650, partner_account="bank_partner_1"), _advance(50_010)
    paid = await sandbox.request_advance(ctx, request)
    assert (paid.raw["fee_fen"], paid.raw["repay_total_fen"]) == (3_251, 53_261)  # 50,010 × 6.5% = 3,250.65
    receiver = await sandbox.repayment_receiver(ctx, request.advance_id, 53_261)
    assert receiver == SplitReceiver("merchant", "bank_partner_1", 53_261, f"垫资还款 {request.advance_id}")
    with pytest.raises(ProviderError) as raised:
        await sandbox.repayment_receiver(ctx, request.advance_id, 53_262)
    assert raised.value.code == "REPAYMENT_EXCEEDS_OUTSTANDING"


async def test_an_unpaid_advance_has_no_repayment_receiver(sandbox: SandboxFinancing) -> None:
    ctx, request = _ctx(), _advance(50_006)
    await sandbox.request_advance(ctx, request)  # pending
    with pytest.raises(ProviderError) as raised:
        await sandbox.repayment_receiver(ctx, request.advance_id, 1_000)
    assert raised.value.code == "ADVANCE_NOT_PAID"
    with pytest.raises(TypeError):
        await sandbox.repayment_receiver(ctx, request.advance_id, 10.5)  # type: ignore[arg-type]


@pytest.mark.parametrize(("partner_id", "status"), [
    ("sandbox_bad_credentials", ProviderStatus.FAILED),
    ("sandbox_unreachable", ProviderStatus.NOT_SUBMITTED),
])
async def test_scripted_connection_failures(sandbox: SandboxFinancing, partner_id: str, status: ProviderStatus) -> None:
    assert (await sandbox.test_connection(_ctx(partner_id=partner_id))).status is status


def test_the_plugin_registers_the_sandbox() -> None:
    catalog = build_plugin_manager(load_entry_points=False, extra_plugins=[plugin]).providers()
    assert isinstance(catalog.get("financing", "sandbox").provider, SandboxFinancing)
    assert isinstance(catalog.create("financing", "sandbox", CONFIG).config, SandboxFinancingConfig)


async def test_the_sandbox_needs_no_settings() -> None:
    # The platform falls back to a settings-free sandbox for a store that chose nothing.
    catalog = build_plugin_manager(load_entry_points=False, extra_plugins=[plugin]).providers()
    configured = catalog.create("financing", "sandbox", {})
    assert isinstance(configured.config, SandboxFinancingConfig)
    ctx = configured.context(tenant_id=str(uuid.uuid4()), test_mode=True, clock_now=lambda: DEFAULT_NOW)
    assert (await configured.provider.test_connection(ctx)).status is ProviderStatus.SUCCEEDED
