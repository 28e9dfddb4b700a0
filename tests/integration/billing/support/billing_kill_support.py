"""Test support, not a test: imported by the worker subprocess of ``test_worker_killed.py``.

With ``PAWPAY_TEST_BILLING_HANG=1`` every sandbox charge in that process hangs before it reaches the
(in-memory) sandbox: the debit's attempt is already committed as ``submitted`` when the test SIGKILLs
the worker there.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

HANG_ENV = "PAWPAY_TEST_BILLING_HANG"

if os.environ.get(HANG_ENV) == "1":
    from pawpay.plugins.payments.sandbox.provider import SandboxPayments

    async def _hanging_charge(self: Any, ctx: Any, request: Any) -> Any:
        await asyncio.sleep(300)  # killed here
        raise AssertionError("the test should have killed this worker")

    SandboxPayments.charge = _hanging_charge  # type: ignore[method-assign]
