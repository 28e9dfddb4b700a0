"""A store's provider choice (issue 3, item 2), at the service level against the real database:
validation with field errors, credentials sealed and never shown in full, a blank secret keeps
the saved one, "test connection" recorded (success, failure, crash, hang), audit without secrets,
store isolation, the operators' overview."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import pytest
from piccolo.querystring import QueryString

from pawpay.platform import crypto
from pawpay.platform.db.engine import get_engine
from pawpay.platform.errors import BusinessRuleViolation, NotFound, ValidationFailed
from pawpay.platform.hooks import ProviderError
from pawpay.platform.hooks.registry import ProviderCatalog, ProviderConfigInvalid
from pawpay.platform.providers import services
from pawpay.platform.tenancy.context import PlatformContext, TenantContext
from pawpay.platform.tenancy.scope import tenant_scope
from pawpay.plugins.payments.sandbox.provider import SandboxPayments

pytestmark = pytest.mark.integration

SECRET = "whsec-" + uuid.uuid4().hex  # unique, so a search for it finds nothing but a leak


class HangingPayments(SandboxPayments):
    async def test_connection(self, ctx: Any) -> Any:
        await asyncio.sleep(3600)


class CrashingPayments(SandboxPayments):
    async def test_connection(self, ctx: Any) -> Any:
        raise RuntimeError(f"boom with {ctx.config.webhook_secret.get_secret_value()}")


class FaultyPayments(SandboxPayments):
    async def test_connection(self, ctx: Any) -> Any:
        raise ProviderError("the vendor sent garbage", code="BAD_RESPONSE")


@pytest.fixture
def catalog() -> ProviderCatalog:
    cat = ProviderCatalog()
    cat.add("payments", "sandbox", SandboxPayments, label="Sandbox")
    cat.add("payments", "hanging", HangingPayments)
    cat.add("payments", "crashing", CrashingPayments)
    cat.add("payments", "faulty", FaultyPayments)
    return cat


def manager(store: Any) -> TenantContext:
    return TenantContext(tenant_id=store.tenant_id, actor_id=store.manager_id, roles=frozenset({"manager"}),
                         actor_label=store.manager_email, request_id="req-test")


def sandbox_config(merchant_id: str = "m_alpha", secret: str = SECRET) -> dict[str, Any]:
    return {"merchant_id": merchant_id, "webhook_secret": secret}


async def raw_rows(tenant_id: uuid.UUID) -> list[dict[str, Any]]:
    async with tenant_scope(tenant_id):
        rows: list[dict[str, Any]] = await get_engine().run_querystring(QueryString(
            "SELECT category, provider_name, config_sealed, config_preview::text AS preview, check_status "
            "FROM tenant_provider WHERE tenant_id = {}", tenant_id))
    return rows


async def audit_text(tenant_id: uuid.UUID) -> str:
    async with tenant_scope(tenant_id):
        rows = await get_engine().run_querystring(QueryString(
            "SELECT action, coalesce(before::text, '') || coalesce(after::text, '') AS body FROM audit_entry "
            "WHERE tenant_id = {} AND action LIKE 'provider.%'", tenant_id))
    return json.dumps(rows, default=str)


async def test_catalogue_lists_fields_with_types_and_secrets(catalog: ProviderCatalog) -> None:
    [sandbox] = [p for p in services.available_providers("payments", catalog=catalog) if p.name == "sandbox"]
    fields = {f.name: f for f in sandbox.fields}
    assert fields["merchant_id"].type == "string"
    assert fields["merchant_id"].required
    assert not fields["merchant_id"].secret
    assert fields["webhook_secret"].type == "secret"
    assert fields["webhook_secret"].secret
    with pytest.raises(NotFound):
        services.available_providers("teleportation", catalog=catalog)


async def test_default_is_the_sandbox_until_a_store_chooses(rollback: None, store_a: Any,
                                                            catalog: ProviderCatalog) -> None:
    views = {v.category: v for v in await services.list_store_providers(manager(store_a), catalog=catalog)}
    assert views["payments"].is_default
    assert views["payments"].provider_name == "sandbox"
    assert not views["payments"].configured
    # No sandbox registered for credit in this catalogue: nothing to fall back to.
    assert views["credit"].is_default
    assert views["credit"].provider_name is None


async def test_save_seals_the_config_and_previews_without_secrets(rollback: None, store_a: Any,
                                                                  catalog: ProviderCatalog) -> None:
    ctx = manager(store_a)
    view = await services.set_store_provider(ctx, "payments", "sandbox", sandbox_config(), catalog=catalog)
    assert view.configured
    assert not view.is_default
    assert view.provider_name == "sandbox"
    assert view.preview["merchant_id"] == "m_alpha"
    assert view.preview["webhook_secret"] != SECRET
    assert SECRET not in json.dumps(view.preview)
    assert view.preview["webhook_secret"].startswith(services.MASK)
    assert view.secrets_set == ["webhook_secret"]

    [row] = await raw_rows(store_a.tenant_id)
    assert SECRET not in row["config_sealed"]
    assert SECRET not in row["preview"]
    assert row["config_sealed"].startswith("v1.")
    opened = json.loads(crypto.open_sealed(
        row["config_sealed"], context=f"tenant:{store_a.tenant_id}:provider:payments:sandbox"))
    assert opened == sandbox_config()
    # Bound to the store: the same sealed value does not open for another store.
    with pytest.raises(crypto.DecryptionFailed):
        crypto.open_sealed(row["config_sealed"], context=f"tenant:{uuid.uuid4()}:provider:payments:sandbox")

    audit = await audit_text(store_a.tenant_id)
    assert "provider.configured" in audit
    assert "m_alpha" in audit
    assert SECRET not in audit
    assert SECRET[-4:] not in audit


async def test_bad_config_is_refused_with_field_errors_and_nothing_is_stored(
    rollback: None, store_a: Any, catalog: ProviderCatalog
) -> None:
    with pytest.raises(ProviderConfigInvalid) as info:
        await services.set_store_provider(manager(store_a), "payments", "sandbox",
                                          {"merchant_id": "", "webhook_secret": "short", "extra": 1},
                                          catalog=catalog)
    codes = {e.field: e.code for e in info.value.errors}
    assert codes == {"merchant_id": "string_too_short", "webhook_secret": "too_short",  # SecretStr says too_short
                     "extra": "extra_forbidden"}
    assert await raw_rows(store_a.tenant_id) == []
    with pytest.raises(ProviderConfigInvalid) as missing:
        await services.set_store_provider(manager(store_a), "payments", "sandbox", {}, catalog=catalog)
    assert {e.code for e in missing.value.errors} == {"missing"}
    with pytest.raises(ValidationFailed):
        await services.set_store_provider(manager(store_a), "payments", "nope", {}, catalog=catalog)
    with pytest.raises(NotFound):
        await services.set_store_provider(manager(store_a), "bogus", "sandbox", sandbox_config(), catalog=catalog)


async def test_a_blank_secret_keeps_the_saved_one_for_the_same_provider(
    rollback: None, store_a: Any, catalog: ProviderCatalog
) -> None:
    ctx = manager(store_a)
    await services.set_store_provider(ctx, "payments", "sandbox", sandbox_config(), catalog=catalog)
    view = await services.set_store_provider(ctx, "payments", "sandbox",
                                             {"merchant_id": "m_renamed", "webhook_secret": ""}, catalog=catalog)
    assert view.preview["merchant_id"] == "m_renamed"
    provider, pctx = await services.provider_for(ctx, "payments", catalog=catalog)
    assert isinstance(provider, SandboxPayments)
    assert pctx.config.webhook_secret.get_secret_value() == SECRET
    assert pctx.config.merchant_id == "m_renamed"
    assert pctx.tenant_id == str(store_a.tenant_id)
    # Another provider does not inherit the old one's secret: its form must be complete.
    with pytest.raises(ProviderConfigInvalid) as info:
        await services.set_store_provider(ctx, "payments", "faulty", {"merchant_id": "m", "webhook_secret": ""},
                                          catalog=catalog)
    assert [e.field for e in info.value.errors] == ["webhook_secret"]


async def test_connection_success_and_failures_are_recorded(rollback: None, store_a: Any,
                                                           catalog: ProviderCatalog) -> None:
    ctx = manager(store_a)
    with pytest.raises(BusinessRuleViolation):
        await services.check_connection(ctx, "payments", catalog=catalog)
    await services.set_store_provider(ctx, "payments", "sandbox", sandbox_config(), catalog=catalog)
    ok = await services.check_connection(ctx, "payments", catalog=catalog)
    assert ok.ok
    assert ok.status == "succeeded"
    assert (await services.get_store_provider(ctx, "payments", catalog=catalog)).last_check == ok

    await services.set_store_provider(ctx, "payments", "sandbox", sandbox_config("sandbox_bad_credentials"),
                                      catalog=catalog)
    # Saving new credentials clears the old result.
    assert (await services.get_store_provider(ctx, "payments", catalog=catalog)).last_check is None
    bad = await services.check_connection(ctx, "payments", catalog=catalog)
    assert (bad.status, bad.code) == ("failed", "AUTH_FAILED")

    await services.set_store_provider(ctx, "payments", "sandbox", sandbox_config("sandbox_unreachable"),
                                      catalog=catalog)
    away = await services.check_connection(ctx, "payments", catalog=catalog)
    assert (away.status, away.code) == ("not_submitted", "UNREACHABLE")
    [row] = await raw_rows(store_a.tenant_id)
    assert row["check_status"] == "not_submitted"
    assert "provider.connection_tested" in await audit_text(store_a.tenant_id)


async def test_a_hanging_provider_gives_a_recorded_timeout(rollback: None, store_a: Any,
                                                          catalog: ProviderCatalog) -> None:
    ctx = manager(store_a)
    await services.set_store_provider(ctx, "payments", "hanging", sandbox_config(), catalog=catalog)
    check = await services.check_connection(ctx, "payments", catalog=catalog, time_limit=0.05)
    assert (check.status, check.code) == ("timeout", "TIMEOUT")
    [row] = await raw_rows(store_a.tenant_id)
    assert row["check_status"] == "timeout"


async def test_a_crashing_provider_gives_a_recorded_error_without_the_secret(
    rollback: None, store_a: Any, catalog: ProviderCatalog, caplog: pytest.LogCaptureFixture
) -> None:
    ctx = manager(store_a)
    await services.set_store_provider(ctx, "payments", "crashing", sandbox_config(), catalog=catalog)
    with caplog.at_level("DEBUG"):
        check = await services.check_connection(ctx, "payments", catalog=catalog)
    assert (check.status, check.code) == ("error", "PROVIDER_CRASHED")
    assert SECRET not in check.message
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert "PROVIDER_CRASHED" in logged
    assert SECRET not in logged
    await services.set_store_provider(ctx, "payments", "faulty", sandbox_config(), catalog=catalog)
    faulty = await services.check_connection(ctx, "payments", catalog=catalog)
    assert (faulty.status, faulty.code) == ("error", "BAD_RESPONSE")
    assert SECRET not in await audit_text(store_a.tenant_id)


async def test_a_provider_no_longer_installed_is_shown_and_fails_its_test(
    rollback: None, store_a: Any, catalog: ProviderCatalog
) -> None:
    ctx = manager(store_a)
    await services.set_store_provider(ctx, "payments", "faulty", sandbox_config(), catalog=catalog)
    smaller = ProviderCatalog()
    smaller.add("payments", "sandbox", SandboxPayments)
    view = await services.get_store_provider(ctx, "payments", catalog=smaller)
    assert view.provider_name == "faulty"
    assert not view.available
    check = await services.check_connection(ctx, "payments", catalog=smaller)
    assert check.code == "PROVIDER_UNAVAILABLE"
    with pytest.raises(BusinessRuleViolation):
        await services.provider_for(ctx, "payments", catalog=smaller)


async def test_store_b_never_sees_store_a_choice(rollback: None, store_a: Any, store_b: Any,
                                                 catalog: ProviderCatalog) -> None:
    await services.set_store_provider(manager(store_a), "payments", "sandbox", sandbox_config(), catalog=catalog)
    b_view = await services.get_store_provider(manager(store_b), "payments", catalog=catalog)
    assert b_view.is_default
    assert not b_view.configured
    assert await raw_rows(store_b.tenant_id) == []
    # B's "test" has nothing of its own to test, and never reaches A's row.
    with pytest.raises(BusinessRuleViolation):
        await services.check_connection(manager(store_b), "payments", catalog=catalog)
    # B saving its own choice leaves A's untouched.
    await services.set_store_provider(manager(store_b), "payments", "sandbox", sandbox_config("m_bravo", "b" * 20),
                                      catalog=catalog)
    a_view = await services.get_store_provider(manager(store_a), "payments", catalog=catalog)
    assert a_view.preview["merchant_id"] == "m_alpha"


async def test_live_store_choosing_the_sandbox_is_flagged(rollback: None, catalog: ProviderCatalog) -> None:
    from pawpay.platform.tenancy.tables import Tenant
    from pawpay.platform.testing.plugin import create_store

    store = await create_store()
    await Tenant.update({Tenant.test_mode: False}).where(Tenant.id == store.tenant_id)
    view = await services.set_store_provider(manager(store), "payments", "sandbox", sandbox_config(),
                                             catalog=catalog)
    assert view.sandbox_in_live_mode
    assert "sandbox_in_live_mode" in await audit_text(store.tenant_id)


async def test_operators_overview(rollback: None, store_a: Any, store_b: Any, catalog: ProviderCatalog) -> None:
    await services.set_store_provider(manager(store_a), "payments", "sandbox", sandbox_config(), catalog=catalog)
    stores, total = await services.store_provider_overview(PlatformContext(actor_label="ops"), limit=200,
                                                           catalog=catalog)
    assert total >= 2
    by_id = {s.tenant_id: s for s in stores}
    assert not by_id[store_a.tenant_id].providers["payments"].is_default
    assert by_id[store_b.tenant_id].providers["payments"].is_default
    assert by_id[store_b.tenant_id].providers["payments"].provider_name == "sandbox"
    assert set(by_id[store_a.tenant_id].providers) == {"payments", "credit", "warehouses", "notifications",
                                                      "identity", "financing"}
