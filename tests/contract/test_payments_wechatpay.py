"""payments/wechatpay honours the provider contract, against WeChat Pay faked at the HTTP boundary.

The provider's own APIv2 client runs over httpx; respx hands every request for
``api.mch.weixin.qq.com`` to the stateful fake in ``tests/fixtures/wechatpay/fake_wechatpay.py``,
which checks the request signatures and signs its answers and callbacks for real. Refunds run too:
the provider's mutual-TLS context really loads the throwaway test certificate beside the fake
(respx answers before any TLS handshake).
"""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import respx

from pawpay.platform.hooks import (
    ChargeRequest,
    ProviderContext,
    ProviderStatus,
    RawWebhook,
    WebhookRejected,
)
from pawpay.platform.testing.providers import PaymentsProviderContract, PaymentsScenarios
from pawpay.plugins.payments.wechatpay.provider import WeChatPayPayments, out_trade_no

pytestmark = pytest.mark.contract


def _load_fake() -> ModuleType:
    name = "pawpay_tests_fake_wechatpay"
    if name not in sys.modules:
        path = Path(__file__).parents[1] / "fixtures" / "wechatpay" / "fake_wechatpay.py"
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None
        assert spec.loader is not None
        sys.modules[name] = module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return sys.modules[name]


fake_module = _load_fake()
FIXTURES = Path(__file__).parents[1] / "fixtures" / "wechatpay"

CONFIG = {"api_client_cert_pem": (FIXTURES / "apiclient_test_cert.pem").read_text(),
          "api_client_key_pem": (FIXTURES / "apiclient_test_key.pem").read_text(),
          "mch_id": "1900000109", "appid": "wx0123456789abcdef", "sub_mch_id": "1900000110", "plan_id": "12535",
          "api_key": fake_module.API_KEY, "notify_url_base": "https://pawpay.example.cn",
          "spbill_create_ip": "10.0.0.1", "per_debit_max_fen": 500_000}


@pytest.fixture
def fake_wechatpay() -> Iterator[Any]:
    fake = fake_module.FakeWeChatPay()
    with respx.mock(assert_all_called=False) as router:
        router.route(host="api.mch.weixin.qq.com").mock(side_effect=fake.handle)
        yield fake


def webhook(ctx: ProviderContext[Any], body: bytes) -> RawWebhook:
    return RawWebhook("POST", f"/webhooks/payments/wechatpay/{ctx.tenant_id}", "",
                      {"Content-Type": "text/xml"}, body, "101.226.103.61", ctx.now())


def _webhook_for(fake: Any) -> Any:
    def make(provider: WeChatPayPayments, ctx: ProviderContext[Any], attempt_id: str) -> RawWebhook:
        return webhook(ctx, fake.pay_notification(out_trade_no(attempt_id)))
    return make


