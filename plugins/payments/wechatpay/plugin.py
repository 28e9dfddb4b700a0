"""Registers ``payments/wechatpay`` (entry point ``payments_wechatpay`` in the ``pawpay`` group)."""

from __future__ import annotations

from pawpay.platform.hooks import ProviderCategory, ProviderRegistry, hookimpl
from pawpay.plugins.payments.wechatpay.provider import WeChatPayPayments


@hookimpl
def pawpay_register_providers(registry: ProviderRegistry) -> None:
    registry.add(
        ProviderCategory.PAYMENTS, "wechatpay", WeChatPayPayments,
        label="WeChat Pay 委托代扣",
        description="WeChat Pay entrusted debit in partner mode: the store is the platform's sub-merchant, "
                    "payers sign a 委托代扣 contract and each debit is made as the store.",
    )
