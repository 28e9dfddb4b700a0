"""payments/wechatpay beyond the contract suite: contract signing, callbacks, limits, registration.

WeChat is faked at the HTTP boundary by ``tests/fixtures/wechatpay/fake_wechatpay.py`` (it checks
request signatures and signs answers and callbacks for real).
"""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, time
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pydantic
import pytest
import respx

from pawpay.platform.hooks import (
    AgreementRequest,
    AgreementState,
    ChargeRequest,
    ProviderContext,
    ProviderError,
    ProviderStatus,
    RawWebhook,
    RefundRequest,
    WebhookRejected,
)
from pawpay.platform.hooks._manager import build_plugin_manager
from pawpay.plugins.payments.wechatpay import client
from pawpay.plugins.payments.wechatpay import plugin as wechatpay_plugin
from pawpay.plugins.payments.wechatpay.config import WeChatPayConfig
from pawpay.plugins.payments.wechatpay.provider import WeChatPayPayments, out_trade_no

pytestmark = pytest.mark.unit

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # 10:00 in Beijing


def _load_fake() -> ModuleType:
    name = "pawpay_tests_fake_wechatpay"
    if name not in sys.modules:
        path = Path(__file__).parents[3] / "fixtures" / "wechatpay" / "fake_wechatpay.py"
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None
        assert spec.loader is not None
        sys.modules[name] = module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return sys.modules[name]


fake_module = _load_fake()
FIXTURES = Path(__file__).parents[3] / "fixtures" / "wechatpay"
CERTIFICATE = {"api_client_cert_pem": (FIXTURES / "apiclient_test_cert.pem").read_text(),
               "api_client_key_pem": (FIXTURES / "apiclient_test_key.pem").read_text()}
CONFIG = {"mch_id": "1900000109", "appid": "wx0123456789abcdef", "sub_mch_id": "1900000110", "plan_id": "12535",
          "api_key": fake_module.API_KEY, "notify_url_base": "https://pawpay.example.cn",
          "spbill_create_ip": "10.0.0.1", "per_debit_max_fen": 500_000}


@pytest.fixture
def fake() -> Iterator[Any]:
    wechat = fake_module.FakeWeChatPay()
    with respx.mock(assert_all_called=False) as router:
        router.route(host="api.mch.weixin.qq.com").mock(side_effect=wechat.handle)
        yield wechat


def make_ctx(**config: Any) -> ProviderContext[WeChatPayConfig]:
    return ProviderContext(tenant_id=str(uuid.uuid4()), config=WeChatPayConfig.model_validate({**CONFIG, **config}),
                           test_mode=True, clock_now=lambda: NOW)


def raw(ctx: ProviderContext[Any], body: bytes) -> RawWebhook:
    return RawWebhook("POST", f"/webhooks/payments/wechatpay/{ctx.tenant_id}", "", {}, body, "101.226.103.61",
                      ctx.now())


def agreement(agreement_id: str, channel: str = "mini_program", display: str = "猫粮月卡") -> AgreementRequest:
    return AgreementRequest(agreement_id=agreement_id, payer_reference="", display_account=display,
                            max_amount_fen=9900, period_months=1, first_debit_on=NOW.date(), channel=channel)


# --- registration, config, limits ------------------------------------------------------------------

def test_the_plugin_registers_payments_wechatpay() -> None:
    catalog = build_plugin_manager(load_entry_points=False, extra_plugins=[wechatpay_plugin]).providers()
    registered = catalog.get("payments", "wechatpay")
    assert isinstance(registered.provider, WeChatPayPayments)
    assert registered.config_schema is WeChatPayConfig
    [described] = [d for d in catalog.describe() if d.name == "wechatpay"]
    assert described.secret_fields == ("api_client_cert_pem", "api_client_key_pem", "api_key",
                                       "mini_program_app_secret")


def test_a_malformed_api_key_is_refused_without_echoing_it() -> None:
    with pytest.raises(pydantic.ValidationError) as raised:
        WeChatPayConfig.model_validate({**CONFIG, "api_key": "short-secret-value"})
    assert [e["loc"] for e in raised.value.errors()] == [("api_key",)]
    assert "short-secret-value" not in str(raised.value.errors(include_input=False))


