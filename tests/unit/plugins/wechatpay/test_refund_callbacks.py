"""payments/wechatpay 退款结果通知: ``req_info`` decrypted for real (AES-256-ECB, key md5(APIv2 key)).

The callbacks are built by ``tests/fixtures/wechatpay/fake_wechatpay.py``, which encrypts with its
own code, not the provider's.
"""

from __future__ import annotations

import base64
import importlib.util
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
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
    RefundRequest,
    WebhookRejected,
)
from pawpay.plugins.payments.wechatpay import webhooks
from pawpay.plugins.payments.wechatpay.config import WeChatPayConfig
from pawpay.plugins.payments.wechatpay.provider import WeChatPayPayments

pytestmark = pytest.mark.unit

NOW = datetime(2026, 3, 10, 2, 30, tzinfo=UTC)  # 10:30 in Beijing; the fake's refunds succeed at 10:00


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
CONFIG = {"mch_id": "1900000109", "appid": "wx0123456789abcdef", "sub_mch_id": "1900000110", "plan_id": "12535",
          "api_key": fake_module.API_KEY, "notify_url_base": "https://pawpay.example.cn",
          "spbill_create_ip": "10.0.0.1", "per_debit_max_fen": 500_000,
          "api_client_cert_pem": (FIXTURES / "apiclient_test_cert.pem").read_text(),
          "api_client_key_pem": (FIXTURES / "apiclient_test_key.pem").read_text()}


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


async def _refunded(fake: Any, ctx: ProviderContext[Any], refund_id: str = "ref-cb-1") -> None:
    fake.sign_contract("12535", "agr-refund-cb")
    provider = WeChatPayPayments()
    charge = ChargeRequest(attempt_id=f"att-{refund_id}", payment_id="pay-1", agreement_id="agr-refund-cb",
                           amount_fen=9900, description="月卡")
    assert (await provider.charge(ctx, charge)).status is ProviderStatus.SUCCEEDED
    refund = RefundRequest(refund_id=refund_id, attempt_id=charge.attempt_id, amount_fen=4000,
                           charge_amount_fen=9900)
    assert (await provider.refund(ctx, refund)).status is ProviderStatus.SUCCEEDED


async def test_a_successful_refund_callback_is_a_refund_succeeded_event(fake: Any) -> None:
    ctx = make_ctx()
    await _refunded(fake, ctx)
    body = fake.refund_notification("ref-cb-1")
    assert b"<sign>" not in body  # WeChat does not sign refund callbacks
    [event] = await WeChatPayPayments().verify_webhook(ctx, raw(ctx, body))
    refund = fake.refunds[("1900000110", "ref-cb-1")]
    assert event.kind == "refund.succeeded"
    assert event.status is ProviderStatus.SUCCEEDED
    assert (event.reference, event.provider_reference, event.amount_fen) == ("ref-cb-1", refund["refund_id"], 4000)
    assert event.event_id == "wechatpay:1900000110:refund:ref-cb-1:SUCCESS"
    assert event.occurred_at == datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
    assert event.raw["out_trade_no"] == "att-ref-cb-1"


@pytest.mark.parametrize("status", ["CHANGE", "REFUNDCLOSE"])
async def test_a_failed_refund_callback_is_a_refund_failed_event(fake: Any, status: str) -> None:
    ctx = make_ctx()
    await _refunded(fake, ctx)
    [event] = await WeChatPayPayments().verify_webhook(ctx, raw(ctx, fake.refund_notification("ref-cb-1", status)))
    assert (event.kind, event.status) == ("refund.failed", ProviderStatus.FAILED)
    assert event.event_id == f"wechatpay:1900000110:refund:ref-cb-1:{status}"
    assert event.occurred_at == NOW  # no success_time: the time it was received


def _with_req_info(body: bytes, req_info: str) -> bytes:
    fields = fake_module.from_xml(body)
    return fake_module.to_xml({**fields, "req_info": req_info})


def _flip_a_byte(req_info: str) -> str:
    encrypted = bytearray(base64.b64decode(req_info))
    encrypted[-1] ^= 0x01  # the last block holds the padding
    return base64.b64encode(bytes(encrypted)).decode()


@pytest.mark.parametrize(("tamper", "code"), [
    (lambda body: _with_req_info(body, _flip_a_byte(fake_module.from_xml(body)["req_info"])), "UNDECRYPTABLE"),
    (lambda body: _with_req_info(body, "not base64 at all!"), "UNDECRYPTABLE"),
    (lambda body: _with_req_info(body, base64.b64encode(b"short").decode()), "UNDECRYPTABLE"),
    (lambda body: _with_req_info(body, fake_module.encrypt_req_info(b"<root><a>1</a></root>")), "MALFORMED"),
    (lambda body: _with_req_info(body, fake_module.encrypt_req_info(b"<xml><out_refund_no>r</out_refund_no></xml>")),
     "UNDECRYPTABLE"),
    (lambda body: body.replace(b"1900000110", b"1900000999"), "WRONG_MERCHANT"),
    (lambda body: body.replace(b"1900000109", b"1900000999"), "WRONG_MERCHANT"),
])
async def test_tampered_or_misaddressed_refund_callbacks_are_rejected(fake: Any, tamper: Any, code: str) -> None:
    ctx = make_ctx()
    await _refunded(fake, ctx)
    with pytest.raises(WebhookRejected) as raised:
        await WeChatPayPayments().verify_webhook(ctx, raw(ctx, tamper(fake.refund_notification("ref-cb-1"))))
    assert raised.value.code == code


async def test_a_refund_callback_encrypted_with_another_key_is_rejected(fake: Any) -> None:
    ctx = make_ctx()
    await _refunded(fake, ctx)
    body = fake.refund_notification("ref-cb-1", key="anotherServiceProviderKey0123456")
    with pytest.raises(WebhookRejected) as raised:
        await WeChatPayPayments().verify_webhook(ctx, raw(ctx, body))
    assert raised.value.code in {"UNDECRYPTABLE", "MALFORMED"}


async def test_a_refund_callback_older_than_the_retry_window_is_stale(fake: Any) -> None:
    ctx = make_ctx()
    await _refunded(fake, ctx)
    body = fake.refund_notification("ref-cb-1", success_time="2026-03-08 10:00:00")
    with pytest.raises(WebhookRejected) as raised:
        await WeChatPayPayments().verify_webhook(ctx, raw(ctx, body))
    assert raised.value.code == "STALE"


def test_decrypt_req_info_round_trips_the_documented_scheme() -> None:
    plaintext = "<root><out_refund_no><![CDATA[退款-1]]></out_refund_no></root>".encode()
    assert webhooks.decrypt_req_info(fake_module.encrypt_req_info(plaintext), fake_module.API_KEY) == plaintext
