"""The WeChat Pay partner-mode entrusted-debit provider (``payments/wechatpay``, 委托代扣 over APIv2).

The common ``wechatpayv3`` SDK has no papay methods (PROVIDER_RESEARCH §1.1), so :mod:`.client` is a
small APIv2 client: signed XML over httpx. See :mod:`.provider` for how the contract maps onto it."""