def test_rail_limits_follow_wechat_rules() -> None:
    limits = WeChatPayPayments().rail_limits(make_ctx())
    assert limits.allowed_hours == (time(7), time(22))
    assert limits.time_zone == "Asia/Shanghai"
    assert (limits.per_debit_max_fen, limits.daily_max_fen) == (500_000, 500_000)
    assert limits.one_success_per_cycle
    assert limits.requests_per_second == 150
    assert limits.pre_debit_notice_hours == 24
    assert not limits.allows_time(datetime(2026, 3, 10, 14, 0, tzinfo=UTC))  # 22:00 Beijing
    test_template = WeChatPayPayments().rail_limits(make_ctx(test_template=True))
    assert test_template.amount_refusal(11) is not None
    assert test_template.amount_refusal(10) is None


def test_out_trade_no_is_the_attempt_id_or_its_uuid_hex() -> None:
    attempt = uuid.uuid4()
    assert out_trade_no("att-0123456789abcdef") == "att-0123456789abcdef"
    assert out_trade_no(str(attempt)) == attempt.hex
    with pytest.raises(ProviderError) as raised:
        out_trade_no("attempt/" + "x" * 40)
    assert raised.value.code == "ID_TOO_LONG"


async def test_a_wrong_key_fails_the_connection_test(fake: Any) -> None:
    result = await WeChatPayPayments().test_connection(make_ctx(api_key="x" * 32))
    assert (result.status, result.error_code) == (ProviderStatus.FAILED, "AUTH_FAILED")


# --- contracts --------------------------------------------------------------------------------------

async def test_mini_program_signing_hands_over_signed_extra_data(fake: Any) -> None:
    ctx = make_ctx()
    session = await WeChatPayPayments().sign_agreement(ctx, agreement("agr-0001"))
    assert session.result.status is ProviderStatus.PENDING
    assert session.action is not None
    assert session.action.kind == "mini_program_jump"
    extra = dict(session.action.payload["extraData"])
    assert session.action.payload["appId"] == "wxbd687630cd02ce1d"
    assert client.verify(extra, fake_module.API_KEY, "MD5")
    assert "nonce_str" not in extra
    assert "sign_type" not in extra
    assert (extra["sub_mch_id"], extra["plan_id"], extra["contract_code"]) == ("1900000110", "12535", "agr-0001")
    assert extra["notify_url"].endswith(f"/webhooks/payments/wechatpay/{ctx.tenant_id}")


async def test_web_signing_is_a_signed_entrustweb_url(fake: Any) -> None:
    session = await WeChatPayPayments().sign_agreement(make_ctx(), agreement("agr-0002", channel="h5"))
    assert session.action is not None
    url = urlsplit(session.action.payload["url"])
    assert (url.netloc, url.path) == ("api.mch.weixin.qq.com", "/papay/partner/entrustweb")
    params = dict(parse_qsl(url.query))
    assert params["contract_display_account"] == "猫粮月卡"  # signed raw, URL-encoded only in the link
    assert client.verify(params, fake_module.API_KEY, "MD5")


async def test_an_emoji_display_account_is_refused(fake: Any) -> None:
    with pytest.raises(ProviderError) as raised:
        await WeChatPayPayments().sign_agreement(make_ctx(), agreement("agr-0003", display="小猫🐱"))
    assert raised.value.code == "INVALID_DISPLAY_ACCOUNT"


async def test_a_signed_contract_is_active_then_terminated(fake: Any) -> None:
    ctx, provider = make_ctx(), WeChatPayPayments()
    assert (await provider.query_agreement(ctx, "agr-0004")).state is AgreementState.NOT_FOUND
    contract = fake.sign_contract("12535", "agr-0004", openid="oPayer42")
    again = await provider.sign_agreement(ctx, agreement("agr-0004"))
    assert (again.result.status, again.result.provider_reference) == (ProviderStatus.SUCCEEDED,
                                                                      contract["contract_id"])
    info = await provider.query_agreement(ctx, "agr-0004")
    assert (info.state, info.provider_reference, info.payer_reference) == (
        AgreementState.ACTIVE, contract["contract_id"], "oPayer42")
    assert (await provider.terminate_agreement(ctx, "agr-0004", "contract ended")).status is ProviderStatus.SUCCEEDED
    assert (await provider.query_agreement(ctx, "agr-0004")).state is AgreementState.TERMINATED
    assert (await provider.terminate_agreement(ctx, "agr-0004", "again")).status is ProviderStatus.SUCCEEDED


