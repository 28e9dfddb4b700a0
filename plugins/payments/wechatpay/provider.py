"""WeChat Pay 委托代扣 (entrusted debit) in partner mode: the platform is the 服务商, each store
its 特约商户 (``sub_mch_id``), and every debit is made as the store (PROVIDER_RESEARCH §1.1).

How the contract maps onto WeChat's APIv2 (all signed XML, see :mod:`.client`):

* **Agreement** = a 委托代扣 contract under the config's ``plan_id``; our ``agreement_id`` is the
  ``contract_code``. ``sign_agreement`` returns a signed page to open (``/papay/partner/entrustweb``,
  ``redirect_url``) or the signing mini-program's ``extraData`` (``mini_program_jump``). State comes
  from ``/papay/partner/querycontract`` (``contract_state`` 0 = signed) or the 签约 callback.
  Terminating is ``/papay/deletecontract``.
* **Charge** = ``/pay/partner/pappayapply`` (``trade_type=PAP``) with ``out_trade_no`` = the
  attempt id (WeChat takes an ``out_trade_no`` once per merchant: the idempotency key) and
  ``attach`` = tenant|agreement|attempt. Applying only *accepts* the debit; the outcome is the
  order's ``trade_state`` from ``/pay/paporderquery``, which ``charge`` asks right after. Before
  applying, ``charge`` queries the attempt, so a repeat returns the first outcome, never a second debit.
* **Outcomes.** ``trade_state`` SUCCESS → ``SUCCEEDED``; ACCEPT/USERPAYING/NOTPAY → ``PENDING``;
  PAY_FAIL/CLOSED/REVOKED → ``FAILED``; business refusals (NOTENOUGH, CONTRACT_NOT_EXIST,
  RULELIMIT, ...) → ``FAILED`` with WeChat's ``err_code``; SYSTEMERROR, a 5xx, a timeout after
  sending → ``UNKNOWN`` (query first; WeChat: query, close, re-apply with a new number); a refused
  connection, FREQUENCY_LIMITED or a call outside 07:00-22:00 → ``NOT_SUBMITTED``.
* **Refunds** = ``/secapi/pay/refund`` over mutual TLS with the 服务商's API client certificate
  (config PEM), ``out_refund_no`` = the refund id, looked up first with ``/pay/refundquery``.
* **Callbacks**: debit, contract and refund results (see :mod:`.webhooks`).
* **Pre-debit notice** (预扣费通知) is the one APIv3 call: JSON, RSA-signed (see :mod:`.apiv3`).
* **Shipping info** (mini-program 发货信息管理, capability ``SHIPPING_INFO``): the mini-program API
  ``/wxa/sec/order/upload_shipping_info`` with the mini-program's access token (see :mod:`.shipping`).
* **Not built yet:** profit sharing on PAP orders
  (unverified with WeChat), onboarding (APIv3 applyment), bills.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import date, time
from typing import Any, ClassVar
from urllib.parse import quote, urlencode

import httpx
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from pawpay.platform.hooks import (
    AgreementInfo,
    AgreementRequest,
    AgreementSession,
    AgreementState,
    Capabilities,
    Capability,
    ChargeRequest,
    ClientAction,
    PreDebitNotice,
    ProviderConfig,
    ProviderContext,
    ProviderError,
    ProviderResult,
    ProviderStatus,
    RailLimits,
    RawWebhook,
    RefundRequest,
    ReleaseRequest,
    ShippingInfo,
    SubMerchantApplication,
    WebhookAck,
    WebhookEvent,
)
from pawpay.plugins.payments.wechatpay import apiv3, shipping, webhooks
from pawpay.plugins.payments.wechatpay import client as v2
from pawpay.plugins.payments.wechatpay.client import HttpClientFactory, TransportError, WeChatPayV2Client
from pawpay.plugins.payments.wechatpay.config import WeChatPayConfig

APPLY = "/pay/partner/pappayapply"
ORDER_QUERY = "/pay/paporderquery"
CLOSE_ORDER = "/pay/closeorder"
QUERY_CONTRACT = "/papay/partner/querycontract"
DELETE_CONTRACT = "/papay/deletecontract"
REFUND = "/secapi/pay/refund"
REFUND_QUERY = "/pay/refundquery"
NOTIFY = "/v3/partner-papay/contracts/{contract_id}/notify"
USER_AGENT = "pawpay-wechatpay"  # APIv3 requires a User-Agent
SIGN_PAGE = "https://api.mch.weixin.qq.com/papay/partner/entrustweb"
SIGN_MINI_PROGRAM = "wxbd687630cd02ce1d"  # WeChat's contract-signing mini-program (chapter3_3)

ALLOWED_HOURS = (time(7, 0), time(22, 0))  # Beijing time, for debits and pre-debit notices
REQUESTS_PER_SECOND = 150.0
NOTICE_HOURS = 24  # the default 通知后24小时扣费 mode
DEBIT_WINDOW_DAYS = 7  # pre-notice mode: days 3-9 after the notice

_PENDING_STATES = frozenset({"ACCEPT", "USERPAYING", "NOTPAY"})
_FAILED_STATES = frozenset({"PAY_FAIL", "CLOSED", "REVOKED", "PAYERROR"})
_UNKNOWN_ERRORS = frozenset({"SYSTEMERROR", "BANKERROR"})
_NOT_SUBMITTED_ERRORS = frozenset({"FREQUENCY_LIMITED", "FREQ_LIMIT", "FREQUENCY_LIMIT_EXCEED"})
_ALREADY_USED = frozenset({"ORDERPAID", "OUT_TRADE_NO_USED", "ORDERCLOSED", "ORDER_ACCEPTED"})
_NO_ORDER = frozenset({"ORDERNOTEXIST", "ORDER_NOT_EXIST"})
_NO_CONTRACT = frozenset({"CONTRACT_NOT_EXIST", "CONTRACTNOTEXIST"})
_NO_REFUND = frozenset({"REFUNDNOTEXIST", "REFUND_NOT_EXIST"})
_REFUND_UNKNOWN = frozenset({"SYSTEMERROR", "BIZERR_NEED_RETRY"})
_AUTH_REFUSALS = ("签名错误", "SIGNERROR", "mch_id", "NOAUTH", "appid")

_Ctx = ProviderContext[WeChatPayConfig]
Fields = dict[str, str]


def _result(status: ProviderStatus, *, reference: str | None = None, code: str | None = None,
            message: str | None = None, **raw: Any) -> ProviderResult:
    return ProviderResult(status, provider_reference=reference or None, error_code=code, error_message=message,
                          raw=raw)


def out_trade_no(attempt_id: str) -> str:
    """The attempt id as WeChat's ``out_trade_no`` (≤32 of ``[A-Za-z0-9_-|*@]``); a UUID loses its dashes."""
    if len(attempt_id) <= 32 and all(c.isascii() and (c.isalnum() or c in "_-|*@") for c in attempt_id):
        return attempt_id
    try:
        return uuid.UUID(attempt_id).hex
    except ValueError:
        raise ProviderError(f"attempt id {attempt_id!r} cannot be a WeChat out_trade_no", code="ID_TOO_LONG") from None


