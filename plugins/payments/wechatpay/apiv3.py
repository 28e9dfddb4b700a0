"""The APIv3 signing the one v3 call of 委托代扣 needs: 预扣费通知 (PROVIDER_RESEARCH §1.1).

Requests (APIv3 签名生成): ``Authorization: WECHATPAY2-SHA256-RSA2048 mchid="..",nonce_str="..",
signature="..",timestamp="..",serial_no=".."``, where ``signature`` is base64 of SHA256-with-RSA
(PKCS#1 v1.5) over ``METHOD\\nURL\\nTIMESTAMP\\nNONCE\\nBODY\\n`` with the 服务商's API certificate
private key (``apiclient_key.pem``), ``URL`` being the path and query, and ``serial_no`` that
certificate's serial number in hex.

Answers (签名验证) are verified with the WeChat Pay platform public key (微信支付公钥 mode) over
``Wechatpay-Timestamp\\nWechatpay-Nonce\\nBODY\\n``; ``Wechatpay-Serial`` must be the configured key id
and the timestamp within five minutes (the common SDK does not check freshness, §1.4).
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from pawpay.platform.hooks import ProviderError
from pawpay.plugins.payments.wechatpay.config import WeChatPayConfig

SCHEMA = "WECHATPAY2-SHA256-RSA2048"
ANSWER_SKEW = timedelta(minutes=5)


def signature_message(*parts: str) -> bytes:
    """WeChat's message to sign: every part followed by a newline."""
    return "".join(f"{part}\n" for part in parts).encode()


@dataclass(frozen=True, slots=True)
class MerchantSigner:
    """Signs APIv3 requests as the 服务商 (``mchid``) with its API certificate's private key."""

    mchid: str
    serial_no: str
    private_key: rsa.RSAPrivateKey

    @classmethod
    def from_config(cls, config: WeChatPayConfig) -> MerchantSigner:
        """The signer of the config's API client certificate and key (the ones refunds use for mTLS).

        Raises:
            ProviderError: ``CLIENT_CERTIFICATE_MISSING``, or ``BAD_CLIENT_CERTIFICATE`` if they do
                not load, the key is not RSA, or the certificate is not that key's.
        """
        if config.api_client_cert_pem is None or config.api_client_key_pem is None:
            raise ProviderError("APIv3 calls need the API client certificate and key in the config",
                                code="CLIENT_CERTIFICATE_MISSING")
        try:
            certificate = x509.load_pem_x509_certificate(config.api_client_cert_pem.get_secret_value().encode())
            key = serialization.load_pem_private_key(config.api_client_key_pem.get_secret_value().encode(),
                                                     password=None)
        except (ValueError, TypeError):
            raise ProviderError("the API client certificate or key does not load",
                                code="BAD_CLIENT_CERTIFICATE") from None
        if not isinstance(key, rsa.RSAPrivateKey) or certificate.public_key() != key.public_key():
            raise ProviderError("the API client key is not the RSA key of the certificate",
                                code="BAD_CLIENT_CERTIFICATE")
        return cls(config.mch_id, f"{certificate.serial_number:X}", key)

    def authorization(self, method: str, url: str, body: str, timestamp: int, nonce: str | None = None) -> str:
        """The ``Authorization`` header of a request (``url``: path and query)."""
        nonce = nonce or secrets.token_hex(16)
        signed = self.private_key.sign(signature_message(method, url, str(timestamp), nonce, body),
                                       padding.PKCS1v15(), hashes.SHA256())
        signature = base64.b64encode(signed).decode()
        return (f'{SCHEMA} mchid="{self.mchid}",nonce_str="{nonce}",signature="{signature}",'
                f'timestamp="{timestamp}",serial_no="{self.serial_no}"')


def platform_public_key(config: WeChatPayConfig) -> rsa.RSAPublicKey:
    """The WeChat Pay public key that signs APIv3 answers.

    Raises:
        ProviderError: ``PLATFORM_PUBLIC_KEY_MISSING`` or ``BAD_PLATFORM_PUBLIC_KEY``.
    """
    if config.wechatpay_public_key_pem is None:
        raise ProviderError("APIv3 answers need the WeChat Pay public key in the config",
                            code="PLATFORM_PUBLIC_KEY_MISSING")
    try:
        key = serialization.load_pem_public_key(config.wechatpay_public_key_pem.encode())
    except (ValueError, TypeError):
        raise ProviderError("the WeChat Pay public key does not load", code="BAD_PLATFORM_PUBLIC_KEY") from None
    if not isinstance(key, rsa.RSAPublicKey):
        raise ProviderError("the WeChat Pay public key is not an RSA key", code="BAD_PLATFORM_PUBLIC_KEY")
    return key


def answer_problem(headers: Mapping[str, str], body: bytes, key: rsa.RSAPublicKey, key_id: str | None,
                   now: datetime) -> str | None:
    """Why an APIv3 answer cannot be believed, or ``None`` if it is WeChat's, fresh and intact.

    ``headers`` must look names up case-insensitively (httpx's do).
    """
    timestamp, nonce = headers.get("Wechatpay-Timestamp", ""), headers.get("Wechatpay-Nonce", "")
    signature, serial = headers.get("Wechatpay-Signature", ""), headers.get("Wechatpay-Serial", "")
    if not (timestamp and nonce and signature):
        return "the answer is unsigned"
    if key_id is not None and serial != key_id:
        return f"the answer is signed with key {serial!r}, not the configured one"
    if not timestamp.isdigit() or abs(int(timestamp) - now.timestamp()) > ANSWER_SKEW.total_seconds():
        return "the answer's timestamp is not within five minutes"
    try:
        key.verify(base64.b64decode(signature, validate=True), signature_message(timestamp, nonce, body.decode()),
                   padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, binascii.Error, ValueError, UnicodeDecodeError):
        return "the answer's signature does not match"
    return None
