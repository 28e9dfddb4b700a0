"""The provider registry refuses bad registrations naming the plugin, and store configs field by field."""

from __future__ import annotations

from datetime import time
from typing import Any

import pydantic
import pytest

from pawpay.platform.hooks import (
    Capability,
    ChargeRequest,
    ProviderCatalog,
    ProviderConfig,
    ProviderConfigInvalid,
    ProviderNotFound,
    ProviderRegistrationError,
    ProviderResult,
    ProviderStatus,
    RailLimits,
    hookimpl,
    redacted_config,
    secret_fields,
)
from pawpay.platform.hooks._manager import build_plugin_manager
from pawpay.plugins.payments.sandbox.provider import SandboxPayments

pytestmark = pytest.mark.unit


class _NoSchema:
    capabilities: frozenset[Any] = frozenset()


class _NotPayments:
    config_schema = ProviderConfig
    capabilities: frozenset[Any] = frozenset()

    async def test_connection(self, ctx: Any) -> ProviderResult:
        return ProviderResult(ProviderStatus.SUCCEEDED)


def test_a_duplicate_key_names_both_plugins() -> None:
    catalog = ProviderCatalog()
    catalog.for_plugin("first_plugin").add("payments", "sandbox", SandboxPayments)
    with pytest.raises(ProviderRegistrationError, match=r"second_plugin.*already registered by plugin 'first_plugin'"):
        catalog.for_plugin("second_plugin").add("payments", "sandbox", SandboxPayments)


def test_an_unknown_category_is_refused_naming_the_plugin() -> None:
    with pytest.raises(ProviderRegistrationError, match=r"acme_plugin.*unknown category 'paymnets'"):
        ProviderCatalog().for_plugin("acme_plugin").add("paymnets", "acme", SandboxPayments)


@pytest.mark.parametrize("name", ["Acme", "acme-pay", "", "1acme"])
def test_a_bad_name_is_refused(name: str) -> None:
    with pytest.raises(ProviderRegistrationError, match="the name must match"):
        ProviderCatalog().for_plugin("p").add("payments", name, SandboxPayments)


def test_a_provider_without_a_config_schema_is_refused() -> None:
    with pytest.raises(ProviderRegistrationError, match="config_schema must be a subclass"):
        ProviderCatalog().for_plugin("p").add("payments", "acme", _NoSchema)


def test_a_provider_missing_operations_of_its_category_is_refused() -> None:
    with pytest.raises(ProviderRegistrationError, match=r"missing PaymentsProvider member\(s\).*'charge'"):
        ProviderCatalog().for_plugin("p").add("payments", "acme", _NotPayments)


def test_unknown_registration_options_are_refused() -> None:
    with pytest.raises(ProviderRegistrationError, match="unknown option"):
        ProviderCatalog().for_plugin("p").add("payments", "acme", SandboxPayments, lable="typo")


def test_providers_are_listed_by_category_and_described() -> None:
    catalog = ProviderCatalog()
    catalog.for_plugin("p").add("payments", "zeta", SandboxPayments)
    catalog.for_plugin("p").add("payments", "alpha", SandboxPayments, label="Alpha")
    assert [p.name for p in catalog.by_category("payments")] == ["alpha", "zeta"]
    assert catalog.by_category("credit") == []
    [alpha, _] = catalog.describe()
    assert (alpha.category, alpha.name, alpha.plugin, alpha.label) == ("payments", "alpha", "p", "Alpha")
    assert alpha.secret_fields == ("webhook_secret",)
    with pytest.raises(ProviderNotFound):
        catalog.get("payments", "missing")


def test_a_config_is_refused_with_every_failing_field_named() -> None:
    catalog = ProviderCatalog()
    catalog.for_plugin("p").add("payments", "sandbox", SandboxPayments)
    with pytest.raises(ProviderConfigInvalid) as raised:
        catalog.create("payments", "sandbox", {"merchant_id": "bad id!", "webhook_secret": "short", "extra": 1})
    fields = {error.field: error.code for error in raised.value.errors}
    assert fields == {"merchant_id": "string_pattern_mismatch", "webhook_secret": "too_short",
                      "extra": "extra_forbidden"}
    assert "short" not in str(raised.value)  # the rejected secret is not echoed


def test_a_valid_config_binds_the_shared_provider() -> None:
    catalog = ProviderCatalog()
    catalog.for_plugin("p").add("payments", "sandbox", SandboxPayments)
    configured = catalog.create("payments", "sandbox", {"merchant_id": "m", "webhook_secret": "x" * 16})
    assert configured.provider is catalog.get("payments", "sandbox").provider
    ctx = configured.context(tenant_id="t1", test_mode=True, clock_now=lambda: None)
    assert ctx.config is configured.config
    assert redacted_config(configured.config) == {"merchant_id": "m", "webhook_secret": "********"}


