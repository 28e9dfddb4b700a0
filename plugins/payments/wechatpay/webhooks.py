"""WeChat Pay APIv2 callbacks: 扣款结果通知, 签约/解约通知 and 退款结果通知, XML, one URL per store.

Debit and contract callbacks are verified with the 服务商's APIv2 key over every field (``sign``
excluded), then checked to be about *this* store (``mch_id``/``sub_mch_id`` from its config, and
the tenant we wrote into ``attach``) before anything is parsed into events. Refund callbacks carry
no ``sign``: their ``req_info`` is AES-256-ECB encrypted with ``md5(APIv2 key)`` (lowercase hex) as
the key, and only what decrypts and parses is believed. WeChat retries a callback for about 24 h
(15 s ... 6 h), so freshness is a 25 h window on the event's own time, not minutes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from pawpay.platform.hooks import ProviderContext, ProviderStatus, RawWebhook, WebhookAck, WebhookEvent, WebhookRejected
from pawpay.plugins.payments.wechatpay import client
from pawpay.plugins.payments.wechatpay.config import WeChatPayConfig

BEIJING = ZoneInfo("Asia/Shanghai")
REPLAY_WINDOW = timedelta(hours=25)
CLOCK_SKEW = timedelta(minutes=10)
ATTACH_SEPARATOR = "|"
MAX_REQ_INFO_CHARS = 8 * 1024  # a refund's req_info is a few hundred bytes
_REFUND_KINDS = {"SUCCESS": ("refund.succeeded", ProviderStatus.SUCCEEDED),
                 "CHANGE": ("refund.failed", ProviderStatus.FAILED),  # 退款异常: the payer's account refused it
                 "REFUNDCLOSE": ("refund.failed", ProviderStatus.FAILED)}


def attach_for(tenant_id: str, agreement_id: str, attempt_id: str) -> str:
    """What ``pappayapply`` carries in ``attach`` (≤127): whose attempt this is, echoed by query and callback."""
    return ATTACH_SEPARATOR.join((tenant_id, agreement_id, attempt_id))


def parse_attach(attach: str) -> tuple[str, str, str] | None:
    parts = attach.split(ATTACH_SEPARATOR)
    return (parts[0], parts[1], parts[2]) if len(parts) == 3 else None


def beijing_time(value: str, fmt: str) -> datetime | None:
    """A WeChat local time (``yyyyMMddHHmmss`` or ``yyyy-MM-dd HH:mm:ss``) as aware UTC."""
    try:
        return datetime.strptime(value, fmt).replace(tzinfo=BEIJING).astimezone(UTC)
    except ValueError:
        return None


def verify(ctx: ProviderContext[WeChatPayConfig], raw: RawWebhook) -> dict[str, str]:
    """The callback's fields, once its signature and addressee are checked.

    Raises:
        WebhookRejected: not XML, unsigned, a bad signature, or for another merchant or store.
    """
    config = ctx.config
    try:
        fields = client.decode(raw.body)
        sign_type = client.sign_type_of(fields, config.sign_type)
    except client.XmlRefused as exc:
        raise WebhookRejected(f"not a WeChat Pay callback: {exc}", code="MALFORMED") from None
    if "req_info" in fields:
        return _refund_fields(config, fields)
    if not fields.get("sign"):
        raise WebhookRejected("the callback is unsigned", code="UNSIGNED")
    if not client.verify(fields, config.api_key.get_secret_value(), sign_type):
        raise WebhookRejected("the callback's signature does not match", code="BAD_SIGNATURE")
    # Partner mode shares one key across stores: route by sub_mch_id only after verifying.
    if fields.get("mch_id") != config.mch_id or fields.get("sub_mch_id", config.sub_mch_id) != config.sub_mch_id:
        raise WebhookRejected("the callback is for another merchant", code="WRONG_MERCHANT")
    # A contract belongs to 服务商 + plan + payer, not to a sub-merchant: the plan must be this store's.
    if "change_type" in fields and fields.get("plan_id") != config.plan_id:
        raise WebhookRejected("the contract callback is for another plan", code="WRONG_MERCHANT")
    return fields


def decrypt_req_info(req_info: str, api_key: str) -> bytes:
    """The plaintext of a refund callback's ``req_info`` (base64 of AES-256-ECB, PKCS#7 padded).

    The key is the 32 ASCII characters of ``md5(api_key)`` in lowercase hex (退款结果通知).

    Raises:
        WebhookRejected: ``UNDECRYPTABLE`` if it is not base64, not whole blocks, or badly padded.
    """
    if len(req_info) > MAX_REQ_INFO_CHARS:
        raise WebhookRejected("req_info is too large", code="UNDECRYPTABLE")
    try:
        encrypted = base64.b64decode(req_info, validate=True)
    except (binascii.Error, ValueError):
        raise WebhookRejected("req_info is not base64", code="UNDECRYPTABLE") from None
    if not encrypted or len(encrypted) % 16:
        raise WebhookRejected("req_info is not whole AES blocks", code="UNDECRYPTABLE")
    key = hashlib.md5(api_key.encode()).hexdigest().encode()  # noqa: S324 - WeChat's key derivation
    decryptor = Cipher(algorithms.AES(key), modes.ECB()).decryptor()  # noqa: S305 - WeChat's scheme
    padded = decryptor.update(encrypted) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    try:
        return unpadder.update(padded) + unpadder.finalize()
    except ValueError:
        raise WebhookRejected("req_info does not decrypt with the store's key", code="UNDECRYPTABLE") from None


def _refund_fields(config: WeChatPayConfig, outer: dict[str, str]) -> dict[str, str]:
    """The decrypted fields of a 退款结果通知 for this store, plus the outer ids.

    Nothing outside ``req_info`` is authenticated (the message has no ``sign``), so the outer ids
    only route; the inner fields are believed because they decrypt with the 服务商's key.
    """
    if outer.get("return_code") != "SUCCESS":
        raise WebhookRejected("the refund callback reports a communication failure", code="MALFORMED")
    if outer.get("mch_id") != config.mch_id or outer.get("sub_mch_id") != config.sub_mch_id:
        raise WebhookRejected("the refund callback is for another merchant", code="WRONG_MERCHANT")
    plaintext = decrypt_req_info(outer["req_info"], config.api_key.get_secret_value())
    try:
        inner = client.decode(plaintext, root_tag="root")
    except client.XmlRefused as exc:
        raise WebhookRejected(f"req_info is not a refund result: {exc}", code="UNDECRYPTABLE") from None
    if not inner.get("out_refund_no") or inner.get("refund_status") not in _REFUND_KINDS:
        raise WebhookRejected("req_info is not a refund result", code="MALFORMED")
    return {**inner, "mch_id": outer["mch_id"], "sub_mch_id": outer["sub_mch_id"]}


def _fresh(ctx: ProviderContext[WeChatPayConfig], occurred_at: datetime) -> None:
    now = ctx.now()
    if occurred_at < now - REPLAY_WINDOW or occurred_at > now + CLOCK_SKEW:
        raise WebhookRejected("the callback is outside WeChat's retry window", code="STALE")


def parse(ctx: ProviderContext[WeChatPayConfig], raw: RawWebhook, fields: dict[str, str]) -> Sequence[WebhookEvent]:
    """The events of a verified callback.

    Raises:
        WebhookRejected: an unknown kind, another store's order, or outside the retry window.
    """
    sub = fields.get("sub_mch_id", ctx.config.sub_mch_id)
    if "change_type" in fields:  # 签约/解约结果通知
        change = fields["change_type"]
        if change not in {"ADD", "DELETE"} or not fields.get("contract_code"):
            raise WebhookRejected(f"unknown contract change {change!r}", code="MALFORMED")
        occurred = beijing_time(fields.get("operate_time", ""), "%Y-%m-%d %H:%M:%S") or raw.received_at
        _fresh(ctx, occurred)
        return [WebhookEvent(
            event_id=f"wechatpay:{sub}:contract:{fields.get('contract_id', '')}:{change}",
            kind="agreement.signed" if change == "ADD" else "agreement.terminated",
            occurred_at=occurred, reference=fields["contract_code"], provider_reference=fields.get("contract_id"),
            status=ProviderStatus.SUCCEEDED,
            raw={k: fields[k] for k in ("change_type", "contract_termination_mode", "plan_id", "operate_time")
                 if k in fields})]
    if fields.get("out_refund_no") and fields.get("refund_status") in _REFUND_KINDS:  # 退款结果通知 (decrypted)
        return [_refund_event(ctx, raw, fields, sub)]
    if fields.get("out_trade_no") and fields.get("result_code") in {"SUCCESS", "FAIL"}:  # 扣款结果通知
        owner = parse_attach(fields.get("attach", ""))
        if owner is None or owner[0] != ctx.tenant_id:
            raise WebhookRejected("the order is not this store's", code="WRONG_STORE")
        occurred = beijing_time(fields.get("time_end", ""), "%Y%m%d%H%M%S") or raw.received_at
        _fresh(ctx, occurred)
        succeeded = fields["result_code"] == "SUCCESS"
        try:
            amount = int(fields["total_fee"]) if fields.get("total_fee") else None
        except ValueError:
            raise WebhookRejected("total_fee is not a number", code="MALFORMED") from None
        return [WebhookEvent(
            event_id=f"wechatpay:{sub}:order:{fields['out_trade_no']}:{fields['result_code']}",
            kind="charge.succeeded" if succeeded else "charge.failed",
            occurred_at=occurred, reference=owner[2], provider_reference=fields.get("transaction_id"),
            status=ProviderStatus.SUCCEEDED if succeeded else ProviderStatus.FAILED, amount_fen=amount,
            raw={k: fields[k] for k in ("trade_state", "err_code", "err_code_des", "contract_id", "bank_type")
                 if k in fields})]
    raise WebhookRejected("not a callback this provider knows", code="UNKNOWN_KIND")


def _refund_event(ctx: ProviderContext[WeChatPayConfig], raw: RawWebhook, fields: dict[str, str],
                  sub: str) -> WebhookEvent:
    kind, status = _REFUND_KINDS[fields["refund_status"]]
    occurred = beijing_time(fields.get("success_time", ""), "%Y-%m-%d %H:%M:%S") or raw.received_at
    _fresh(ctx, occurred)
    try:
        amount = int(fields["refund_fee"]) if fields.get("refund_fee") else None
    except ValueError:
        raise WebhookRejected("refund_fee is not a number", code="MALFORMED") from None
    return WebhookEvent(
        event_id=f"wechatpay:{sub}:refund:{fields['out_refund_no']}:{fields['refund_status']}",
        kind=kind, occurred_at=occurred, reference=fields["out_refund_no"], provider_reference=fields.get("refund_id"),
        status=status, amount_fen=amount,
        raw={k: fields[k] for k in ("refund_status", "out_trade_no", "transaction_id", "total_fee",
                                    "settlement_refund_fee", "refund_recv_accout", "refund_account",
                                    "refund_request_source") if k in fields})


def ack(ok: bool) -> WebhookAck:
    """WeChat's expected reply; anything but ``SUCCESS`` makes it retry."""
    fields = {"return_code": "SUCCESS", "return_msg": "OK"} if ok else {"return_code": "FAIL",
                                                                        "return_msg": "REJECTED"}
    return WebhookAck(200 if ok else 400, client.encode(fields), {"Content-Type": "text/xml; charset=utf-8"})