# --- callbacks ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("change", "kind"), [("ADD", "agreement.signed"), ("DELETE", "agreement.terminated")])
async def test_contract_callbacks_become_agreement_events(fake: Any, change: str, kind: str) -> None:
    ctx = make_ctx()
    contract = fake.sign_contract("12535", "agr-0005")
    events = await WeChatPayPayments().verify_webhook(ctx, raw(ctx, fake.contract_notification(
        "12535", "agr-0005", change)))
    assert [(e.kind, e.reference, e.provider_reference) for e in events] == [
        (kind, "agr-0005", contract["contract_id"])]
    assert events[0].event_id == f"wechatpay:1900000110:contract:{contract['contract_id']}:{change}"


async def test_an_md5_signed_callback_verifies(fake: Any) -> None:
    ctx = make_ctx()
    fake.sign_contract("12535", "agr-0006")
    fields = fake_module.from_xml(fake.contract_notification("12535", "agr-0006"))
    fields.pop("sign")
    body = fake_module.to_xml(fake_module.signed(fields, "MD5"))
    assert [e.kind for e in await WeChatPayPayments().verify_webhook(ctx, raw(ctx, body))] == ["agreement.signed"]


def _notification(fake: Any, **changes: str) -> bytes:
    fake.sign_contract("12535", "agr-0007")
    fields = fake_module.from_xml(fake.contract_notification("12535", "agr-0007"))
    fields.pop("sign")
    return fake_module.to_xml(fake_module.signed({**fields, **changes}))


@pytest.mark.parametrize(("body_of", "code"), [
    (lambda fake: fake_module.to_xml({**fake_module.template("notify_contract")}), "UNSIGNED"),
    (lambda fake: _notification(fake).replace(b"agr-0007", b"agr-0008"), "BAD_SIGNATURE"),
    (lambda fake: _notification(fake, sub_mch_id="1900000999"), "WRONG_MERCHANT"),
    (lambda fake: _notification(fake, change_type="PAUSE"), "MALFORMED"),
    (lambda fake: _notification(fake, plan_id="99999"), "WRONG_MERCHANT"),
    (lambda fake: b'<!DOCTYPE xml [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><a>&e;</a></xml>', "MALFORMED"),
])
async def test_bad_callbacks_are_rejected(fake: Any, body_of: Any, code: str) -> None:
    ctx = make_ctx()
    with pytest.raises(WebhookRejected) as raised:
        await WeChatPayPayments().verify_webhook(ctx, raw(ctx, body_of(fake)))
    assert raised.value.code == code


async def test_another_stores_debit_callback_is_rejected(fake: Any) -> None:
    ctx, other = make_ctx(), make_ctx()
    provider = WeChatPayPayments()
    fake.sign_contract("12535", "agr-0009")
    await provider.charge(other, ChargeRequest(attempt_id="att-other-store", payment_id="pay-1",
                                               agreement_id="agr-0009", amount_fen=9900, description="月卡"))
    body = fake.pay_notification("att-other-store")
    assert await provider.verify_webhook(other, raw(other, body))
    with pytest.raises(WebhookRejected) as raised:
        await provider.verify_webhook(ctx, raw(ctx, body))
    assert raised.value.code == "WRONG_STORE"


def test_the_ack_is_wechats_xml() -> None:
    ok, refused = WeChatPayPayments().webhook_ack(True), WeChatPayPayments().webhook_ack(False)
    assert ok.status_code == 200
    assert ok.body == (b"<xml><return_code><![CDATA[SUCCESS]]></return_code>"
                       b"<return_msg><![CDATA[OK]]></return_msg></xml>")
    assert client.decode(refused.body)["return_code"] == "FAIL"
    assert dataclasses.asdict(ok)["headers"]["Content-Type"].startswith("text/xml")


# --- refunds ---------------------------------------------------------------------------------------

async def _charged(fake: Any, ctx: ProviderContext[Any], attempt_id: str = "att-refund-1") -> ChargeRequest:
    fake.sign_contract("12535", "agr-refund")
    request = ChargeRequest(attempt_id=attempt_id, payment_id="pay-1", agreement_id="agr-refund", amount_fen=9900,
                            description="月卡")
    assert (await WeChatPayPayments().charge(ctx, request)).status is ProviderStatus.SUCCEEDED
    return request


