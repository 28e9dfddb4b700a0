"""Domain events: broadcast hooks (``pawpay_contract_signed``, ...) told to every listener."""
