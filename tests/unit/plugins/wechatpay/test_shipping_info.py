"""payments/wechatpay upload_shipping_info (mini-program 发货信息管理), faked at the HTTP boundary:
the stable token is fetched once and cached, the order key is the transaction id when known (else
the sub-merchant + out_trade_no), and each WeChat answer maps to the contract's outcome."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import respx

from pawpay.platform.hooks import Capability, ProviderContext, ProviderStatus, ShippingInfo
from pawpay.plugins.payments.wechatpay.config import WeChatPayConfig
from pawpay.plugins.payments.wechatpay.provider import WeChatPayPayments

pytestmark = pytest.mark.unit

CONFIG = {"mch_id": "1900000109", "appid": "wx0123456789abcdef", "sub_mch_id": "1900000110", "plan_id": "12535",
          "api_key": "a" * 32, "notify_url_base": "https://pawpay.example.cn", "spbill_create_ip": "10.0.0.1",
          "sub_appid": "wxfedcba9876543210", "mini_program_app_secret": "mp-secret-123"}
SHIPPED_AT = datetime(2026, 3, 10, 6, 0, tzinfo=UTC)


class FakeMiniProgramApi:
    def __init__(self) -> None:
        self.tokens = 0
        self.uploads: list[dict[str, Any]] = []
        self.answers: list[dict[str, Any]] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/cgi-bin/stable_token":
            body = json.loads(request.content)
            if body != {"grant_type": "client_credential", "appid": "wxfedcba9876543210", "secret": "mp-secret-123"}:
                return httpx.Response(200, json={"errcode": 40013, "errmsg": "invalid appid"})
            self.tokens += 1
            return httpx.Response(200, json={"access_token": f"TOKEN{self.tokens}", "expires_in": 7200})
        if request.url.path == "/wxa/sec/order/upload_shipping_info":
            if request.url.params.get("access_token") != f"TOKEN{self.tokens}":
                return httpx.Response(200, json={"errcode": 40001, "errmsg": "invalid credential"})
            self.uploads.append(json.loads(request.content))
            return httpx.Response(200, json=self.answers.pop(0) if self.answers else {"errcode": 0, "errmsg": "ok"})
        return httpx.Response(404)


@pytest.fixture
def api() -> Iterator[FakeMiniProgramApi]:
    fake = FakeMiniProgramApi()
    with respx.mock(assert_all_called=False) as router:
        router.route(host="api.weixin.qq.com").mock(side_effect=fake.handle)
        yield fake


def ctx(**config: Any) -> ProviderContext[WeChatPayConfig]:
    return ProviderContext(tenant_id=str(uuid.uuid4()), config=WeChatPayConfig.model_validate({**CONFIG, **config}),
                           test_mode=True, clock_now=lambda: SHIPPED_AT)


def info(**kw: Any) -> ShippingInfo:
    values: dict[str, Any] = {"attempt_id": "dbt-0001", "carrier_code": "SF", "waybill_no": "SF000000000001",
                              "item_desc": "幼猫粮 ×2", "shipped_at": SHIPPED_AT,
                              "receiver_phone_masked": "139****0000", "payer_reference": "ox_payer"}
    values.update(kw)
    return ShippingInfo(**values)


def test_the_capability_is_declared() -> None:
    assert Capability.SHIPPING_INFO in WeChatPayPayments.capabilities


async def test_an_upload_by_out_trade_no_then_by_transaction_id_with_one_token(api: FakeMiniProgramApi) -> None:
    provider, c = WeChatPayPayments(), ctx()
    first = await provider.upload_shipping_info(c, info())
    assert first.status is ProviderStatus.SUCCEEDED
    second = await provider.upload_shipping_info(c, info(charge_reference="4200000001"))
    assert second.status is ProviderStatus.SUCCEEDED
    assert api.tokens == 1, "the access token is cached"
    by_trade_no, by_transaction = api.uploads
    assert by_trade_no["order_key"] == {"order_number_type": 1, "mchid": "1900000110", "out_trade_no": "dbt-0001"}
    assert by_transaction["order_key"] == {"order_number_type": 2, "transaction_id": "4200000001"}
    assert by_trade_no["shipping_list"] == [{"tracking_no": "SF000000000001", "express_company": "SF",
                                             "item_desc": "幼猫粮 ×2", "contact": {"receiver_contact": "139****0000"}}]
    assert by_trade_no["payer"] == {"openid": "ox_payer"}
    assert (by_trade_no["logistics_type"], by_trade_no["delivery_mode"]) == (1, 1)
    assert by_trade_no["upload_time"] == "2026-03-10T06:00:00.000+00:00"


@pytest.mark.parametrize(("answer", "status", "code"), [
    ({"errcode": -1, "errmsg": "system error"}, ProviderStatus.NOT_SUBMITTED, "SYSTEM_BUSY"),
    ({"errcode": 10060002, "errmsg": "already shipped"}, ProviderStatus.SUCCEEDED, None),
    ({"errcode": 10060001, "errmsg": "order not found"}, ProviderStatus.FAILED, "WX_10060001"),
])
async def test_wechat_answers_map_to_outcomes(api: FakeMiniProgramApi, answer: dict[str, Any],
                                              status: ProviderStatus, code: str | None) -> None:
    api.answers.append(answer)
    result = await WeChatPayPayments().upload_shipping_info(ctx(), info())
    assert (result.status, result.error_code) == (status, code)


async def test_an_expired_token_is_dropped_and_fetched_again(api: FakeMiniProgramApi) -> None:
    provider, c = WeChatPayPayments(), ctx()
    await provider.upload_shipping_info(c, info())
    api.tokens += 1  # WeChat rotated the token: the cached one is now invalid
    stale = await provider.upload_shipping_info(c, info())
    assert (stale.status, stale.error_code) == (ProviderStatus.NOT_SUBMITTED, "ACCESS_TOKEN_INVALID")
    assert (await provider.upload_shipping_info(c, info())).status is ProviderStatus.SUCCEEDED
    assert api.tokens == 3


async def test_without_the_secret_or_the_payer_nothing_is_sent(api: FakeMiniProgramApi) -> None:
    no_secret = await WeChatPayPayments().upload_shipping_info(ctx(mini_program_app_secret=None), info())
    assert (no_secret.status, no_secret.error_code) == (ProviderStatus.NOT_SUBMITTED, "MINI_PROGRAM_SECRET_MISSING")
    no_payer = await WeChatPayPayments().upload_shipping_info(ctx(), info(payer_reference=""))
    assert (no_payer.status, no_payer.error_code) == (ProviderStatus.FAILED, "PAYER_MISSING")
    assert api.uploads == []
    assert api.tokens == 0


async def test_a_timeout_after_sending_is_unknown() -> None:
    with respx.mock(assert_all_called=False) as router:
        router.post("https://api.weixin.qq.com/cgi-bin/stable_token").mock(
            return_value=httpx.Response(200, json={"access_token": "T", "expires_in": 7200}))
        router.post(url__startswith="https://api.weixin.qq.com/wxa/sec/order/upload_shipping_info").mock(
            side_effect=httpx.ReadTimeout("slow"))
        result = await WeChatPayPayments().upload_shipping_info(ctx(), info())
    assert (result.status, result.error_code) == (ProviderStatus.UNKNOWN, "TIMEOUT")