class TestWeChatPayPaymentsContract(PaymentsProviderContract):
    @pytest.fixture
    def provider(self, fake_wechatpay: Any) -> WeChatPayPayments:
        return WeChatPayPayments()

    @pytest.fixture
    def provider_config(self) -> dict[str, Any]:
        return dict(CONFIG)

    @pytest.fixture
    def scenarios(self, fake_wechatpay: Any) -> PaymentsScenarios:
        return PaymentsScenarios(
            succeeding_amount_fen=9900, declining_amount_fen=9902,
            agreement_id=lambda: f"{fake_module.AUTO_CONTRACT_PREFIX}{uuid.uuid4().hex[:12]}",
            make_webhook=_webhook_for(fake_wechatpay),
            debits=lambda provider, tenant_id: fake_wechatpay.debits(tenant_id),
        )

    async def test_webhooks_are_verified(
        self, provider: Any, ctx: ProviderContext[Any], charge_request: ChargeRequest, scenarios: PaymentsScenarios,
    ) -> None:
        """The suite's check, except its one-hour staleness rule.

        WeChat's APIv2 callbacks carry no signed delivery timestamp and WeChat retries an
        unanswered callback for about 24 h (15 s ... 6 h), so a callback an hour after the debit
        is legitimate; the provider bounds replays by the debit's own signed ``time_end`` (25 h)
        instead, and the platform de-duplicates on the event id. That bound is checked below.
        """
        assert scenarios.make_webhook is not None
        garbage = webhook(ctx, b"not a webhook")
        with pytest.raises(WebhookRejected):
            await provider.verify_webhook(ctx, garbage)
        await provider.charge(ctx, charge_request)
        raw = scenarios.make_webhook(provider, ctx, charge_request.attempt_id)
        events = await provider.verify_webhook(ctx, raw)
        assert [(e.reference, e.status, e.amount_fen) for e in events] == [
            (charge_request.attempt_id, ProviderStatus.SUCCEEDED, charge_request.amount_fen)]
        tampered = raw.body.replace(str(charge_request.amount_fen).encode(), b"1")
        assert tampered != raw.body
        with pytest.raises(WebhookRejected):
            await provider.verify_webhook(ctx, dataclasses.replace(raw, body=tampered))
        an_hour_later = dataclasses.replace(ctx, clock_now=lambda: ctx.now() + timedelta(hours=1))
        assert await provider.verify_webhook(an_hour_later, raw)
        two_days_later = dataclasses.replace(ctx, clock_now=lambda: ctx.now() + timedelta(days=2))
        with pytest.raises(WebhookRejected):
            await provider.verify_webhook(two_days_later, raw)

    # --- WeChat's own scenarios, on the suite's fixtures ------------------------------------------

    async def test_accepted_but_not_yet_debited_is_pending(
        self, provider: WeChatPayPayments, ctx: ProviderContext[Any], charge_request: ChargeRequest,
    ) -> None:
        result = await provider.charge(ctx, dataclasses.replace(charge_request, amount_fen=9904))
        assert result.status is ProviderStatus.PENDING
        assert (await provider.close_charge(ctx, charge_request.attempt_id)).status is ProviderStatus.SUCCEEDED
        closed = await provider.query_charge(ctx, charge_request.attempt_id)
        assert (closed.status, closed.error_code) == (ProviderStatus.FAILED, "CLOSED")

    async def test_a_timeout_is_unknown_until_the_query_resolves_it(
        self, provider: WeChatPayPayments, ctx: ProviderContext[Any], charge_request: ChargeRequest,
        fake_wechatpay: Any,
    ) -> None:
        request = dataclasses.replace(charge_request, amount_fen=9905)
        assert (await provider.charge(ctx, request)).status is ProviderStatus.UNKNOWN
        assert (await provider.query_charge(ctx, request.attempt_id)).status is ProviderStatus.SUCCEEDED
        assert (await provider.charge(ctx, request)).status is ProviderStatus.SUCCEEDED
        assert fake_wechatpay.debits(ctx.tenant_id) == 1

    async def test_a_refused_connection_is_not_submitted(
        self, provider: WeChatPayPayments, ctx: ProviderContext[Any], charge_request: ChargeRequest,
    ) -> None:
        result = await provider.charge(ctx, dataclasses.replace(charge_request, amount_fen=9906))
        assert (result.status, result.error_code) == (ProviderStatus.NOT_SUBMITTED, "CONNECTION_FAILED")

    async def test_systemerror_is_unknown_and_a_later_debit_failure_is_failed(
        self, provider: WeChatPayPayments, ctx: ProviderContext[Any], charge_request: ChargeRequest,
    ) -> None:
        unknown = await provider.charge(ctx, dataclasses.replace(charge_request, amount_fen=9907))
        assert (unknown.status, unknown.error_code) == (ProviderStatus.UNKNOWN, "SYSTEMERROR")
        failed = await provider.charge(ctx, dataclasses.replace(charge_request, attempt_id="att-later-fail",
                                                                amount_fen=9908))
        assert (failed.status, failed.error_code) == (ProviderStatus.FAILED, "NOTENOUGH")

    async def test_charging_without_a_contract_fails_with_the_code(
        self, provider: WeChatPayPayments, ctx: ProviderContext[Any], charge_request: ChargeRequest,
    ) -> None:
        result = await provider.charge(ctx, dataclasses.replace(charge_request, agreement_id="never-signed"))
        assert (result.status, result.error_code) == (ProviderStatus.FAILED, "CONTRACT_NOT_EXIST")

    async def test_outside_07_to_22_beijing_nothing_is_sent(
        self, provider: WeChatPayPayments, ctx: ProviderContext[Any], charge_request: ChargeRequest,
        fake_wechatpay: Any,
    ) -> None:
        at_2230_beijing = dataclasses.replace(ctx, clock_now=lambda: ctx.now().replace(hour=14, minute=30))
        result = await provider.charge(at_2230_beijing, charge_request)
        assert (result.status, result.error_code) == (ProviderStatus.NOT_SUBMITTED, "OUTSIDE_ALLOWED_HOURS")
        assert fake_wechatpay.requests == []

    async def test_the_debit_is_signed_and_made_as_the_store(
        self, provider: WeChatPayPayments, ctx: ProviderContext[Any], charge_request: ChargeRequest,
        fake_wechatpay: Any,
    ) -> None:
        await provider.charge(ctx, charge_request)
        [(_, applied)] = [(p, f) for p, f in fake_wechatpay.requests if p == "/pay/partner/pappayapply"]
        assert applied["sign"] == fake_module.sign(applied, fake_module.API_KEY, "HMAC-SHA256")
        assert (applied["sub_mch_id"], applied["trade_type"], applied["out_trade_no"], applied["total_fee"]) == (
            "1900000110", "PAP", charge_request.attempt_id, "9900")
        assert applied["notify_url"] == f"https://pawpay.example.cn/webhooks/payments/wechatpay/{ctx.tenant_id}"
