"""Store onboarding: applications (public and resumable, or operator-created), automatic licence
checks and the operators' review workflow up to approval, which provisions the store through
``pawpay.platform.merchants.services.provision_store``. Entry point: ``onboarding.services``;
see docs/onboarding.md."""
