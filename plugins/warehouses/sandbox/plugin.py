"""Registers ``warehouses/sandbox`` (entry point ``warehouses_sandbox`` in the ``pawpay`` group)."""

from __future__ import annotations

from pawpay.platform.hooks import ProviderCategory, ProviderRegistry, hookimpl
from pawpay.plugins.warehouses.sandbox.provider import SandboxWarehouse


@hookimpl
def pawpay_register_providers(registry: ProviderRegistry) -> None:
    registry.add(
        ProviderCategory.WAREHOUSES, "sandbox", SandboxWarehouse,
        label="Sandbox",
        description="Deterministic cloud warehouse: parcels move through tracking states with the store's clock.",
    )