def test_the_client_certificate_context_loads_and_refuses_garbage() -> None:
    assert client.client_certificate_context(CERTIFICATE["api_client_cert_pem"], CERTIFICATE["api_client_key_pem"])
    with pytest.raises(ProviderError) as raised:
        client.client_certificate_context(CERTIFICATE["api_client_cert_pem"],
                                          "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----")
    assert raised.value.code == "BAD_CLIENT_CERTIFICATE"


async def test_partial_refunds_add_up_to_the_charge_and_not_beyond(fake: Any) -> None:
    ctx, provider = make_ctx(**CERTIFICATE), WeChatPayPayments()
    charge = await _charged(fake, ctx)
    first = RefundRequest(refund_id="ref-1", attempt_id=charge.attempt_id, amount_fen=4000, charge_amount_fen=9900)
    assert (await provider.refund(ctx, first)).status is ProviderStatus.SUCCEEDED
    rest = dataclasses.replace(first, refund_id="ref-2", amount_fen=5900)
    assert (await provider.refund(ctx, rest)).status is ProviderStatus.SUCCEEDED
    beyond = await provider.refund(ctx, dataclasses.replace(first, refund_id="ref-3", amount_fen=1))
    assert (beyond.status, beyond.error_code) == (ProviderStatus.FAILED, "INVALID_REQUEST")
    [(_, sent)] = [(p, f) for p, f in fake.requests if p == "/secapi/pay/refund" and f["out_refund_no"] == "ref-1"]
    assert (sent["sub_mch_id"], sent["total_fee"], sent["refund_fee"]) == ("1900000110", "9900", "4000")
    # A debit that was (partly) refunded was still debited: it cannot be closed.
    assert (await provider.close_charge(ctx, charge.attempt_id)).error_code == "ALREADY_SUCCEEDED"


async def test_a_refund_id_reused_with_another_amount_raises(fake: Any) -> None:
    ctx, provider = make_ctx(**CERTIFICATE), WeChatPayPayments()
    charge = await _charged(fake, ctx)
    refund = RefundRequest(refund_id="ref-9", attempt_id=charge.attempt_id, amount_fen=100, charge_amount_fen=9900)
    await provider.refund(ctx, refund)
    with pytest.raises(ProviderError) as raised:
        await provider.refund(ctx, dataclasses.replace(refund, amount_fen=200))
    assert raised.value.code == "IDEMPOTENCY_MISMATCH"


async def test_without_the_client_certificate_nothing_is_sent(fake: Any) -> None:
    ctx = make_ctx()
    charge = await _charged(fake, ctx)
    result = await WeChatPayPayments().refund(ctx, RefundRequest(
        refund_id="ref-1", attempt_id=charge.attempt_id, amount_fen=100, charge_amount_fen=9900))
    assert (result.status, result.error_code) == (ProviderStatus.NOT_SUBMITTED, "CLIENT_CERTIFICATE_MISSING")
    assert not [p for p, _ in fake.requests if p == "/secapi/pay/refund"]


async def test_an_unpaid_charge_cannot_be_refunded(fake: Any) -> None:
    result = await WeChatPayPayments().refund(make_ctx(**CERTIFICATE), RefundRequest(
        refund_id="ref-1", attempt_id="att-never", amount_fen=100, charge_amount_fen=9900))
    assert (result.status, result.error_code) == (ProviderStatus.FAILED, "CHARGE_NOT_SUCCEEDED")


async def test_an_unreachable_lookup_before_the_debit_is_unknown_not_unsubmitted() -> None:
    # An earlier call may have applied the attempt; only a refused *apply* after an empty lookup is NOT_SUBMITTED.
    sent: list[str] = []

    def refuse(request: httpx.Request) -> httpx.Response:
        sent.append(request.url.path)
        raise httpx.ConnectError("down")

    provider = WeChatPayPayments(http_client_factory=lambda config: httpx.AsyncClient(
        base_url=client.BASE_URL, transport=httpx.MockTransport(refuse)))
    result = await provider.charge(make_ctx(), ChargeRequest(
        attempt_id="att-lookup", payment_id="pay-1", agreement_id="agr-lookup", amount_fen=9900, description="月卡"))
    assert (result.status, result.error_code) == (ProviderStatus.UNKNOWN, "QUERY_FAILED")
    assert sent == ["/pay/paporderquery"]
