"""Stripe faked at the HTTP boundary (respx over the real SDK) and helpers for the Stripe tests."""

from __future__ import annotations

import importlib.util
import sys
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import respx

from pawpay.platform.hooks import ChargeRequest, ProviderContext
from pawpay.platform.testing.providers import DEFAULT_NOW
from pawpay.plugins.payments.stripe.config import StripePaymentsConfig
from pawpay.plugins.payments.stripe.provider import StripePayments

WEBHOOK_SECRET = "whsec_unit_tests_secret"
CONFIG: dict[str, Any] = {"secret_key": "sk_test_unit_tests_key", "webhook_signing_secret": WEBHOOK_SECRET,
                          "connect_account_id": "acct_1Store", "application_fee_bps": 100}


def _load_fake() -> ModuleType:
    name = "pawpay_tests_fake_stripe"
    if name not in sys.modules:
        path = Path(__file__).parents[3] / "fixtures" / "stripe" / "fake_stripe.py"
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None
        assert spec.loader is not None
        sys.modules[name] = module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    return sys.modules[name]


fake_stripe_module = _load_fake()


@pytest.fixture
def fake() -> Iterator[Any]:
    stripe_fake = fake_stripe_module.FakeStripe()
    with respx.mock(assert_all_called=False) as router:
        router.route(host="api.stripe.com").mock(side_effect=stripe_fake.handle)
        yield stripe_fake


@pytest.fixture
def provider(fake: Any) -> StripePayments:
    return StripePayments()


def _make_ctx(now: datetime = DEFAULT_NOW, tenant_id: str | None = None, test_mode: bool = True,
             **config: Any) -> ProviderContext[StripePaymentsConfig]:
    clock: Callable[[], datetime] = lambda: now  # noqa: E731
    return ProviderContext(tenant_id=tenant_id or str(uuid.uuid4()),
                           config=StripePaymentsConfig(**{**CONFIG, **config}), test_mode=test_mode, clock_now=clock)


def _make_charge(amount_fen: int = 9900, agreement_id: str | None = None, **fields: Any) -> ChargeRequest:
    auto_agreement = f"{fake_stripe_module.AUTO_AGREEMENT_PREFIX}{uuid.uuid4().hex[:8]}"
    return ChargeRequest(attempt_id=f"att-{uuid.uuid4().hex[:12]}", payment_id="pay-1",
                         agreement_id=agreement_id or auto_agreement,
                         amount_fen=amount_fen, description="installment 1/12", **fields)


@pytest.fixture
def make_ctx() -> Callable[..., ProviderContext[StripePaymentsConfig]]:
    """``make_ctx(now=..., tenant_id=..., test_mode=..., **config overrides)``."""
    return _make_ctx


@pytest.fixture
def make_charge() -> Callable[..., ChargeRequest]:
    """``make_charge(amount_fen, agreement_id=None (an auto-active agreement), **ChargeRequest fields)``."""
    return _make_charge


@pytest.fixture
def sign() -> Callable[[bytes, str, int], str]:
    """``sign(body, secret, timestamp)`` -> a ``Stripe-Signature`` header computed with HMAC-SHA256."""
    return fake_stripe_module.sign  # type: ignore[no-any-return]
