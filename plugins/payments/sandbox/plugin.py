"""Registers ``payments/sandbox`` (entry point ``payments_sandbox`` in the ``pawpay`` group)."""

from __future__ import annotations

from pawpay.platform.hooks import ProviderCategory, ProviderRegistry, hookimpl
from pawpay.plugins.payments.sandbox.provider import SandboxPayments


@hookimpl
def pawpay_register_providers(registry: ProviderRegistry) -> None:
    registry.add(
        ProviderCategory.PAYMENTS, "sandbox", SandboxPayments,
        label="Sandbox",
        description="Deterministic test rail: the last two digits of the amount in fen script the outcome.",
    )
