"""A store's Stripe settings (validated by the platform, secrets marked ``SecretStr``)."""

from __future__ import annotations

import re
from typing import Literal

import pydantic

from pawpay.platform.hooks import ProviderConfig

_SECRET_KEY = re.compile(r"^(sk|rk)_(test|live)_[A-Za-z0-9_]{8,}$")
_SIGNING_SECRET = re.compile(r"^whsec_[A-Za-z0-9_]{8,}$")


class StripePaymentsConfig(ProviderConfig):
    """What a store enters to take payments through Stripe Connect."""

    secret_key: pydantic.SecretStr = pydantic.Field(
        description="The Stripe secret (sk_...) or restricted (rk_...) API key the calls are made with. "
                    "Stores in test mode must use a *_test_ key.",
    )
    webhook_signing_secret: pydantic.SecretStr = pydantic.Field(
        description="The signing secret (whsec_...) of the webhook endpoint that points at this store.",
    )
    connect_account_id: str | None = pydantic.Field(
        default=None, pattern=r"^acct_[A-Za-z0-9]{4,}$",
        description="The store's Connect account (acct_...); charges are paid out to it. "
                    "Filled in once onboarding created it.",
    )
    connect_account_type: Literal["express", "custom"] = pydantic.Field(
        default="express", description="The kind of Connect account onboarding creates for the store.",
    )
    account_country: str = pydantic.Field(
        default="HK", pattern=r"^[A-Z]{2}$",
        description="ISO country of the store's Connect account (Stripe does not onboard mainland-China accounts).",
    )
    application_fee_bps: int = pydantic.Field(
        default=0, ge=0, le=10_000,
        description="The platform's fee in basis points of each charge, used when the platform does not "
                    "pass a fee with the charge.",
    )
    on_behalf_of: bool = pydantic.Field(
        default=True,
        description="Make the store the settlement merchant of its charges (its statement descriptor, "
                    "its country's fees) instead of the platform.",
    )
    manual_payouts: bool = pydantic.Field(
        default=True,
        description="Onboard the store with manual payouts so its balance is held until the platform "
                    "releases it on the store's settlement term (T+N).",
    )
    statement_descriptor_suffix: str | None = pydantic.Field(
        default=None, min_length=1, max_length=22, pattern=r"^[^<>\\'\"*]+$",
        description="Appended to the account's statement descriptor on the payer's card statement.",
    )
    request_timeout_seconds: float = pydantic.Field(
        default=20.0, ge=1.0, le=80.0,
        description="How long one Stripe call may take before its outcome counts as unknown.",
    )

    @pydantic.field_validator("secret_key")
    @classmethod
    def _is_a_secret_key(cls, value: pydantic.SecretStr) -> pydantic.SecretStr:
        # pydantic cannot apply `pattern` to SecretStr; the message never echoes the value.
        if not _SECRET_KEY.match(value.get_secret_value().strip()):
            raise ValueError("must be a Stripe secret or restricted key (sk_test_..., sk_live_..., rk_...)")
        return value

    @pydantic.field_validator("webhook_signing_secret")
    @classmethod
    def _is_a_signing_secret(cls, value: pydantic.SecretStr) -> pydantic.SecretStr:
        if not _SIGNING_SECRET.match(value.get_secret_value().strip()):
            raise ValueError("must be a webhook signing secret (whsec_...)")
        return value
