"""Registers ``payments/stripe`` (entry point ``payments_stripe`` in the ``pawpay`` group)."""

from __future__ import annotations

from pawpay.platform.hooks import ProviderCategory, ProviderRegistry, hookimpl
from pawpay.plugins.payments.stripe.provider import StripePayments


@hookimpl
def pawpay_register_providers(registry: ProviderRegistry) -> None:
    registry.add(
        ProviderCategory.PAYMENTS, "stripe", StripePayments,
        label="Stripe",
        description="Stripe Connect: a Connect account per store, saved cards (SetupIntent) charged off-session "
                    "as destination charges with the platform's application fee.",
    )