def _auth_refused(answer: Fields) -> bool:
    message = answer.get("return_msg", "") + answer.get("err_code", "")
    return answer.get("return_code") != "SUCCESS" and any(word in message for word in _AUTH_REFUSALS)


def _refusal(answer: Fields) -> ProviderError:
    """A ``return_code FAIL`` (the request was refused as a whole, nothing was done)."""
    if _auth_refused(answer):
        return ProviderError(f"WeChat Pay refused the store's credentials: {answer.get('return_msg')}",
                             code="AUTH_FAILED")
    return ProviderError(f"WeChat Pay refused the request: {answer.get('return_msg')}", code="REQUEST_REFUSED")


def _order_result(order: Fields) -> ProviderResult:
    """The outcome of a ``paporderquery`` answer that found the order."""
    state = order.get("trade_state", "")
    raw = {"trade_state": state, "total_fee": order.get("total_fee"), "contract_id": order.get("contract_id")}
    reference = order.get("transaction_id")
    if state in {"SUCCESS", "REFUND"}:  # a (partly) refunded order was debited
        return _result(ProviderStatus.SUCCEEDED, reference=reference, **raw)
    if state in _PENDING_STATES:
        return _result(ProviderStatus.PENDING, reference=reference, **raw)
    if state in _FAILED_STATES:
        code = order.get("err_code") or state
        return _result(ProviderStatus.FAILED, reference=reference, code=code,
                       message=order.get("trade_state_desc") or order.get("err_code_des"), **raw)
    return _result(ProviderStatus.UNKNOWN, reference=reference, code="UNEXPECTED_STATE", **raw)


def _v3_error(response: httpx.Response) -> tuple[str, str]:
    """``(code, message)`` of an APIv3 error answer (``{"code": .., "message": ..}``)."""
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if isinstance(answer, dict) and isinstance(answer.get("code"), str) and answer["code"]:
        return answer["code"], str(answer.get("message", ""))[:200]
    return f"HTTP_{response.status_code}", ""


