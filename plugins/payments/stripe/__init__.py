"""The Stripe payments provider (``payments/stripe``): Connect account per store, customer +
SetupIntent as the debit agreement, off-session PaymentIntents as destination charges with the
platform's application fee, refunds, payouts of held funds and signed webhooks.

See :mod:`.provider` for how each contract operation maps onto Stripe's API."""
