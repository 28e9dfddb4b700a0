"""The APIv2 signing and XML codec of the WeChat Pay client."""

from __future__ import annotations

import httpx
import pytest
import respx

from pawpay.platform.hooks import ProviderError
from pawpay.plugins.payments.wechatpay import client
from pawpay.plugins.payments.wechatpay.config import WeChatPayConfig

pytestmark = pytest.mark.unit

# The worked example of WeChat's 安全规范 page (https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=4_3).
DOC_PARAMS = {"appid": "wxd930ea5d5a258f4f", "mch_id": "10000100", "device_info": "1000", "body": "test",
              "nonce_str": "ibuaiVcKdpRxkhJA"}
DOC_KEY = "192006250b4c09247ec02edce69f6a2d"
KEY = "a" * 16 + "B" * 16
CONFIG = WeChatPayConfig.model_validate({
    "mch_id": "1900000109", "appid": "wx0123456789abcdef", "sub_mch_id": "1900000110", "plan_id": "12535",
    "api_key": KEY, "notify_url_base": "https://pawpay.example.cn", "spbill_create_ip": "10.0.0.1"})


def test_md5_signature_matches_the_documented_example() -> None:
    assert client.sign(DOC_PARAMS, DOC_KEY, "MD5") == "9A0A8659F005D6984697E2CA0A9CF3B7"


def test_hmac_sha256_signature_matches_the_documented_example() -> None:
    assert client.sign(DOC_PARAMS, DOC_KEY, "HMAC-SHA256") == \
        "6A9AE1657590FD6257D693A078E1C3E4BB6BA4DC30B23E0EE2496E54170DACD6"


def test_sign_ignores_empty_values_and_the_sign_field() -> None:
    base = client.sign(DOC_PARAMS, DOC_KEY, "MD5")
    assert client.sign({**DOC_PARAMS, "attach": "", "sign": "X"}, DOC_KEY, "MD5") == base


@pytest.mark.parametrize("sign_type", ["MD5", "HMAC-SHA256"])
def test_verify_refuses_tampered_unsigned_and_wrong_key(sign_type: client.SignType) -> None:
    signed = {**DOC_PARAMS, "sign": client.sign(DOC_PARAMS, DOC_KEY, sign_type)}
    assert client.verify(signed, DOC_KEY, sign_type)
    assert not client.verify({**signed, "body": "tset"}, DOC_KEY, sign_type)
    assert not client.verify(DOC_PARAMS, DOC_KEY, sign_type)
    assert not client.verify(signed, KEY, sign_type)


def test_xml_round_trips_with_chinese_text() -> None:
    fields = {"body": "猫粮月度计划", "total_fee": "9900", "detail": "a<b&c"}
    assert client.decode(client.encode(fields)) == fields


@pytest.mark.parametrize("body", [
    b'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY x "boom">]><xml><a>&x;</a></xml>',
    b"<!doctype xml SYSTEM 'file:///etc/passwd'><xml/>",
    b"<xml><a><b>nested</b></a></xml>",
    b"<xml><a>1</a><a>2</a></xml>",
    b"<root><a>1</a></root>",
    b"not xml",
    b"<xml><a>" + b"x" * client.MAX_XML_BYTES + b"</a></xml>",
])
def test_decode_refuses_declarations_odd_shapes_and_big_bodies(body: bytes) -> None:
    with pytest.raises(client.XmlRefused):
        client.decode(body)


def test_encode_refuses_a_cdata_terminator() -> None:
    with pytest.raises(ValueError, match="cannot encode"):
        client.encode({"body": "]]><evil/>"})


def _answer(**fields: str) -> bytes:
    fields = {"return_code": "SUCCESS", "result_code": "SUCCESS", "nonce_str": "n", **fields}
    return client.encode({**fields, "sign": client.sign(fields, KEY, "HMAC-SHA256")})


async def test_post_signs_the_request_and_verifies_the_answer() -> None:
    with respx.mock() as router:
        route = router.post("https://api.mch.weixin.qq.com/pay/paporderquery").mock(
            return_value=httpx.Response(200, content=_answer(trade_state="SUCCESS")))
        async with client.default_http_client(CONFIG) as http:
            answer = await client.WeChatPayV2Client(CONFIG, http).post("/pay/paporderquery", {"out_trade_no": "att1"})
    sent = client.decode(route.calls.last.request.content)
    assert client.verify(sent, KEY, "HMAC-SHA256")
    assert (sent["mch_id"], sent["sub_mch_id"], sent["out_trade_no"]) == ("1900000109", "1900000110", "att1")
    assert answer["trade_state"] == "SUCCESS"


async def test_a_wrongly_signed_answer_is_a_fault() -> None:
    forged = _answer(trade_state="SUCCESS").replace(b"SUCCESS]]></trade_state>", b"REFUND]]></trade_state>")
    with respx.mock() as router:
        router.post("https://api.mch.weixin.qq.com/pay/paporderquery").mock(
            return_value=httpx.Response(200, content=forged))
        async with client.default_http_client(CONFIG) as http:
            with pytest.raises(ProviderError) as raised:
                await client.WeChatPayV2Client(CONFIG, http).post("/pay/paporderquery", {})
    assert raised.value.code == "BAD_RESPONSE"


@pytest.mark.parametrize(("error", "sent"), [(httpx.ConnectError("refused"), False),
                                             (httpx.ReadTimeout("slow"), True)])
async def test_transport_errors_say_whether_the_request_left(error: Exception, sent: bool) -> None:
    with respx.mock() as router:
        router.post("https://api.mch.weixin.qq.com/pay/partner/pappayapply").mock(side_effect=error)
        async with client.default_http_client(CONFIG) as http:
            with pytest.raises(client.TransportError) as raised:
                await client.WeChatPayV2Client(CONFIG, http).post("/pay/partner/pappayapply", {})
    assert raised.value.sent is sent
