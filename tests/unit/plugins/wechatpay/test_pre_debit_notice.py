"""payments/wechatpay 预扣费通知: the APIv3 call, signed and verified for real.

WeChat is faked at the HTTP boundary by ``tests/fixtures/wechatpay/fake_wechatpay.py``: it checks
the ``WECHATPAY2-SHA256-RSA2048`` Authorization header with the test certificate's public key and
signs its answers with a platform key generated for the test run.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import re
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
import respx
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from pawpay.platform.hooks import Capability, PreDebitNotice, ProviderContext, ProviderStatus
from pawpay.plugins.payments.wechatpay import apiv3
from pawpay.plugins.payments.wechatpay.config import WeChatPayConfig
from pawpay.plugins.payments.wechatpay.provider import WeChatPayPayments

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
CERT_PEM = (FIXTURES / "apiclient_test_cert.pem").read_text()
CONFIG = {"mch_id": "1900000109", "appid": "wx0123456789abcdef", "sub_mch_id": "1900000110", "plan_id": "12535",
          "api_key": fake_module.API_KEY, "notify_url_base": "https://pawpay.example.cn",
          "spbill_create_ip": "10.0.0.1", "per_debit_max_fen": 500_000,
          "api_client_cert_pem": CERT_PEM, "api_client_key_pem": (FIXTURES / "apiclient_test_key.pem").read_text(),
          "wechatpay_public_key_pem": fake_module.platform_public_key_pem(),
          "wechatpay_public_key_id": fake_module.PLATFORM_KEY_ID}
AUTHORIZATION = re.compile(r'^WECHATPAY2-SHA256-RSA2048 mchid="(\d+)",nonce_str="(\w+)",signature="([^"]+)",'
                           r'timestamp="(\d+)",serial_no="([0-9A-F]+)"$')


@pytest.fixture
def fake() -> Iterator[Any]:
    wechat = fake_module.FakeWeChatPay()
    with respx.mock(assert_all_called=False) as router:
        router.route(host="api.mch.weixin.qq.com").mock(side_effect=wechat.handle)
        yield wechat


def make_ctx(now: datetime = NOW, **config: Any) -> ProviderContext[WeChatPayConfig]:
    return ProviderContext(tenant_id=str(uuid.uuid4()), config=WeChatPayConfig.model_validate({**CONFIG, **config}),
                           test_mode=True, clock_now=lambda: now)


def notice(amount_fen: int = 9900, debit_on: date = date(2026, 3, 13),
           agreement_id: str = "agr-notice") -> PreDebitNotice:
    return PreDebitNotice(notice_id="ntc-0001", agreement_id=agreement_id, amount_fen=amount_fen, debit_on=debit_on)


def verifies(public_key: rsa.RSAPublicKey, request: httpx.Request) -> bool:
    """Whether the request's Authorization header is WeChat's APIv3 signature by ``public_key``."""
    found = AUTHORIZATION.match(request.headers["Authorization"])
    assert found is not None
    _, nonce, signature, timestamp, _ = found.groups()
    message = f"POST\n{request.url.raw_path.decode()}\n{timestamp}\n{nonce}\n{request.content.decode()}\n"
    try:
        public_key.verify(base64.b64decode(signature), message.encode(), padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


def test_the_pre_debit_notice_capability_is_declared() -> None:
    assert Capability.PRE_DEBIT_NOTICE in WeChatPayPayments.capabilities


async def test_a_notice_is_signed_sent_as_the_store_and_verified(fake: Any) -> None:
    contract = fake.sign_contract("12535", "agr-notice")
    result = await WeChatPayPayments().send_pre_debit_notice(make_ctx(), notice())
    assert result.status is ProviderStatus.SUCCEEDED
    assert result.provider_reference == contract["contract_id"]
    assert result.raw["notice_id"] == "ntc-0001"
    [request] = fake.v3_requests
    assert request.url.path == f"/v3/partner-papay/contracts/{contract['contract_id']}/notify"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["User-Agent"]
    certificate = x509.load_pem_x509_certificate(CERT_PEM.encode())
    public_key = certificate.public_key()
    assert isinstance(public_key, rsa.RSAPublicKey)
    assert verifies(public_key, request)
    found = AUTHORIZATION.match(request.headers["Authorization"])
    assert found is not None
    assert (found[1], found[4], found[5]) == ("1900000109", str(int(NOW.timestamp())), f"{certificate.serial_number:X}")
    assert json.loads(request.content) == {
        "sp_mchid": "1900000109", "sp_appid": "wx0123456789abcdef", "sub_mchid": "1900000110",
        "estimated_amount": {"amount": 9900, "currency": "CNY"}, "deduct_duration": {"count": 3, "unit": "DAY"}}
    assert fake.notices == [(contract["contract_id"], json.loads(request.content))]


async def test_a_tampered_request_would_not_verify(fake: Any) -> None:
    fake.sign_contract("12535", "agr-notice")
    await WeChatPayPayments().send_pre_debit_notice(make_ctx(), notice())
    [request] = fake.v3_requests
    forged = httpx.Request("POST", request.url, headers=request.headers,
                           content=request.content.replace(b"9900", b"9901"))
    public_key = x509.load_pem_x509_certificate(CERT_PEM.encode()).public_key()
    assert isinstance(public_key, rsa.RSAPublicKey)
    assert not verifies(public_key, forged)


@pytest.mark.parametrize(("amount", "status", "code"), [
    (9902, ProviderStatus.FAILED, "PARAM_ERROR"),
    (9903, ProviderStatus.FAILED, "NO_AUTH"),
    (9905, ProviderStatus.UNKNOWN, "TIMEOUT"),
    (9906, ProviderStatus.NOT_SUBMITTED, "CONNECTION_FAILED"),
    (9907, ProviderStatus.UNKNOWN, "SYSTEM_ERROR"),
    (9909, ProviderStatus.NOT_SUBMITTED, "RATE_LIMITED"),
])
async def test_wechats_answers_map_to_outcomes(fake: Any, amount: int, status: ProviderStatus, code: str) -> None:
    fake.sign_contract("12535", "agr-notice")
    result = await WeChatPayPayments().send_pre_debit_notice(make_ctx(), notice(amount_fen=amount))
    assert (result.status, result.error_code) == (status, code)
    assert len(fake.v3_requests) == 1


async def test_an_answer_signed_with_another_key_is_not_believed(fake: Any) -> None:
    fake.sign_contract("12535", "agr-notice")
    fake.answer_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    result = await WeChatPayPayments().send_pre_debit_notice(make_ctx(), notice())
    assert (result.status, result.error_code) == (ProviderStatus.UNKNOWN, "BAD_RESPONSE")
    # A forged refusal is not believed either.
    refused = await WeChatPayPayments().send_pre_debit_notice(make_ctx(), notice(amount_fen=9902))
    assert (refused.status, refused.error_code) == (ProviderStatus.UNKNOWN, "BAD_RESPONSE")


async def test_an_answer_from_another_key_id_is_not_believed(fake: Any) -> None:
    fake.sign_contract("12535", "agr-notice")
    ctx = make_ctx(wechatpay_public_key_id="PUB_KEY_ID_0000000000000000000000000000000000")
    result = await WeChatPayPayments().send_pre_debit_notice(ctx, notice())
    assert (result.status, result.error_code) == (ProviderStatus.UNKNOWN, "BAD_RESPONSE")


def test_a_stale_or_unsigned_answer_is_refused() -> None:
    key = apiv3.platform_public_key(WeChatPayConfig.model_validate(CONFIG))
    fresh = fake_module.v3_answer(204, None, str(int(NOW.timestamp())))
    assert apiv3.answer_problem(fresh.headers, fresh.content, key, fake_module.PLATFORM_KEY_ID, NOW) is None
    stale = fake_module.v3_answer(204, None, str(int((NOW - timedelta(minutes=6)).timestamp())))
    assert apiv3.answer_problem(stale.headers, stale.content, key, None, NOW) is not None
    assert apiv3.answer_problem(httpx.Headers(), b"", key, None, NOW) == "the answer is unsigned"


async def test_without_an_active_contract_nothing_is_sent(fake: Any) -> None:
    result = await WeChatPayPayments().send_pre_debit_notice(make_ctx(), notice(agreement_id="agr-unknown"))
    assert (result.status, result.error_code) == (ProviderStatus.FAILED, "CONTRACT_NOT_EXIST")
    assert fake.v3_requests == []


@pytest.mark.parametrize(("missing", "code"), [
    ({"api_client_key_pem": None}, "CLIENT_CERTIFICATE_MISSING"),
    ({"wechatpay_public_key_pem": None}, "PLATFORM_PUBLIC_KEY_MISSING"),
])
async def test_without_the_keys_nothing_is_sent(fake: Any, missing: dict[str, Any], code: str) -> None:
    fake.sign_contract("12535", "agr-notice")
    result = await WeChatPayPayments().send_pre_debit_notice(make_ctx(**missing), notice())
    assert (result.status, result.error_code) == (ProviderStatus.NOT_SUBMITTED, code)
    assert fake.v3_requests == []
    assert fake.requests == []


async def test_a_key_that_is_not_the_certificates_is_refused(fake: Any) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    result = await WeChatPayPayments().send_pre_debit_notice(make_ctx(api_client_key_pem=other), notice())
    assert (result.status, result.error_code) == (ProviderStatus.NOT_SUBMITTED, "BAD_CLIENT_CERTIFICATE")


async def test_outside_07_to_22_beijing_or_for_a_past_date_nothing_is_sent(fake: Any) -> None:
    fake.sign_contract("12535", "agr-notice")
    late = await WeChatPayPayments().send_pre_debit_notice(make_ctx(now=datetime(2026, 3, 10, 14, 30, tzinfo=UTC)),
                                                           notice())
    assert (late.status, late.error_code) == (ProviderStatus.NOT_SUBMITTED, "OUTSIDE_ALLOWED_HOURS")
    past = await WeChatPayPayments().send_pre_debit_notice(make_ctx(), notice(debit_on=date(2026, 3, 9)))
    assert (past.status, past.error_code) == (ProviderStatus.FAILED, "DEBIT_DATE_PASSED")
    assert fake.v3_requests == []


def test_the_signer_signs_with_a_key_generated_here() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pawpay test merchant")])
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(0x5A3F00C1D2E3).not_valid_before(NOW - timedelta(days=1))
                   .not_valid_after(NOW + timedelta(days=1)).sign(key, hashes.SHA256()))
    config = WeChatPayConfig.model_validate({
        **CONFIG, "api_client_cert_pem": certificate.public_bytes(serialization.Encoding.PEM).decode(),
        "api_client_key_pem": key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                serialization.NoEncryption()).decode()})
    signer = apiv3.MerchantSigner.from_config(config)
    assert signer.serial_no == "5A3F00C1D2E3"
    body = '{"sp_mchid":"1900000109"}'
    header = signer.authorization("POST", "/v3/partner-papay/contracts/C1/notify", body, 1773108000, "abc123")
    request = httpx.Request("POST", "https://api.mch.weixin.qq.com/v3/partner-papay/contracts/C1/notify",
                            headers={"Authorization": header}, content=body.encode())
    assert verifies(key.public_key(), request)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert not verifies(other.public_key(), request)
