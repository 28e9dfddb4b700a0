"""Registers ``financing/sandbox`` (entry point ``financing_sandbox`` in the ``pawpay`` group)."""

from __future__ import annotations

from pawpay.platform.hooks import ProviderCategory, ProviderRegistry, hookimpl
from pawpay.plugins.financing.sandbox.provider import SandboxFinancing


@hookimpl
def pawpay_register_providers(registry: ProviderRegistry) -> None:
    registry.add(
        ProviderCategory.FINANCING, "sandbox", SandboxFinancing,
        label="Sandbox",
        description="Deterministic financing partner: advances up to 70% of a contract; amounts script outcomes.",
    )
