"""Registers ``notifications/sandbox`` (entry point ``notifications_sandbox`` in the ``pawpay`` group)."""

from __future__ import annotations

from pawpay.platform.hooks import ProviderCategory, ProviderRegistry, hookimpl
from pawpay.plugins.notifications.sandbox.provider import SandboxNotifier


@hookimpl
def pawpay_register_providers(registry: ProviderRegistry) -> None:
    registry.add(
        ProviderCategory.NOTIFICATIONS, "sandbox", SandboxNotifier,
        label="Sandbox",
        description="Sends nothing: every SMS and mini-program message lands in the store's sandbox inbox.",
    )
