"""Registers ``credit/sandbox`` (entry point ``credit_sandbox`` in the ``pawpay`` group)."""

from __future__ import annotations

from pawpay.platform.hooks import ProviderCategory, ProviderRegistry, hookimpl
from pawpay.plugins.credit.sandbox.provider import SandboxCredit


@hookimpl
def pawpay_register_providers(registry: ProviderRegistry) -> None:
    registry.add(
        ProviderCategory.CREDIT, "sandbox", SandboxCredit,
        label="Sandbox",
        description="Deterministic credit gate: the ID number's sequence code is the score (≥ 550 passes).",
    )
