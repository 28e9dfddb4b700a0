"""Registers ``identity/sandbox`` (entry point ``identity_sandbox`` in the ``pawpay`` group)."""

from __future__ import annotations

from pawpay.platform.hooks import ProviderCategory, ProviderRegistry, hookimpl
from pawpay.plugins.identity.sandbox.provider import SandboxIdentity


@hookimpl
def pawpay_register_providers(registry: ProviderRegistry) -> None:
    registry.add(
        ProviderCategory.IDENTITY, "sandbox", SandboxIdentity,
        label="Sandbox",
        description="Real-name, face check and e-sign completed on a sandbox page; names script failures.",
    )