class WeChatPayPayments:
    """The ``payments/wechatpay`` provider (see the module docstring).

    Args:
        http_client_factory: builds the httpx client for each call from the store's config
            (default: explicit timeouts). Tests fake WeChat at the HTTP boundary with respx.
    """

    config_schema: ClassVar[type[ProviderConfig]] = WeChatPayConfig
    capabilities: ClassVar[Capabilities] = frozenset({Capability.AGREEMENTS, Capability.WEBHOOKS,
                                                      Capability.REFUNDS, Capability.PARTIAL_REFUNDS,
                                                      Capability.PRE_DEBIT_NOTICE, Capability.SHIPPING_INFO})

    def __init__(self, http_client_factory: HttpClientFactory = v2.default_http_client,
                 certificate_http_client_factory: HttpClientFactory = v2.certificate_http_client,
                 mini_program_client_factory: shipping.MiniProgramClientFactory = shipping.default_client) -> None:
        self._http_client_factory = http_client_factory
        self._certificate_http_client_factory = certificate_http_client_factory
        self._shipping = shipping.ShippingUploader(mini_program_client_factory)

    @asynccontextmanager
    async def _client(self, ctx: _Ctx) -> AsyncIterator[WeChatPayV2Client]:
        async with self._http_client_factory(ctx.config) as http:
            yield WeChatPayV2Client(ctx.config, http)

    @asynccontextmanager
    async def _certificate_client(self, ctx: _Ctx) -> AsyncIterator[WeChatPayV2Client]:
        """For ``/secapi/`` calls (mutual TLS with the API client certificate)."""
        async with self._certificate_http_client_factory(ctx.config) as http:
            yield WeChatPayV2Client(ctx.config, http)

    # --- limits and connection -------------------------------------------------------------------

    def rail_limits(self, ctx: _Ctx) -> RailLimits:
        cap = ctx.config.max_debit_fen
        # One successful debit per contract per day: the daily cap is one debit's cap.
        return RailLimits(per_debit_max_fen=cap, daily_max_fen=cap, allowed_hours=ALLOWED_HOURS,
                          time_zone="Asia/Shanghai", pre_debit_notice_hours=NOTICE_HOURS,
                          debit_window_days=DEBIT_WINDOW_DAYS, requests_per_second=REQUESTS_PER_SECOND,
                          one_success_per_cycle=True)

    async def test_connection(self, ctx: _Ctx) -> ProviderResult:
        # Asking for a contract that cannot exist is signed, side-effect free and proves the key.
        try:
            async with self._client(ctx) as client:
                answer = await client.post(QUERY_CONTRACT, {"plan_id": ctx.config.plan_id,
                                                            "contract_code": "pawpay-connection-test",
                                                            "version": "1.0"})
        except TransportError as exc:
            return _result(ProviderStatus.NOT_SUBMITTED, code="UNREACHABLE", message=str(exc))
        except ProviderError as exc:
            return _result(ProviderStatus.FAILED, code=exc.code, message=exc.message)
        if answer.get("return_code") != "SUCCESS":
            error = _refusal(answer)
            return _result(ProviderStatus.FAILED, code=error.code, message=error.message)
        if answer.get("result_code") == "SUCCESS" or answer.get("err_code") in _NO_CONTRACT:
            return _result(ProviderStatus.SUCCEEDED, reference=ctx.config.sub_mch_id)
        return _result(ProviderStatus.FAILED, code=answer.get("err_code") or "REFUSED",
                       message=answer.get("err_code_des"))

    # --- sub-merchants (APIv3 applyment: not built) --------------------------------------------

    async def onboard_sub_merchant(self, ctx: _Ctx, application: SubMerchantApplication) -> ProviderResult:
        raise ProviderError("WeChat sub-merchant onboarding (APIv3 applyment) is not built", code="UNSUPPORTED")

    async def query_sub_merchant(self, ctx: _Ctx, application_id: str) -> ProviderResult:
        raise ProviderError("WeChat sub-merchant onboarding (APIv3 applyment) is not built", code="UNSUPPORTED")

    # --- agreements -----------------------------------------------------------------------------

    async def _contract(self, client: WeChatPayV2Client, ctx: _Ctx, agreement_id: str) -> Fields | None:
        """The contract ``agreement_id`` under the store's plan, or ``None`` if WeChat has none."""
        try:
            answer = await client.post(QUERY_CONTRACT, {"plan_id": ctx.config.plan_id, "contract_code": agreement_id,
                                                        "version": "1.0"})
        except TransportError as exc:
            raise ProviderError(f"WeChat Pay is unavailable: {exc}", code="VENDOR_UNAVAILABLE", retryable=True) from exc
        if answer.get("return_code") != "SUCCESS":
            raise _refusal(answer)
        if answer.get("result_code") != "SUCCESS":
            if answer.get("err_code") in _NO_CONTRACT:
                return None
            raise ProviderError(f"WeChat Pay refused the contract query: {answer.get('err_code')}",
                                code=answer.get("err_code") or "REQUEST_REFUSED",
                                retryable=answer.get("err_code") in _UNKNOWN_ERRORS)
        return answer

    def _notify_url(self, ctx: _Ctx) -> str:
        return f"{ctx.config.notify_url_base.rstrip('/')}/webhooks/payments/wechatpay/{ctx.tenant_id}"

    async def sign_agreement(self, ctx: _Ctx, request: AgreementRequest) -> AgreementSession:
        if len(request.agreement_id) > 32:
            raise ProviderError("a WeChat contract_code has at most 32 characters", code="ID_TOO_LONG")
        if any(ord(c) > 0xFFFF for c in request.display_account):
            raise ProviderError("WeChat refuses 4-byte UTF-8 (emoji) in contract_display_account",
                                code="INVALID_DISPLAY_ACCOUNT")
        async with self._client(ctx) as client:
            contract = await self._contract(client, ctx, request.agreement_id)
            if contract is not None and contract.get("contract_state") == "0":
                return AgreementSession(_result(ProviderStatus.SUCCEEDED, reference=contract.get("contract_id")))
            config = ctx.config
            timestamp = str(int(ctx.now().timestamp()))
            params = {"plan_id": config.plan_id, "contract_code": request.agreement_id,
                      # request_serial: a number unique per signing request under the plan.
                      "request_serial": str(int(ctx.now().timestamp() * 1000)),
                      "contract_display_account": request.display_account, "notify_url": self._notify_url(ctx),
                      "version": "1.0", "timestamp": timestamp}
            if request.return_url:
                params["return_web"] = "1"
            signed = client.signed_page(params)
        if request.channel == "mini_program":
            action = ClientAction("mini_program_jump", {"appId": SIGN_MINI_PROGRAM, "path": "pages/index/index",
                                                        "extraData": signed})
        else:
            action = ClientAction("redirect_url", {"url": f"{SIGN_PAGE}?{urlencode(signed)}"})
        return AgreementSession(_result(ProviderStatus.PENDING, request_serial=params["request_serial"]), action)

    async def query_agreement(self, ctx: _Ctx, agreement_id: str) -> AgreementInfo:
        async with self._client(ctx) as client:
            contract = await self._contract(client, ctx, agreement_id)
        if contract is None:
            return AgreementInfo(agreement_id, AgreementState.NOT_FOUND)
        state = AgreementState.ACTIVE if contract.get("contract_state") == "0" else AgreementState.TERMINATED
        kept = ("contract_state", "contract_signed_time", "contract_expired_time", "contract_terminated_time",
                "contract_termination_mode")
        raw: dict[str, Any] = {k: contract[k] for k in kept if k in contract}
        return AgreementInfo(agreement_id, state, provider_reference=contract.get("contract_id"),
                             payer_reference=contract.get("openid"), raw=raw)

    async def terminate_agreement(self, ctx: _Ctx, agreement_id: str, reason: str) -> ProviderResult:
        async with self._client(ctx) as client:
            try:
                answer = await client.post(DELETE_CONTRACT, {
                    "plan_id": ctx.config.plan_id, "contract_code": agreement_id, "version": "1.0",
                    "contract_termination_remark": (reason or "contract ended")[:100]})
            except TransportError as exc:
                raise ProviderError(f"WeChat Pay is unavailable: {exc}", code="VENDOR_UNAVAILABLE",
                                    retryable=True) from exc
        if answer.get("return_code") != "SUCCESS":
            raise _refusal(answer)
        if answer.get("result_code") == "SUCCESS" or answer.get("err_code") in _NO_CONTRACT:
            return _result(ProviderStatus.SUCCEEDED, reference=answer.get("contract_id"))
        return _result(ProviderStatus.FAILED, code=answer.get("err_code") or "REFUSED",
                       message=answer.get("err_code_des"))

    async def send_pre_debit_notice(self, ctx: _Ctx, notice: PreDebitNotice) -> ProviderResult:  # noqa: PLR0911 - one per outcome
        """预扣费通知: ``POST /v3/partner-papay/contracts/{contract_id}/notify`` (APIv3, JSON, RSA-signed).

        The ``contract_id`` comes from ``querycontract`` first (an inactive contract fails
        ``CONTRACT_NOT_EXIST`` and nothing is sent). The API takes no request id, so the call is
        not idempotent at WeChat: the same ``notice_id`` sent twice notifies the payer twice (no
        money moves); ``notice_id`` is kept in ``raw``.
        """
        limits = self.rail_limits(ctx)
        refusal = limits.amount_refusal(notice.amount_fen)
        if refusal:
            return _result(ProviderStatus.FAILED, code="AMOUNT_LIMIT_EXCEEDED", message=refusal)
        if notice.currency != "CNY":
            return _result(ProviderStatus.FAILED, code="CURRENCY_UNSUPPORTED", message="WeChat debits CNY only")
        now = ctx.now()
        days = (notice.debit_on - now.astimezone(webhooks.BEIJING).date()).days
        if days < 0:
            return _result(ProviderStatus.FAILED, code="DEBIT_DATE_PASSED", message="the debit date is past")
        if not limits.allows_time(now):
            return _result(ProviderStatus.NOT_SUBMITTED, code="OUTSIDE_ALLOWED_HOURS",
                           message="WeChat takes pre-debit notices 07:00-22:00 Beijing time")
        try:
            signer = apiv3.MerchantSigner.from_config(ctx.config)
            public_key = apiv3.platform_public_key(ctx.config)
        except ProviderError as exc:
            return _result(ProviderStatus.NOT_SUBMITTED, code=exc.code, message=exc.message)
        async with self._client(ctx) as client:
            try:
                contract = await self._contract(client, ctx, notice.agreement_id)
            except ProviderError as exc:  # nothing was notified yet
                status = ProviderStatus.NOT_SUBMITTED if exc.retryable else ProviderStatus.FAILED
                return _result(status, code=exc.code, message=exc.message)
            if contract is None or contract.get("contract_state") != "0" or not contract.get("contract_id"):
                return _result(ProviderStatus.FAILED, code="CONTRACT_NOT_EXIST",
                               message="no active contract for the agreement")
            return await self._notify(ctx, client, signer, public_key, notice, contract["contract_id"], max(days, 1))

    async def _notify(  # noqa: PLR0911 - one per outcome
            self, ctx: _Ctx, client: WeChatPayV2Client, signer: apiv3.MerchantSigner, public_key: RSAPublicKey,
            notice: PreDebitNotice, contract_id: str, days: int) -> ProviderResult:
        config = ctx.config
        payload: dict[str, Any] = {"sp_mchid": config.mch_id, "sp_appid": config.appid, "sub_mchid": config.sub_mch_id}
        if config.sub_appid:
            payload["sub_appid"] = config.sub_appid
        # deduct_duration: how many days from today until the planned debit (at least one).
        payload.update({"estimated_amount": {"amount": notice.amount_fen, "currency": "CNY"},
                        "deduct_duration": {"count": days, "unit": "DAY"}})
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        url = NOTIFY.format(contract_id=quote(contract_id, safe=""))
        headers = {"Authorization": signer.authorization("POST", url, body, int(ctx.now().timestamp())),
                   "Content-Type": "application/json", "Accept": "application/json", "User-Agent": USER_AGENT}
        raw: dict[str, Any] = {"notice_id": notice.notice_id, "contract_id": contract_id}
        try:
            response = await client.http.post(url, content=body.encode(), headers=headers)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            return _result(ProviderStatus.NOT_SUBMITTED, code="CONNECTION_FAILED", message=type(exc).__name__, **raw)
        except httpx.HTTPError as exc:
            return _result(ProviderStatus.UNKNOWN, code="TIMEOUT", message=type(exc).__name__, **raw)
        error = _v3_error(response)
        if response.status_code >= 500:
            return _result(ProviderStatus.UNKNOWN, code=error[0], message=error[1], **raw)
        problem = apiv3.answer_problem(response.headers, response.content, public_key,
                                       config.wechatpay_public_key_id, ctx.now())
        if problem:
            return _result(ProviderStatus.UNKNOWN, code="BAD_RESPONSE", message=problem, **raw)
        if response.status_code in {200, 204}:
            return _result(ProviderStatus.SUCCEEDED, reference=contract_id, **raw)
        if response.status_code == 429 or error[0] in _NOT_SUBMITTED_ERRORS:
            return _result(ProviderStatus.NOT_SUBMITTED, code="RATE_LIMITED", message=error[1], **raw)
        if 400 <= response.status_code < 500:
            return _result(ProviderStatus.FAILED, code=error[0], message=error[1], **raw)
        return _result(ProviderStatus.UNKNOWN, code=f"HTTP_{response.status_code}", message=error[1], **raw)

    # --- charges --------------------------------------------------------------------------------

    async def _order(self, client: WeChatPayV2Client, ctx: _Ctx, attempt_id: str) -> Fields | None:
        """The order of ``attempt_id``, ``None`` if WeChat has none.

        Raises:
            TransportError: no answer.
            ProviderError: the query was refused.
        """
        answer = await client.post(ORDER_QUERY, {"out_trade_no": out_trade_no(attempt_id)})
        if answer.get("return_code") != "SUCCESS":
            raise _refusal(answer)
        if answer.get("result_code") != "SUCCESS":
            if answer.get("err_code") in _NO_ORDER:
                return None
            raise ProviderError(f"WeChat Pay refused the order query: {answer.get('err_code')}",
                                code=answer.get("err_code") or "REQUEST_REFUSED",
                                retryable=answer.get("err_code") in _UNKNOWN_ERRORS)
        return answer

    def _owned(self, ctx: _Ctx, order: Fields) -> bool:
        owner = webhooks.parse_attach(order.get("attach", ""))
        return owner is not None and owner[0] == ctx.tenant_id

    async def charge(self, ctx: _Ctx, request: ChargeRequest) -> ProviderResult:  # noqa: PLR0911, PLR0912 - one per outcome
        limits = self.rail_limits(ctx)
        refusal = limits.amount_refusal(request.amount_fen)
        if refusal:
            return _result(ProviderStatus.FAILED, code="AMOUNT_LIMIT_EXCEEDED", message=refusal)
        if request.currency != "CNY":
            return _result(ProviderStatus.FAILED, code="CURRENCY_UNSUPPORTED", message="WeChat debits CNY only")
        if not limits.allows_time(ctx.now()):
            return _result(ProviderStatus.NOT_SUBMITTED, code="OUTSIDE_ALLOWED_HOURS",
                           message="WeChat takes debits 07:00-22:00 Beijing time")
        trade_no = out_trade_no(request.attempt_id)
        async with self._client(ctx) as client:
            try:
                existing = await self._order(client, ctx, request.attempt_id)
            except TransportError as exc:
                # An earlier call may have applied this attempt: not knowing is UNKNOWN, never NOT_SUBMITTED.
                return _result(ProviderStatus.UNKNOWN, code="QUERY_FAILED", message=str(exc))
            if existing is not None:
                return self._replayed(ctx, request, existing)
            contract = await self._contract(client, ctx, request.agreement_id)
            if contract is None:
                return _result(ProviderStatus.FAILED, code="CONTRACT_NOT_EXIST", message="no such contract")
            if contract.get("contract_state") != "0":
                return _result(ProviderStatus.FAILED, code="AGREEMENT_TERMINATED", message="the contract has ended")
            params = {"body": request.description[:40] or "pawpay", "out_trade_no": trade_no,
                      "attach": webhooks.attach_for(ctx.tenant_id, request.agreement_id, request.attempt_id),
                      "total_fee": str(request.amount_fen), "fee_type": "CNY",
                      "spbill_create_ip": ctx.config.spbill_create_ip, "notify_url": self._notify_url(ctx),
                      "trade_type": "PAP", "contract_id": contract.get("contract_id", "")}
            try:
                answer = await client.post(APPLY, params)
            except TransportError as exc:
                if exc.sent:
                    return _result(ProviderStatus.UNKNOWN, code="TIMEOUT", message=str(exc), out_trade_no=trade_no)
                return _result(ProviderStatus.NOT_SUBMITTED, code="CONNECTION_FAILED", message=str(exc))
            if answer.get("return_code") != "SUCCESS":
                raise _refusal(answer)
            if answer.get("result_code") != "SUCCESS":
                return await self._apply_refused(client, ctx, request, answer)
            # Accepted: the debit's outcome is the order's trade_state.
            try:
                order = await self._order(client, ctx, request.attempt_id)
            except (TransportError, ProviderError) as exc:
                return _result(ProviderStatus.PENDING, code=None, message=f"accepted; query failed: {exc}")
        if order is None:
            return _result(ProviderStatus.PENDING, out_trade_no=trade_no)
        return _order_result(order)

    def _replayed(self, ctx: _Ctx, request: ChargeRequest, order: Fields) -> ProviderResult:
        owner = webhooks.parse_attach(order.get("attach", ""))
        if owner is None or owner[0] != ctx.tenant_id:
            raise ProviderError(f"out_trade_no of attempt {request.attempt_id} belongs to another store",
                                code="IDEMPOTENCY_MISMATCH")
        if order.get("total_fee") != str(request.amount_fen) or owner[1] != request.agreement_id:
            raise ProviderError(f"attempt {request.attempt_id} was charged before with another amount or agreement",
                                code="IDEMPOTENCY_MISMATCH")
        return _order_result(order)

    async def _apply_refused(self, client: WeChatPayV2Client, ctx: _Ctx, request: ChargeRequest,
                             answer: Fields) -> ProviderResult:
        code = answer.get("err_code") or "REFUSED"
        message = answer.get("err_code_des")
        if code in _UNKNOWN_ERRORS:
            return _result(ProviderStatus.UNKNOWN, code=code, message=message)
        if code in _NOT_SUBMITTED_ERRORS:
            return _result(ProviderStatus.NOT_SUBMITTED, code="RATE_LIMITED", message=message)
        if code in _ALREADY_USED:
            # The number was used (a race with another worker): its order is this attempt's outcome.
            try:
                order = await self._order(client, ctx, request.attempt_id)
            except (TransportError, ProviderError):
                return _result(ProviderStatus.UNKNOWN, code=code, message=message)
            if order is not None:
                return self._replayed(ctx, request, order)
        return _result(ProviderStatus.FAILED, code=code, message=message)

    async def query_charge(self, ctx: _Ctx, attempt_id: str) -> ProviderResult:
        try:
            async with self._client(ctx) as client:
                order = await self._order(client, ctx, attempt_id)
        except TransportError as exc:
            return _result(ProviderStatus.UNKNOWN, code="QUERY_FAILED", message=str(exc))
        if order is None:
            return _result(ProviderStatus.NOT_SUBMITTED, code="NOT_FOUND", message="WeChat has no such order")
        if not self._owned(ctx, order):
            return _result(ProviderStatus.FAILED, code="ANOTHER_STORES_ORDER",
                           message="the out_trade_no belongs to another store")
        return _order_result(order)

    async def close_charge(self, ctx: _Ctx, attempt_id: str) -> ProviderResult:  # noqa: PLR0911 - one per state
        async with self._client(ctx) as client:
            try:
                order = await self._order(client, ctx, attempt_id)
                if order is None:
                    return _result(ProviderStatus.SUCCEEDED, found=False)
                if not self._owned(ctx, order):
                    return _result(ProviderStatus.FAILED, code="ANOTHER_STORES_ORDER")
                state = order.get("trade_state")
                if state in {"SUCCESS", "REFUND"}:
                    return _result(ProviderStatus.FAILED, reference=order.get("transaction_id"),
                                   code="ALREADY_SUCCEEDED", message="the debit succeeded before it could be closed")
                if state in _FAILED_STATES:
                    return _result(ProviderStatus.SUCCEEDED, reference=order.get("transaction_id"))
                answer = await client.post(CLOSE_ORDER, {"out_trade_no": out_trade_no(attempt_id)})
            except TransportError as exc:
                raise ProviderError(f"WeChat Pay is unavailable: {exc}", code="VENDOR_UNAVAILABLE",
                                    retryable=True) from exc
        if answer.get("return_code") != "SUCCESS":
            raise _refusal(answer)
        code = answer.get("err_code")
        if answer.get("result_code") == "SUCCESS" or code == "ORDERCLOSED":
            return _result(ProviderStatus.SUCCEEDED, reference=order.get("transaction_id"))
        if code == "ORDERPAID":
            return _result(ProviderStatus.FAILED, code="ALREADY_SUCCEEDED", message=answer.get("err_code_des"))
        return _result(ProviderStatus.UNKNOWN, code=code or "CLOSE_FAILED", message=answer.get("err_code_des"))

    # --- not built --------------------------------------------------------------------------------

    async def _refund_found(self, client: WeChatPayV2Client, refund_no: str) -> Fields | None:
        answer = await client.post(REFUND_QUERY, {"out_refund_no": refund_no})
        if answer.get("return_code") != "SUCCESS":
            raise _refusal(answer)
        if answer.get("result_code") != "SUCCESS":
            if answer.get("err_code") in _NO_REFUND:
                return None
            raise ProviderError(f"WeChat Pay refused the refund query: {answer.get('err_code')}",
                                code=answer.get("err_code") or "REQUEST_REFUSED",
                                retryable=answer.get("err_code") in _UNKNOWN_ERRORS)
        return answer

    @staticmethod
    def _refund_of(answer: Fields, refund_no: str) -> tuple[str, str, str]:
        """``(refund_id, refund_fee, refund_status)`` of ``refund_no`` in a ``refundquery`` answer."""
        for n in range(int(answer.get("refund_count") or 0)):
            if answer.get(f"out_refund_no_{n}") == refund_no:
                return (answer.get(f"refund_id_{n}", ""), answer.get(f"refund_fee_{n}", ""),
                        answer.get(f"refund_status_{n}", ""))
        raise ProviderError(f"WeChat's refund query does not list {refund_no}", code="BAD_RESPONSE")

    @staticmethod
    def _refund_result(refund_id: str, status: str) -> ProviderResult:
        if status == "SUCCESS":
            return _result(ProviderStatus.SUCCEEDED, reference=refund_id, refund_status=status)
        if status == "PROCESSING":
            return _result(ProviderStatus.PENDING, reference=refund_id, refund_status=status)
        if status in {"REFUNDCLOSE", "CHANGE"}:  # CHANGE: the payer's account could not take it (退款异常)
            return _result(ProviderStatus.FAILED, reference=refund_id, code=status, refund_status=status)
        return _result(ProviderStatus.UNKNOWN, reference=refund_id, code="UNEXPECTED_STATE", refund_status=status)

    async def refund(self, ctx: _Ctx, request: RefundRequest) -> ProviderResult:  # noqa: PLR0911, PLR0912 - one per outcome
        """``/secapi/pay/refund`` (mutual TLS), ``out_refund_no`` = the refund id; looked up first by
        ``/pay/refundquery``, so the same refund id never refunds twice."""
        refund_no = out_trade_no(request.refund_id)
        async with self._client(ctx) as client:
            try:
                order = await self._order(client, ctx, request.attempt_id)
                if order is None or not self._owned(ctx, order) or order.get("trade_state") not in {"SUCCESS",
                                                                                                     "REFUND"}:
                    return _result(ProviderStatus.FAILED, code="CHARGE_NOT_SUCCEEDED",
                                   message="only a succeeded debit can be refunded")
                found = await self._refund_found(client, refund_no)
            except TransportError as exc:
                raise ProviderError(f"WeChat Pay is unavailable: {exc}", code="VENDOR_UNAVAILABLE",
                                    retryable=True) from exc
            if found is not None:
                refund_id, fee, status = self._refund_of(found, refund_no)
                if fee != str(request.amount_fen) or found.get("out_trade_no") != order.get("out_trade_no"):
                    raise ProviderError(f"refund {request.refund_id} was made before with another amount or charge",
                                        code="IDEMPOTENCY_MISMATCH")
                return self._refund_result(refund_id, status)
        params = {"out_trade_no": out_trade_no(request.attempt_id), "out_refund_no": refund_no,
                  "total_fee": order.get("total_fee", ""), "refund_fee": str(request.amount_fen),
                  "refund_fee_type": "CNY", "refund_desc": request.reason[:80]}
        try:
            async with self._certificate_client(ctx) as secure:
                answer = await secure.post(REFUND, params)
        except ProviderError as exc:
            if exc.code not in {"CLIENT_CERTIFICATE_MISSING", "BAD_CLIENT_CERTIFICATE"}:
                raise
            return _result(ProviderStatus.NOT_SUBMITTED, code=exc.code, message=exc.message)
        except TransportError as exc:
            if exc.sent:
                return _result(ProviderStatus.UNKNOWN, code="TIMEOUT", message=str(exc))
            return _result(ProviderStatus.NOT_SUBMITTED, code="CONNECTION_FAILED", message=str(exc))
        if answer.get("return_code") != "SUCCESS":
            raise _refusal(answer)
        code = answer.get("err_code") or "REFUSED"
        if answer.get("result_code") != "SUCCESS":
            if code in _REFUND_UNKNOWN:
                return _result(ProviderStatus.UNKNOWN, code=code, message=answer.get("err_code_des"))
            if code in _NOT_SUBMITTED_ERRORS:
                return _result(ProviderStatus.NOT_SUBMITTED, code="RATE_LIMITED", message=answer.get("err_code_des"))
            return _result(ProviderStatus.FAILED, code=code, message=answer.get("err_code_des"))
        # Accepted: the refund's status is the query's.
        try:
            async with self._client(ctx) as client:
                found = await self._refund_found(client, refund_no)
        except (TransportError, ProviderError):
            found = None
        if found is None:
            return _result(ProviderStatus.PENDING, reference=answer.get("refund_id"))
        refund_id, _, status = self._refund_of(found, refund_no)
        return self._refund_result(refund_id, status)

    async def upload_shipping_info(self, ctx: _Ctx, info: ShippingInfo) -> ProviderResult:
        """Mini-program 发货信息管理 (see :mod:`.shipping`): report the parcel of a debit's goods."""
        return await self._shipping.upload(ctx.config, info, out_trade_no(info.attempt_id))

    async def release_held_funds(self, ctx: _Ctx, request: ReleaseRequest) -> ProviderResult:
        raise ProviderError("profit sharing on PAP orders is unverified with WeChat; not built", code="UNSUPPORTED")

    async def download_statement(self, ctx: _Ctx, day: date) -> bytes:
        raise ProviderError("the /pay/downloadbill statement is not built", code="UNSUPPORTED")

    # --- webhooks ---------------------------------------------------------------------------------

    async def verify_webhook(self, ctx: _Ctx, raw: RawWebhook) -> Sequence[WebhookEvent]:
        return webhooks.parse(ctx, raw, webhooks.verify(ctx, raw))

    def webhook_ack(self, ok: bool) -> WebhookAck:
        return webhooks.ack(ok)


__all__ = ["WeChatPayPayments", "out_trade_no"]
