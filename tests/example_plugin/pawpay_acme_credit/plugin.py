"""The entry point (``acme_credit`` in the ``pawpay`` group): registers ``credit/acme``."""

from __future__ import annotations

from pawpay.platform.hooks import ProviderCategory, ProviderRegistry, hookimpl
from pawpay_acme_credit.provider import AcmeCredit


@hookimpl
def pawpay_register_providers(registry: ProviderRegistry) -> None:
    registry.add(
        ProviderCategory.CREDIT, "acme", AcmeCredit,
        label="Acme Credit",
        description="Acme Credit's consumer credit gate (approve / review / decline).",
    )
