"""The sandbox financing partner (``financing/sandbox``): deterministic advances and repayment
split instructions. See :mod:`.provider` for its eligibility rules and scripted amounts."""
