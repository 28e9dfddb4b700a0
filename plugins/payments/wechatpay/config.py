"""A store's WeChat Pay settings: the 服务商 (partner) account it debits under, and its own sub-merchant."""

from __future__ import annotations

from typing import Literal

import pydantic

from pawpay.platform.hooks import ProviderConfig

TEST_TEMPLATE_MAX_FEN = 10  # research: the 测试模板 allows 0.1 CNY per debit


class WeChatPayConfig(ProviderConfig):
    """What a store enters to collect through WeChat Pay 委托代扣 as a 特约商户 of the platform's 服务商."""

    mch_id: str = pydantic.Field(pattern=r"^\d{8,10}$",
                                 description="The service provider's (服务商) merchant id; requests are made as it.")
    appid: str = pydantic.Field(pattern=r"^wx[0-9a-f]{16}$", description="The service provider's AppID.")
    sub_mch_id: str = pydantic.Field(pattern=r"^\d{8,10}$",
                                     description="The store's sub-merchant id (特约商户号); debits are made as it.")
    sub_appid: str | None = pydantic.Field(default=None, pattern=r"^wx[0-9a-f]{16}$",
                                           description="The store's own AppID, if its payers sign through it.")
    plan_id: str = pydantic.Field(pattern=r"^\d{1,20}$",
                                  description="The entrusted-debit template (模板) id agreed with WeChat.")
    api_key: pydantic.SecretStr = pydantic.Field(
        description="The service provider's APIv2 key (32 characters); signs requests and verifies answers "
                    "and callbacks.")
    sign_type: Literal["HMAC-SHA256", "MD5"] = pydantic.Field(
        default="HMAC-SHA256", description="How requests are signed (WeChat accepts both for APIv2).")
    notify_url_base: str = pydantic.Field(
        pattern=r"^https://[^\s?#]+$",
        description="The public https origin of pawpay; callbacks go to <base>/webhooks/payments/wechatpay/<store>.")
    spbill_create_ip: str = pydantic.Field(
        pattern=r"^\d{1,3}(\.\d{1,3}){3}$", description="The IPv4 address of the server that makes the debits.")
    per_debit_max_fen: int | None = pydantic.Field(
        default=None, gt=0, description="The template's single-debit cap in fen, as agreed with WeChat.")
    test_template: bool = pydantic.Field(
        default=False, description="The plan is WeChat's 测试模板 (0.1 CNY per debit, 100 calls a day).")
    api_client_cert_pem: pydantic.SecretStr | None = pydantic.Field(
        default=None, description="The service provider's API client certificate (apiclient_cert.pem), PEM; "
                                  "refunds are sent over mutual TLS with it.")
    api_client_key_pem: pydantic.SecretStr | None = pydantic.Field(
        default=None, description="The private key of that certificate (apiclient_key.pem), PEM.")
    wechatpay_public_key_pem: str | None = pydantic.Field(
        default=None, description="The WeChat Pay public key (微信支付公钥, pub_key.pem), PEM; verifies the answers "
                                  "to APIv3 calls (预扣费通知). Public, not a secret.")
    wechatpay_public_key_id: str | None = pydantic.Field(
        default=None, pattern=r"^PUB_KEY_ID_[0-9A-Za-z]+$",
        description="The id of that public key (PUB_KEY_ID_...); answers signed with another key are refused.")
    mini_program_app_secret: pydantic.SecretStr | None = pydantic.Field(
        default=None, description="The mini-program's AppSecret (of sub_appid, else appid); reports shipping to "
                                  "WeChat (发货信息管理) so that frozen payments are released.")
    request_timeout_seconds: float = pydantic.Field(
        default=3.0, ge=1.0, le=10.0,
        description="How long one WeChat call may take before its outcome counts as unknown. A debit makes up to "
                    "four calls, which must fit in pawpay's 15-second guard on money-moving operations.")

    @pydantic.field_validator("api_key")
    @classmethod
    def _is_an_api_key(cls, value: pydantic.SecretStr) -> pydantic.SecretStr:
        # pydantic cannot apply `pattern` to SecretStr; the message never echoes the value.
        key = value.get_secret_value()
        if len(key) != 32 or not key.isascii() or not key.isalnum():
            raise ValueError("must be the 32-character APIv2 key (letters and digits)")
        return value

    @pydantic.field_validator("api_client_cert_pem", "api_client_key_pem")
    @classmethod
    def _is_pem(cls, value: pydantic.SecretStr | None) -> pydantic.SecretStr | None:
        if value is not None and "-----BEGIN " not in value.get_secret_value():
            raise ValueError("must be PEM text (-----BEGIN ...)")
        return value

    @pydantic.field_validator("wechatpay_public_key_pem")
    @classmethod
    def _is_public_key_pem(cls, value: str | None) -> str | None:
        if value is not None and "-----BEGIN PUBLIC KEY-----" not in value:
            raise ValueError("must be a PEM public key (-----BEGIN PUBLIC KEY-----)")
        return value

    @property
    def max_debit_fen(self) -> int | None:
        return TEST_TEMPLATE_MAX_FEN if self.test_template else self.per_debit_max_fen
