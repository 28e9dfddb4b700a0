"""A small WeChat Pay APIv2 client: signed XML over httpx, one client per call.

Signature (APIv2 安全规范, https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=4_3): sort the
non-empty parameters except ``sign`` by ASCII key, join raw (not URL-encoded) ``k=v`` with ``&``,
append ``&key=<APIv2 key>``, then upper-case MD5 or HMAC-SHA256 (keyed with the APIv2 key).

XML is parsed with the stdlib after refusing oversized bodies and any DTD/entity declaration
(``defusedxml`` is not a dependency); WeChat's messages are one flat ``<xml>`` of text fields.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import ssl
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Literal

import httpx

from pawpay.platform.hooks import ProviderError
from pawpay.plugins.payments.wechatpay.config import WeChatPayConfig

BASE_URL = "https://api.mch.weixin.qq.com"
MAX_XML_BYTES = 64 * 1024  # WeChat's answers and callbacks are a few hundred bytes
CONNECT_TIMEOUT_SECONDS = 2.0  # connecting is quick or hopeless; a failed connect proves nothing was sent
SignType = Literal["HMAC-SHA256", "MD5"]
HttpClientFactory = Callable[[WeChatPayConfig], httpx.AsyncClient]

_DECLARATION = re.compile(rb"<!\s*(DOCTYPE|ENTITY|ELEMENT|ATTLIST)", re.IGNORECASE)


class XmlRefused(ValueError):
    """A body that is not a small, flat WeChat ``<xml>`` message."""


class TransportError(Exception):
    """No usable answer from WeChat. ``sent``: the request may have reached it (outcome unknown)."""

    def __init__(self, message: str, *, sent: bool) -> None:
        super().__init__(message)
        self.sent = sent


def nonce() -> str:
    """A 32-character random ``nonce_str`` (WeChat: at most 32)."""
    return secrets.token_hex(16)


def sign(params: Mapping[str, str], key: str, sign_type: SignType) -> str:
    """The APIv2 signature of ``params`` (``sign`` itself and empty values excluded)."""
    text = "&".join(f"{k}={params[k]}" for k in sorted(params) if k != "sign" and params[k] != "")
    text += f"&key={key}"
    if sign_type == "MD5":
        return hashlib.md5(text.encode()).hexdigest().upper()  # noqa: S324 - WeChat's APIv2 scheme
    return hmac.new(key.encode(), text.encode(), hashlib.sha256).hexdigest().upper()


def verify(params: Mapping[str, str], key: str, sign_type: SignType) -> bool:
    """Whether ``params["sign"]`` is the APIv2 signature of ``params`` (constant-time compare)."""
    given = params.get("sign", "")
    return bool(given) and hmac.compare_digest(given.upper(), sign(params, key, sign_type))


def sign_type_of(params: Mapping[str, str], default: SignType) -> SignType:
    """The ``sign_type`` a message declares (callbacks may carry one), else ``default``."""
    declared = params.get("sign_type", default)
    if declared not in ("HMAC-SHA256", "MD5"):
        raise XmlRefused(f"unknown sign_type {declared!r}")
    return "MD5" if declared == "MD5" else "HMAC-SHA256"


def encode(params: Mapping[str, str]) -> bytes:
    """``<xml><k><![CDATA[v]]></k>...</xml>`` as UTF-8."""
    parts = ["<xml>"]
    for k, v in params.items():
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", k) or "]]>" in v:
            raise ValueError(f"cannot encode field {k!r} as WeChat XML")
        parts.append(f"<{k}><![CDATA[{v}]]></{k}>")
    parts.append("</xml>")
    return "".join(parts).encode()


def decode(body: bytes, root_tag: str = "xml") -> dict[str, str]:
    """The fields of a flat ``<xml>`` message (``root_tag``: ``root`` for a refund callback's ``req_info``).

    Raises:
        XmlRefused: too large, a DTD or entity declaration, not XML, not a flat ``<root_tag>`` root.
    """
    if len(body) > MAX_XML_BYTES:
        raise XmlRefused("the XML body is too large")
    if _DECLARATION.search(body):
        raise XmlRefused("XML declarations (DTD, entities) are refused")
    try:
        root = ET.fromstring(body)  # noqa: S314 - size-limited and declaration-free (checked above)
    except ET.ParseError as exc:
        raise XmlRefused(f"not XML: {exc}") from None
    if root.tag != root_tag:
        raise XmlRefused(f"the root element is <{root.tag}>, not <{root_tag}>")
    fields: dict[str, str] = {}
    for child in root:
        if len(child) or child.tag in fields:
            raise XmlRefused(f"field <{child.tag}> is nested or repeated")
        fields[child.tag] = (child.text or "").strip()
    return fields


def default_http_client(config: WeChatPayConfig) -> httpx.AsyncClient:
    """httpx with the store's read timeout and a short connect timeout."""
    return httpx.AsyncClient(base_url=BASE_URL,
                             timeout=httpx.Timeout(config.request_timeout_seconds, connect=CONNECT_TIMEOUT_SECONDS))


def client_certificate_context(cert_pem: str, key_pem: str) -> ssl.SSLContext:
    """A TLS context presenting the 服务商's API client certificate (``/secapi/`` calls).

    The stdlib loads a certificate chain only from a file: the PEM lives in a private temporary
    directory for the length of the load.

    Raises:
        ProviderError: ``BAD_CLIENT_CERTIFICATE`` if the certificate and key do not load.
    """
    context = ssl.create_default_context()
    with tempfile.TemporaryDirectory(prefix="pawpay-wechatpay-") as directory:
        path = Path(directory) / "apiclient.pem"
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(f"{cert_pem.strip()}\n{key_pem.strip()}\n")
        try:
            context.load_cert_chain(path)
        except ssl.SSLError as exc:
            raise ProviderError(f"the API client certificate does not load ({exc.reason})",
                                code="BAD_CLIENT_CERTIFICATE") from None
    return context


def certificate_http_client(config: WeChatPayConfig) -> httpx.AsyncClient:
    """Like :func:`default_http_client`, presenting the store config's API client certificate.

    Raises:
        ProviderError: ``CLIENT_CERTIFICATE_MISSING`` or ``BAD_CLIENT_CERTIFICATE``.
    """
    if config.api_client_cert_pem is None or config.api_client_key_pem is None:
        raise ProviderError("refunds need the API client certificate and key in the config",
                            code="CLIENT_CERTIFICATE_MISSING")
    context = client_certificate_context(config.api_client_cert_pem.get_secret_value(),
                                         config.api_client_key_pem.get_secret_value())
    return httpx.AsyncClient(base_url=BASE_URL, verify=context,
                             timeout=httpx.Timeout(config.request_timeout_seconds, connect=CONNECT_TIMEOUT_SECONDS))


class WeChatPayV2Client:
    """Signed APIv2 calls as the platform's 服务商 on behalf of one store (``sub_mch_id``)."""

    def __init__(self, config: WeChatPayConfig, http: httpx.AsyncClient) -> None:
        self._config = config
        self._http = http

    @property
    def http(self) -> httpx.AsyncClient:
        """The underlying client (base URL and timeouts set), for the APIv3 call that shares it."""
        return self._http

    @property
    def _key(self) -> str:
        return self._config.api_key.get_secret_value()

    def signed(self, params: Mapping[str, str]) -> dict[str, str]:
        """``params`` plus the partner ids, ``nonce_str``, ``sign_type`` and ``sign`` (an API request)."""
        config = self._config
        full = {**self._ids(), "nonce_str": nonce(), "sign_type": config.sign_type}
        full.update({k: v for k, v in params.items() if v != ""})
        full["sign"] = sign(full, self._key, config.sign_type)
        return full

    def signed_page(self, params: Mapping[str, str]) -> dict[str, str]:
        """``params`` plus the partner ids and an MD5 ``sign``, for the signing page / mini-program.

        The signing pages define no ``nonce_str`` or ``sign_type`` field (their parameter lists,
        e.g. chapter3_1/3_3), and an APIv2 message without ``sign_type`` is checked as MD5.
        """
        full = self._ids()
        full.update({k: v for k, v in params.items() if v != ""})
        full["sign"] = sign(full, self._key, "MD5")
        return full

    def _ids(self) -> dict[str, str]:
        config = self._config
        ids = {"appid": config.appid, "mch_id": config.mch_id, "sub_mch_id": config.sub_mch_id}
        if config.sub_appid:
            ids["sub_appid"] = config.sub_appid
        return ids

    async def post(self, path: str, params: Mapping[str, str]) -> dict[str, str]:
        """POST the signed ``params`` to ``path`` and return the verified answer's fields.

        Raises:
            TransportError: no answer (``sent`` False only when the connection was never made).
            ProviderError: ``BAD_RESPONSE`` for an unparseable or wrongly signed answer.
        """
        body = encode(self.signed(params))
        try:
            response = await self._http.post(path, content=body, headers={"Content-Type": "text/xml; charset=utf-8"})
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise TransportError(f"WeChat Pay was not reached ({type(exc).__name__})", sent=False) from exc
        except httpx.HTTPError as exc:
            raise TransportError(f"no answer from WeChat Pay ({type(exc).__name__})", sent=True) from exc
        if response.status_code >= 500:
            raise TransportError(f"WeChat Pay answered HTTP {response.status_code}", sent=True)
        try:
            answer = decode(response.content)
        except XmlRefused as exc:
            raise ProviderError(f"WeChat Pay's answer is not usable: {exc}", code="BAD_RESPONSE") from exc
        # Only answers with return_code SUCCESS are signed (APIv2: 通信失败 carries no sign).
        if answer.get("return_code") == "SUCCESS" and not verify(
                answer, self._key, sign_type_of(answer, self._config.sign_type)):
            raise ProviderError("WeChat Pay's answer has a bad signature", code="BAD_RESPONSE")
        return answer
