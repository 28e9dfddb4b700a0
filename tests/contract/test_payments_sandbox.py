"""payments/sandbox honours the provider contract, and its scripted outcomes are what the docs say."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from pawpay.platform.hooks import (
    Capability,
    ChargeRequest,
    PreDebitNotice,
    ProviderContext,
    ProviderError,
    ProviderStatus,
    ReleaseRequest,
    ShippingInfo,
    SplitReceiver,
    WebhookRejected,
)
from pawpay.platform.hooks._manager import build_plugin_manager
from pawpay.platform.testing.providers import DEFAULT_NOW, PaymentsProviderContract, PaymentsScenarios
from pawpay.plugins.payments.sandbox.provider import SandboxPayments, SandboxPaymentsConfig
from pawpay.plugins.payments.sandbox.vendor import vendor_process
from pawpay.plugins.payments.sandbox.wire import VENDOR_URL_ENV, VendorClient

pytestmark = pytest.mark.unit

CONFIG = {"merchant_id": "sandbox_store", "webhook_secret": "s3cret-s3cret-s3cret"}
# Every test runs twice: the sandbox's state in this process, and at the vendor (its own process, over HTTP).
MODES = ["memory", "vendor"]


@pytest.fixture(scope="module")
def vendor() -> Iterator[VendorClient]:
    with vendor_process() as client:
        yield client


def _in_mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> SandboxPayments:
    if request.param == "vendor":
        client: VendorClient = request.getfixturevalue("vendor")
        monkeypatch.setenv(VENDOR_URL_ENV, client.base_url)
    else:
        monkeypatch.delenv(VENDOR_URL_ENV, raising=False)
    return SandboxPayments()


def _debits(provider: SandboxPayments, tenant_id: str) -> int:
    return sum(1 for tenant, _, _ in provider.debits if tenant == tenant_id)


class TestSandboxPaymentsContract(PaymentsProviderContract):
    @pytest.fixture(params=MODES)
    def provider(self, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> SandboxPayments:
        return _in_mode(request, monkeypatch)

    @pytest.fixture
    def provider_config(self) -> dict[str, Any]:
        return dict(CONFIG)

    @pytest.fixture
    def scenarios(self) -> PaymentsScenarios:
        return PaymentsScenarios(
            succeeding_amount_fen=9900, declining_amount_fen=9901,
            make_webhook=lambda provider, ctx, attempt_id: provider.build_webhook(ctx, attempt_id),
            debits=_debits,
        )


# --- the sandbox's own scripts -------------------------------------------------------------------

@pytest.fixture(params=MODES)
def sandbox(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> SandboxPayments:
    return _in_mode(request, monkeypatch)


def _ctx(now: datetime = DEFAULT_NOW, tenant_id: str | None = None) -> ProviderContext[SandboxPaymentsConfig]:
    return ProviderContext(tenant_id=tenant_id or str(uuid.uuid4()), config=SandboxPaymentsConfig(**CONFIG),
                           test_mode=True, clock_now=lambda: now)


def _charge(amount_fen: int, agreement_id: str = "agr-1") -> ChargeRequest:
    return ChargeRequest(attempt_id=f"att-{uuid.uuid4().hex[:8]}", payment_id="pay-1", agreement_id=agreement_id,
                         amount_fen=amount_fen, description="test")


@pytest.mark.parametrize(("amount_fen", "status", "code"), [
    (9900, ProviderStatus.SUCCEEDED, None),
    (9901, ProviderStatus.FAILED, "INSUFFICIENT_FUNDS"),
    (9902, ProviderStatus.FAILED, "AGREEMENT_TERMINATED"),
    (9903, ProviderStatus.NOT_SUBMITTED, "SYSTEM_BUSY"),
    (9904, ProviderStatus.UNKNOWN, "TIMEOUT"),
    (9905, ProviderStatus.UNKNOWN, "TIMEOUT"),
    (9906, ProviderStatus.PENDING, None),
    (9907, ProviderStatus.PENDING, None),
    (200_100, ProviderStatus.FAILED, "AMOUNT_LIMIT_EXCEEDED"),
])
async def test_the_amount_scripts_the_first_outcome(
    sandbox: SandboxPayments, amount_fen: int, status: ProviderStatus, code: str | None
) -> None:
    result = await sandbox.charge(_ctx(), _charge(amount_fen))
    assert (result.status, result.error_code) == (status, code)


@pytest.mark.parametrize(("amount_fen", "resolved", "code"), [
    (9904, ProviderStatus.SUCCEEDED, None),
    (9905, ProviderStatus.FAILED, "INSUFFICIENT_FUNDS"),
    (9906, ProviderStatus.SUCCEEDED, None),
    (9907, ProviderStatus.FAILED, "INSUFFICIENT_FUNDS"),
])
async def test_unknown_and_pending_resolve_on_query_without_a_second_debit(
    sandbox: SandboxPayments, amount_fen: int, resolved: ProviderStatus, code: str | None
) -> None:
    ctx, request = _ctx(), _charge(amount_fen)
    await sandbox.charge(ctx, request)
    assert _debits(sandbox, ctx.tenant_id) == 0
    result = await sandbox.query_charge(ctx, request.attempt_id)
    assert (result.status, result.error_code) == (resolved, code)
    again = await sandbox.charge(ctx, request)  # the platform re-sends the same attempt: no new debit
    assert again == result
    assert _debits(sandbox, ctx.tenant_id) == (1 if resolved is ProviderStatus.SUCCEEDED else 0)


async def test_not_submitted_then_the_same_attempt_succeeds(sandbox: SandboxPayments) -> None:
    ctx, request = _ctx(), _charge(9903)
    assert (await sandbox.charge(ctx, request)).status is ProviderStatus.NOT_SUBMITTED
    assert (await sandbox.query_charge(ctx, request.attempt_id)).status is ProviderStatus.NOT_SUBMITTED
    assert (await sandbox.charge(ctx, request)).status is ProviderStatus.SUCCEEDED
    assert _debits(sandbox, ctx.tenant_id) == 1


async def test_an_unexpected_fault_raises_and_records_nothing(sandbox: SandboxPayments) -> None:
    ctx, request = _ctx(), _charge(9908)
    with pytest.raises(ProviderError) as raised:
        await sandbox.charge(ctx, request)
    assert raised.value.retryable
    assert (await sandbox.query_charge(ctx, request.attempt_id)).status is ProviderStatus.NOT_SUBMITTED


async def test_late_success_arrives_by_webhook(sandbox: SandboxPayments) -> None:
    ctx, request = _ctx(), _charge(9906)
    assert (await sandbox.charge(ctx, request)).status is ProviderStatus.PENDING
    [event] = await sandbox.verify_webhook(ctx, sandbox.build_webhook(ctx, request.attempt_id))
    assert (event.kind, event.status, event.reference, event.amount_fen) == (
        "charge.succeeded", ProviderStatus.SUCCEEDED, request.attempt_id, 9906)
    assert (await sandbox.query_charge(ctx, request.attempt_id)).status is ProviderStatus.SUCCEEDED
    assert _debits(sandbox, ctx.tenant_id) == 1


async def test_a_webhook_signed_with_another_stores_secret_is_rejected(sandbox: SandboxPayments) -> None:
    ctx = _ctx()
    request = _charge(9900)
    await sandbox.charge(ctx, request)
    raw = sandbox.build_webhook(ctx, request.attempt_id)
    other = ProviderContext(tenant_id=ctx.tenant_id, config=SandboxPaymentsConfig(
        merchant_id="x", webhook_secret="another-secret-value"), test_mode=True, clock_now=ctx.clock_now)
    with pytest.raises(WebhookRejected) as raised:
        await sandbox.verify_webhook(other, raw)
    assert raised.value.code == "SIGNATURE_INVALID"


async def test_a_closed_pending_charge_never_succeeds(sandbox: SandboxPayments) -> None:
    ctx, request = _ctx(), _charge(9906)
    await sandbox.charge(ctx, request)
    assert (await sandbox.close_charge(ctx, request.attempt_id)).status is ProviderStatus.SUCCEEDED
    result = await sandbox.query_charge(ctx, request.attempt_id)
    assert (result.status, result.error_code) == (ProviderStatus.FAILED, "CLOSED")
    assert _debits(sandbox, ctx.tenant_id) == 0


@pytest.mark.parametrize("hour_utc", [14, 22, 23])  # 22:00, 06:00 and 07:00 in Beijing
async def test_debits_outside_allowed_hours_are_not_submitted(sandbox: SandboxPayments, hour_utc: int) -> None:
    now = datetime(2026, 3, 10, hour_utc, 0, tzinfo=UTC)
    result = await sandbox.charge(_ctx(now), _charge(9900))
    beijing_hour = (hour_utc + 8) % 24
    expected = ProviderStatus.SUCCEEDED if 7 <= beijing_hour < 22 else ProviderStatus.NOT_SUBMITTED
    assert result.status is expected


async def test_the_daily_cap_counts_per_agreement(sandbox: SandboxPayments) -> None:
    ctx = _ctx()
    for _ in range(2):
        assert (await sandbox.charge(ctx, _charge(200_000, "agr-cap"))).status is ProviderStatus.SUCCEEDED
    over = await sandbox.charge(ctx, _charge(100_100, "agr-cap"))
    assert (over.status, over.error_code) == (ProviderStatus.FAILED, "DAILY_LIMIT_EXCEEDED")
    assert (await sandbox.charge(ctx, _charge(100_100, "agr-other"))).status is ProviderStatus.SUCCEEDED


async def test_a_terminated_agreement_cannot_be_charged_or_notified(sandbox: SandboxPayments) -> None:
    ctx = _ctx()
    await sandbox.terminate_agreement(ctx, "agr-end", "contract ended")
    charged = await sandbox.charge(ctx, _charge(9900, "agr-end"))
    assert (charged.status, charged.error_code) == (ProviderStatus.FAILED, "AGREEMENT_TERMINATED")
    notice = PreDebitNotice(notice_id="n-1", agreement_id="agr-end", amount_fen=9900,
                            debit_on=DEFAULT_NOW.date())
    assert (await sandbox.send_pre_debit_notice(ctx, notice)).error_code == "AGREEMENT_TERMINATED"


async def test_held_funds_are_split_and_released_once(sandbox: SandboxPayments) -> None:
    ctx = _ctx()
    request = dataclasses.replace(_charge(9900), hold_funds=True)
    await sandbox.charge(ctx, request)
    release = ReleaseRequest(release_id="rel-1", attempt_id=request.attempt_id,
                             receivers=(SplitReceiver("merchant", "platform", 500, "fee"),))
    first = await sandbox.release_held_funds(ctx, release)
    assert first.status is ProviderStatus.SUCCEEDED
    assert await sandbox.release_held_funds(ctx, release) == first
    again = await sandbox.release_held_funds(ctx, dataclasses.replace(release, release_id="rel-2"))
    assert again.error_code == "ALREADY_RELEASED"
    too_much = await sandbox.release_held_funds(ctx, ReleaseRequest(
        release_id="rel-3", attempt_id=request.attempt_id, receivers=(SplitReceiver("m", "p", 9901, "x"),)))
    assert too_much.status is ProviderStatus.FAILED


async def test_statement_lists_the_days_succeeded_charges(sandbox: SandboxPayments) -> None:
    ctx = _ctx()
    ok, declined = _charge(9900), _charge(9901)
    await sandbox.charge(ctx, ok)
    await sandbox.charge(ctx, declined)
    statement = (await sandbox.download_statement(ctx, DEFAULT_NOW.date())).decode()
    assert ok.attempt_id in statement
    assert declined.attempt_id not in statement


async def test_statement_lists_charges_refunds_releases_and_splits(sandbox: SandboxPayments) -> None:
    from zoneinfo import ZoneInfo

    from pawpay.platform.hooks import RefundRequest, ReleaseRequest, SplitReceiver

    ctx = _ctx()
    day = DEFAULT_NOW.astimezone(ZoneInfo("Asia/Shanghai")).date()
    held = ChargeRequest(attempt_id="att-held", payment_id="p", agreement_id="agr-1", amount_fen=30_000,
                         description="test", hold_funds=True, platform_fee_fen=900)
    await sandbox.charge(ctx, held)
    await sandbox.refund(ctx, RefundRequest(refund_id="rf-1", attempt_id="att-held", amount_fen=1_000,
                                            charge_amount_fen=30_000))
    receiver = SplitReceiver("merchant", "partner", 8_000, "垫资还款")
    await sandbox.release_held_funds(ctx, ReleaseRequest(release_id="rel-1", attempt_id="att-held",
                                                         receivers=[receiver]))
    lines = (await sandbox.download_statement(ctx, day)).decode().splitlines()
    assert lines == ["type,reference,attempt_id,transaction_id,amount_fen,fee_fen",
                     "charge,att-held,att-held,sbx_txn_att-held,30000,900",
                     "refund,rf-1,att-held,sbx_refund_rf-1,1000,0",
                     "split,rel-1,att-held,partner,8000,0",
                     "release,rel-1,att-held,sbx_release_rel-1,20100,0"]
    assert sandbox.funds(ctx.tenant_id) == {"held_fen": 0, "released_fen": 20_100, "split_fen": 8_000}


async def test_the_statement_can_be_told_to_differ(sandbox: SandboxPayments) -> None:
    from zoneinfo import ZoneInfo

    ctx = _ctx()
    day = DEFAULT_NOW.astimezone(ZoneInfo("Asia/Shanghai")).date()
    plain, higher, missing, twice = _charge(9900), _charge(9911), _charge(9912), _charge(9913)
    for request in (plain, higher, missing, twice):
        assert (await sandbox.charge(ctx, request)).status is ProviderStatus.SUCCEEDED
    text = (await sandbox.download_statement(ctx, day)).decode()
    assert f"charge,{higher.attempt_id},{higher.attempt_id},sbx_txn_{higher.attempt_id},9912,0" in text
    assert missing.attempt_id not in text
    assert text.count(f"\ncharge,{twice.attempt_id},") == 2
    sandbox.script_statement(ctx.tenant_id, drop=[plain.attempt_id])
    assert plain.attempt_id not in (await sandbox.download_statement(ctx, day)).decode()
    sandbox.script_statement(ctx.tenant_id, alter={plain.attempt_id: 5})
    assert ",9905,0" in (await sandbox.download_statement(ctx, day)).decode()
    other = _ctx()
    assert (await sandbox.download_statement(other, day)).decode().splitlines()[1:] == []


def _shipped(attempt_id: str, **kw: Any) -> ShippingInfo:
    values: dict[str, Any] = {"attempt_id": attempt_id, "carrier_code": "SF", "waybill_no": "SF1234567890",
                              "item_desc": "幼猫粮 2kg", "shipped_at": DEFAULT_NOW,
                              "receiver_phone_masked": "138****0000"}
    return ShippingInfo(**{**values, **kw})


async def test_shipping_is_reported_once_per_paid_charge(sandbox: SandboxPayments) -> None:
    assert Capability.SHIPPING_INFO in sandbox.capabilities
    ctx, paid = _ctx(), _charge(9900)
    await sandbox.charge(ctx, paid)
    first = await sandbox.upload_shipping_info(ctx, _shipped(paid.attempt_id))
    assert (first.status, first.provider_reference) == (ProviderStatus.SUCCEEDED, f"sbx_ship_{paid.attempt_id}")
    again = await sandbox.upload_shipping_info(ctx, _shipped(paid.attempt_id, waybill_no="SF999"))
    assert again.status is ProviderStatus.SUCCEEDED, "a re-delivered event must not fail the store"
    assert sandbox.shipping_infos(ctx.tenant_id) == [_shipped(paid.attempt_id)], "the first report is kept"
    assert sandbox.shipping_infos(_ctx().tenant_id) == []


@pytest.mark.parametrize(("amount_fen", "info", "code"), [
    (None, {}, "ORDER_NOT_FOUND"),
    (9901, {}, "CHARGE_NOT_SUCCEEDED"),
    (9900, {"receiver_phone_masked": ""}, "RECEIVER_PHONE_REQUIRED"),
])
async def test_shipping_reports_the_rail_refuses(
    sandbox: SandboxPayments, amount_fen: int | None, info: dict[str, Any], code: str
) -> None:
    ctx, request = _ctx(), _charge(amount_fen or 9900)
    if amount_fen is not None:
        await sandbox.charge(ctx, request)
    result = await sandbox.upload_shipping_info(ctx, _shipped(request.attempt_id, **info))
    assert (result.status, result.error_code) == (ProviderStatus.FAILED, code)
    assert sandbox.shipping_infos(ctx.tenant_id) == []
    other = _ctx()  # another store cannot report this store's charge
    if amount_fen == 9900:
        refused = await sandbox.upload_shipping_info(other, _shipped(request.attempt_id))
        assert refused.error_code == "ORDER_NOT_FOUND"


@pytest.mark.parametrize(("merchant_id", "status"), [
    ("sandbox_bad_credentials", ProviderStatus.FAILED),
    ("sandbox_unreachable", ProviderStatus.NOT_SUBMITTED),
])
async def test_scripted_connection_failures(sandbox: SandboxPayments, merchant_id: str, status: ProviderStatus) -> None:
    config = SandboxPaymentsConfig(merchant_id=merchant_id, webhook_secret=CONFIG["webhook_secret"])
    clock: Callable[[], datetime] = lambda: DEFAULT_NOW  # noqa: E731
    result = await sandbox.test_connection(ProviderContext("t", config, True, clock))
    assert result.status is status


def test_the_sandbox_is_discovered_through_its_entry_point() -> None:
    catalog = build_plugin_manager().providers()
    registered = catalog.get("payments", "sandbox")
    assert registered.plugin == "payments_sandbox"
    assert isinstance(registered.provider, SandboxPayments)
    configured = catalog.create("payments", "sandbox", CONFIG)
    assert isinstance(configured.config, SandboxPaymentsConfig)


class _ChargesTwice(SandboxPayments):
    """A broken provider: every charge is a new debit, whatever the attempt id."""

    async def charge(self, ctx: ProviderContext[SandboxPaymentsConfig], request: ChargeRequest) -> Any:
        fresh = dataclasses.replace(request, attempt_id=f"{request.attempt_id}-{uuid.uuid4().hex[:4]}")
        return await super().charge(ctx, fresh)


async def test_the_suite_catches_a_provider_that_charges_twice() -> None:
    suite, provider = TestSandboxPaymentsContract(), _ChargesTwice()
    scenarios = PaymentsScenarios(debits=_debits)
    with pytest.raises(AssertionError):
        await suite.test_charging_the_same_attempt_twice_charges_once(
            provider=provider, ctx=_ctx(), charge_request=_charge(9900), scenarios=scenarios)
