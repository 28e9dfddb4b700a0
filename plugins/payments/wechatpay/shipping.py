"""The mini-program shipping upload (发货信息管理, PROVIDER_RESEARCH §1.3): for mini-programs under
WeChat's shipping rule, paid funds stay frozen until the merchant reports the shipping.

Two calls on ``api.weixin.qq.com`` (not the Pay API): ``POST /cgi-bin/stable_token`` for the
mini-program's access token (cached per AppID until a minute before it expires), then
``POST /wxa/sec/order/upload_shipping_info?access_token=...`` with the order key, the parcel and
the payer. Field names from WeChat's published API; the partner-mode order key (the store's
``sub_mch_id`` as ``mchid``) is inferred: confirm against the 服务商 page before going live.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import httpx

from pawpay.platform.hooks import ProviderResult, ProviderStatus, ShippingInfo
from pawpay.plugins.payments.wechatpay.config import WeChatPayConfig

API_BASE = "https://api.weixin.qq.com"
TOKEN_PATH = "/cgi-bin/stable_token"  # noqa: S105 - a URL path, not a secret
UPLOAD_PATH = "/wxa/sec/order/upload_shipping_info"
CONNECT_TIMEOUT_SECONDS = 2.0
# errcodes: -1 system busy (retry); 40001/42001/40014 token invalid or expired (refresh, retry).
_BUSY = frozenset({-1, 45009})
_TOKEN_INVALID = frozenset({40001, 40014, 42001})
# "already shipped / already reported" (WeChat's error list; inferred, confirm before going live):
# reporting the same charge again is no failure of the store.
_ALREADY_REPORTED = frozenset({10060002, 10060003})

MiniProgramClientFactory = Callable[[WeChatPayConfig], httpx.AsyncClient]


def default_client(config: WeChatPayConfig) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=API_BASE, timeout=httpx.Timeout(config.request_timeout_seconds,
                                                                      connect=CONNECT_TIMEOUT_SECONDS))


def _result(status: ProviderStatus, code: str | None = None, message: str | None = None,
            raw: dict[str, Any] | None = None) -> ProviderResult:
    return ProviderResult(status, error_code=code, error_message=message, raw=raw or {})


class ShippingUploader:
    """Uploads shipping info; one instance per provider (it caches access tokens per AppID)."""

    def __init__(self, client_factory: MiniProgramClientFactory = default_client,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._client_factory = client_factory
        self._monotonic = monotonic
        self._tokens: dict[str, tuple[str, float]] = {}

    async def _token(self, http: httpx.AsyncClient, appid: str, secret: str) -> str:
        cached = self._tokens.get(appid)
        if cached and cached[1] > self._monotonic():
            return cached[0]
        response = await http.post(TOKEN_PATH, json={"grant_type": "client_credential", "appid": appid,
                                                     "secret": secret})
        answer = response.json()
        token = answer.get("access_token") if isinstance(answer, dict) else None
        if not token:
            raise _TokenRefused(int(answer.get("errcode", 0) or 0) if isinstance(answer, dict) else 0)
        self._tokens[appid] = (str(token), self._monotonic() + max(int(answer.get("expires_in", 7200)) - 60, 0))
        return str(token)

    async def upload(self, config: WeChatPayConfig, info: ShippingInfo, out_trade_no: str) -> ProviderResult:  # noqa: PLR0911, PLR0912 - one per outcome
        appid = config.sub_appid or config.appid
        if config.mini_program_app_secret is None:
            return _result(ProviderStatus.NOT_SUBMITTED, "MINI_PROGRAM_SECRET_MISSING",
                           "enter the mini-program's AppSecret to report shipping")
        if not info.payer_reference:
            return _result(ProviderStatus.FAILED, "PAYER_MISSING", "WeChat needs the payer's openid")
        if info.charge_reference:
            order_key: dict[str, Any] = {"order_number_type": 2, "transaction_id": info.charge_reference}
        else:
            order_key = {"order_number_type": 1, "mchid": config.sub_mch_id, "out_trade_no": out_trade_no}
        shipped: dict[str, Any] = {"tracking_no": info.waybill_no, "express_company": info.carrier_code,
                   "item_desc": info.item_desc[:120]}
        if info.receiver_phone_masked:
            shipped["contact"] = {"receiver_contact": info.receiver_phone_masked}
        payload = {"order_key": order_key, "logistics_type": 1, "delivery_mode": 1, "shipping_list": [shipped],
                   "upload_time": info.shipped_at.isoformat(timespec="milliseconds"),
                   "payer": {"openid": info.payer_reference}}
        raw = {"order_key": order_key}
        async with self._client_factory(config) as http:
            try:
                token = await self._token(http, appid, config.mini_program_app_secret.get_secret_value())
            except _TokenRefused as exc:
                return _result(ProviderStatus.NOT_SUBMITTED, "ACCESS_TOKEN_REFUSED", f"errcode {exc.errcode}", raw)
            except (httpx.HTTPError, ValueError) as exc:
                return _result(ProviderStatus.NOT_SUBMITTED, "CONNECTION_FAILED", type(exc).__name__, raw)
            body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
            try:
                response = await http.post(UPLOAD_PATH, params={"access_token": token}, content=body,
                                           headers={"Content-Type": "application/json"})
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                return _result(ProviderStatus.NOT_SUBMITTED, "CONNECTION_FAILED", type(exc).__name__, raw)
            except httpx.HTTPError as exc:
                return _result(ProviderStatus.UNKNOWN, "TIMEOUT", type(exc).__name__, raw)
        try:
            answer = response.json()
            errcode = int(answer.get("errcode", 0))
        except (ValueError, AttributeError, TypeError):
            return _result(ProviderStatus.UNKNOWN, f"HTTP_{response.status_code}", "unreadable answer", raw)
        message = str(answer.get("errmsg", ""))[:200]
        if errcode == 0 or errcode in _ALREADY_REPORTED:
            return _result(ProviderStatus.SUCCEEDED, raw={**raw, "errcode": errcode})
        if errcode in _TOKEN_INVALID:
            self._tokens.pop(appid, None)
            return _result(ProviderStatus.NOT_SUBMITTED, "ACCESS_TOKEN_INVALID", message, raw)
        if errcode in _BUSY:
            return _result(ProviderStatus.NOT_SUBMITTED, "SYSTEM_BUSY", message, raw)
        return _result(ProviderStatus.FAILED, f"WX_{errcode}", message, raw)


class _TokenRefused(Exception):
    def __init__(self, errcode: int) -> None:
        super().__init__(errcode)
        self.errcode = errcode
