"""payments/stripe honours the provider contract, against Stripe faked at the HTTP boundary.

The real stripe-python SDK runs over httpx; respx hands every request to the stateful fake in
``tests/fixtures/stripe/fake_stripe.py`` (documented response shapes). Webhooks are signed in the
test with HMAC-SHA256 as Stripe documents it, and verified by the provider's real code.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import respx

from pawpay.platform.hooks import ChargeRequest, ProviderContext, ProviderStatus, RawWebhook
from pawpay.platform.testing.providers import PaymentsProviderContract, PaymentsScenarios
from pawpay.plugins.payments.stripe.provider import StripePayments

pytestmark = pytest.mark.contract

WEBHOOK_SECRET = "whsec_contract_suite_secret"
CONFIG = {"secret_key": "sk_test_contract_suite_key", "webhook_signing_secret": WEBHOOK_SECRET,
          "connect_account_id": "acct_1Store", "application_fee_bps": 100}


def _load_fake() -> ModuleType:
    name = "pawpay_tests_fake_stripe"
    if name not in sys.modules:
        path = Path(__file__).parents[1] / "fixtures" / "stripe" / "fake_stripe.py"
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None
        assert spec.loader is not None
        sys.modules[name] = module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return sys.modules[name]


fake_stripe_module = _load_fake()


@pytest.fixture
def fake_stripe() -> Iterator[Any]:
    fake = fake_stripe_module.FakeStripe()
    with respx.mock(assert_all_called=False) as router:
        router.route(host="api.stripe.com").mock(side_effect=fake.handle)
        yield fake


def _webhook_for(fake: Any) -> Any:
    def make(provider: StripePayments, ctx: ProviderContext[Any], attempt_id: str) -> RawWebhook:
        [intent] = [pi for pi in fake.payment_intents.values() if pi["metadata"]["pawpay_attempt_id"] == attempt_id]
        timestamp = int(ctx.now().timestamp())
        body = fake.event("payment_intent.succeeded", intent, created=timestamp)
        headers = {"Stripe-Signature": fake_stripe_module.sign(body, WEBHOOK_SECRET, timestamp),
                   "Content-Type": "application/json; charset=utf-8"}
        return RawWebhook("POST", f"/webhooks/payments/stripe/{ctx.tenant_id}", "", headers, body, "3.18.12.63",
                          ctx.now())
    return make


class TestStripePaymentsContract(PaymentsProviderContract):
    @pytest.fixture
    def provider(self, fake_stripe: Any) -> StripePayments:
        return StripePayments()

    @pytest.fixture
    def provider_config(self) -> dict[str, Any]:
        return dict(CONFIG)

    @pytest.fixture
    def scenarios(self, fake_stripe: Any) -> PaymentsScenarios:
        return PaymentsScenarios(
            succeeding_amount_fen=9900, declining_amount_fen=9902,
            agreement_id=lambda: f"{fake_stripe_module.AUTO_AGREEMENT_PREFIX}{uuid.uuid4().hex[:12]}",
            make_webhook=_webhook_for(fake_stripe),
            debits=lambda provider, tenant_id: fake_stripe.debits(tenant_id),
        )

    # --- Stripe's own scenarios, on the suite's fixtures ------------------------------------------

    async def test_authentication_required_is_a_failed_value(
        self, provider: StripePayments, ctx: ProviderContext[Any], charge_request: ChargeRequest,
    ) -> None:
        result = await provider.charge(ctx, dataclasses.replace(charge_request, amount_fen=9903))
        assert (result.status, result.error_code) == (ProviderStatus.FAILED, "AUTHENTICATION_REQUIRED")

    async def test_a_timeout_is_unknown_until_the_query_resolves_it(
        self, provider: StripePayments, ctx: ProviderContext[Any], charge_request: ChargeRequest, fake_stripe: Any,
    ) -> None:
        request = dataclasses.replace(charge_request, amount_fen=9905)
        assert (await provider.charge(ctx, request)).status is ProviderStatus.UNKNOWN
        assert (await provider.query_charge(ctx, request.attempt_id)).status is ProviderStatus.SUCCEEDED
        assert (await provider.charge(ctx, request)).status is ProviderStatus.SUCCEEDED
        assert fake_stripe.debits(ctx.tenant_id) == 1

    async def test_a_replayed_webhook_is_the_same_event(
        self, provider: StripePayments, ctx: ProviderContext[Any], charge_request: ChargeRequest, fake_stripe: Any,
    ) -> None:
        await provider.charge(ctx, charge_request)
        raw = _webhook_for(fake_stripe)(provider, ctx, charge_request.attempt_id)
        first, replayed = await provider.verify_webhook(ctx, raw), await provider.verify_webhook(ctx, raw)
        assert [e.event_id for e in first] == [e.event_id for e in replayed]
        assert first[0].status is ProviderStatus.SUCCEEDED