def test_secret_fields_include_optional_secrets() -> None:
    class Schema(ProviderConfig):
        key: pydantic.SecretStr
        backup_key: pydantic.SecretStr | None = None
        account: str = ""

    assert secret_fields(Schema) == {"key", "backup_key"}


class _DuplicateSandbox:
    @hookimpl
    def pawpay_register_providers(self, registry: Any) -> None:
        registry.add("payments", "sandbox", SandboxPayments)


def test_the_manager_collects_providers_once_and_names_the_offending_plugin() -> None:
    pm = build_plugin_manager()
    assert pm.providers() is pm.providers()
    assert pm.providers().get("payments", "sandbox").plugin == "payments_sandbox"
    broken = build_plugin_manager(extra_plugins=[_DuplicateSandbox()])
    with pytest.raises(ProviderRegistrationError, match="already registered by plugin 'payments_sandbox'"):
        broken.providers()


def test_plugins_list_shows_providers() -> None:
    infos = {info.name: info for info in build_plugin_manager().describe()}
    assert infos["payments_sandbox"].contributions["providers"] == ["payments/sandbox"]


# --- DTO invariants ---------------------------------------------------------------------------------

@pytest.mark.parametrize("status", [ProviderStatus.FAILED, ProviderStatus.NOT_SUBMITTED])
def test_failed_and_not_submitted_results_need_a_code(status: ProviderStatus) -> None:
    with pytest.raises(ValueError, match="needs an error_code"):
        ProviderResult(status)


def test_a_result_status_must_be_a_provider_status() -> None:
    with pytest.raises(TypeError):
        ProviderResult("succeeded")  # type: ignore[arg-type]
    assert ProviderResult(ProviderStatus.UNKNOWN).needs_query
    assert ProviderResult(ProviderStatus.SUCCEEDED).is_final


@pytest.mark.parametrize("amount", [99.0, True, 0, -1, "100"])
def test_amounts_are_positive_int_fen(amount: Any) -> None:
    with pytest.raises((TypeError, ValueError)):
        ChargeRequest(attempt_id="a", payment_id="p", agreement_id="g", amount_fen=amount, description="d")


def test_platform_fee_cannot_exceed_the_amount() -> None:
    with pytest.raises(ValueError, match="platform_fee_fen"):
        ChargeRequest(attempt_id="a", payment_id="p", agreement_id="g", amount_fen=100, description="d",
                      platform_fee_fen=101)


@pytest.mark.parametrize("kwargs", [
    {"per_debit_max_fen": 0},
    {"per_debit_max_fen": 10.5},
    {"per_debit_max_fen": 100, "daily_max_fen": 50},
    {"allowed_hours": (time(22), time(7))},
    {"time_zone": "Mars/Olympus"},
    {"requests_per_second": 0},
])
def test_insane_rail_limits_are_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(Exception):  # noqa: B017, PT011 - ValueError or ZoneInfoNotFoundError
        RailLimits(**kwargs)


def test_rail_limits_check_amount_and_local_time() -> None:
    from datetime import UTC, datetime

    limits = RailLimits(per_debit_max_fen=1000, allowed_hours=(time(7), time(22)))
    assert limits.amount_refusal(1000) is None
    assert "exceeds" in (limits.amount_refusal(1001) or "")
    assert limits.allows_time(datetime(2026, 1, 1, 23, 0, tzinfo=UTC))  # 07:00 in Beijing
    assert not limits.allows_time(datetime(2026, 1, 1, 22, 59, tzinfo=UTC))  # 06:59 in Beijing


class _ClaimsShippingInfo(SandboxPayments):
    # declares the optional capability but lacks its operation
    capabilities = frozenset({*SandboxPayments.capabilities, Capability.SHIPPING_INFO})  # type: ignore[misc]
    upload_shipping_info = None


def test_a_provider_declaring_shipping_info_without_the_operation_is_refused() -> None:
    with pytest.raises(ProviderRegistrationError, match="declares shipping_info but has no upload_shipping_info"):
        ProviderCatalog().for_plugin("p").add("payments", "acme", _ClaimsShippingInfo)


def test_the_hooks_api_version_is_4_with_the_batch_paid_hook() -> None:
    from pawpay.platform.hooks import HOOKS_API_VERSION, specs

    assert HOOKS_API_VERSION == 4
    assert "versionadded:: 3" in (specs.pawpay_shipment_shipped.__doc__ or "")
    assert "versionadded:: 4" in (specs.pawpay_installments_paid.__doc__ or "")
