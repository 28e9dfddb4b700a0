"""The call guard as domains get it (issue 3, item 7): ``guarded_provider_for`` hands out the
store's provider behind timeouts, retries and result checks, against the real database; and a
provider that hangs or raises never turns an HTTP request into a 500."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest
from asgi_lifespan import LifespanManager
from litestar import post
from litestar.params import JSONBody

from pawpay.platform.clock import FrozenClock, set_clock
from pawpay.platform.hooks import ChargeRequest, ProviderError, ProviderResult, ProviderStatus, hookimpl
from pawpay.platform.hooks._manager import build_plugin_manager
from pawpay.platform.hooks.registry import ProviderCatalog
from pawpay.platform.identity.roles import MANAGER
from pawpay.platform.providers import services
from pawpay.platform.providers.calls import CALLS, GuardedProvider, RateLimiter
from pawpay.platform.tenancy.context import TenantContext
from pawpay.platform.testing.plugin import create_store, login
from pawpay.platform.web.app import create_app
from pawpay.platform.web.deps import TenantCtx
from pawpay.plugins.payments.sandbox.provider import SandboxPayments

pytestmark = pytest.mark.integration

SECRET = "whsec-calls-" + uuid.uuid4().hex


class HangingCharges(SandboxPayments):
    charges = 0

    async def charge(self, ctx: Any, request: ChargeRequest) -> ProviderResult:
        type(self).charges += 1
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")

    async def query_agreement(self, ctx: Any, agreement_id: str) -> Any:
        await asyncio.sleep(3600)


class CrashingCharges(SandboxPayments):
    async def charge(self, ctx: Any, request: ChargeRequest) -> ProviderResult:
        raise RuntimeError(f"boom {ctx.config.webhook_secret.get_secret_value()}")


CATALOG = ProviderCatalog()
CATALOG.add("payments", "sandbox", SandboxPayments)
CATALOG.add("payments", "hanging", HangingCharges)
CATALOG.add("payments", "crashing", CrashingCharges)
FAST = {"timeouts": {"charge": 0.1, "query_charge": 0.1, "query_agreement": 0.1}, "limiter": RateLimiter()}


@pytest.fixture(autouse=True)
def noon_in_beijing() -> Iterator[None]:
    """The sandbox debits only 07:00-22:00 Beijing time."""
    previous = set_clock(FrozenClock(datetime(2026, 3, 2, 4, 0, tzinfo=UTC)))
    try:
        yield
    finally:
        set_clock(previous)


def manager(store: Any) -> TenantContext:
    return TenantContext(tenant_id=store.tenant_id, actor_id=store.manager_id, roles=frozenset({"manager"}),
                         actor_label=store.manager_email, request_id="req-calls")


def config() -> dict[str, Any]:
    return {"merchant_id": "m_calls", "webhook_secret": SECRET}


def charge(amount_fen: int, attempt_id: str = "att_1") -> ChargeRequest:
    return ChargeRequest(attempt_id=attempt_id, payment_id="pay_1", agreement_id="agr_1", amount_fen=amount_fen,
                         description="rent")


def counted(provider: str, outcome: str, operation: str = "charge") -> float:
    return CALLS.labels("payments", provider, operation, outcome)._value.get()  # type: ignore[attr-defined]


# --- the service ---------------------------------------------------------------------------------


async def test_the_sandbox_is_handed_out_guarded(rollback: None, store_a: Any) -> None:
    await services.set_store_provider(manager(store_a), "payments", "sandbox", config(), catalog=CATALOG)
    guarded, pctx = await services.guarded_provider_for(manager(store_a), "payments", catalog=CATALOG, **FAST)
    assert isinstance(guarded, GuardedProvider)
    assert (guarded.category, guarded.provider_name) == ("payments", "sandbox")
    assert pctx.tenant_id == str(store_a.tenant_id)
    assert SECRET not in repr(guarded)
    # The sandbox's scripted fault (amount ending 08) is an UNKNOWN outcome, charged once...
    before = counted("sandbox", "provider_error")
    result = await guarded.charge(pctx, charge(9908))
    assert (result.status, result.error_code) == (ProviderStatus.UNKNOWN, "PROVIDER_FAULT")
    assert counted("sandbox", "provider_error") == before + 1
    # ...which the platform resolves by querying: the sandbox recorded nothing, so it is safe to retry.
    queried = await guarded.query_charge(pctx, "att_1")
    assert (queried.status, queried.error_code) == (ProviderStatus.NOT_SUBMITTED, "NOT_FOUND")
    # A sandbox-scripted UNKNOWN (04) passes through as the provider said, and its query resolves it.
    unknown = await guarded.charge(pctx, charge(9904, "att_2"))
    assert unknown.status is ProviderStatus.UNKNOWN
    assert (await guarded.query_charge(pctx, "att_2")).status is ProviderStatus.SUCCEEDED


async def test_a_hanging_chosen_provider_answers_unknown_within_the_timeout(rollback: None, store_a: Any) -> None:
    ctx = manager(store_a)
    await services.set_store_provider(ctx, "payments", "hanging", config(), catalog=CATALOG)
    guarded, pctx = await services.guarded_provider_for(ctx, "payments", catalog=CATALOG, **FAST)
    assert guarded.provider_name == "hanging"
    HangingCharges.charges = 0
    started = time.perf_counter()
    result = await guarded.charge(pctx, charge(9900))
    assert time.perf_counter() - started < 2
    assert (result.status, result.error_code) == (ProviderStatus.UNKNOWN, "TIMEOUT")
    assert HangingCharges.charges == 1  # never retried blindly


async def test_a_guard_refuses_another_stores_context(rollback: None, store_a: Any, store_b: Any) -> None:
    for store in (store_a, store_b):
        await services.set_store_provider(manager(store), "payments", "sandbox", config(), catalog=CATALOG)
    guarded, _ = await services.guarded_provider_for(manager(store_a), "payments", catalog=CATALOG, **FAST)
    _, b_context = await services.guarded_provider_for(manager(store_b), "payments", catalog=CATALOG, **FAST)
    with pytest.raises(ValueError, match="another store"):
        await guarded.charge(b_context, charge(9900))


async def test_a_read_fault_is_a_retryable_provider_error(rollback: None, store_a: Any) -> None:
    ctx = manager(store_a)
    await services.set_store_provider(ctx, "payments", "hanging", config(), catalog=CATALOG)
    guarded, pctx = await services.guarded_provider_for(ctx, "payments", catalog=CATALOG, **FAST)
    answer = await guarded.query_charge(pctx, "never-charged")  # the hanging provider's query is the sandbox's
    assert answer.status is ProviderStatus.NOT_SUBMITTED
    with pytest.raises(ProviderError) as late:
        await guarded.query_agreement(pctx, "agr_1")
    assert (late.value.code, late.value.retryable) == ("TIMEOUT", True)


# --- through HTTP --------------------------------------------------------------------------------


class ChargeBody(msgspec.Struct, forbid_unknown_fields=True):
    attempt_id: str
    amount_fen: int


@post("/api/v1/test/guarded-charge", opt={"auth": "tenant", "roles": {MANAGER}}, status_code=200)
async def _guarded_charge(ctx: TenantCtx, data: JSONBody[ChargeBody]) -> dict[str, Any]:
    guarded, pctx = await services.guarded_provider_for(ctx, "payments", catalog=CATALOG, **FAST)
    result = await guarded.charge(pctx, charge(data.amount_fen, data.attempt_id))
    return {"status": result.status.value, "error_code": result.error_code, "message": result.error_message}


class _ChargeRoute:
    @hookimpl
    def pawpay_route_handlers(self) -> list[object]:
        return [_guarded_charge]


@pytest.fixture(scope="module")
async def charge_app(pawpay_database: Any) -> AsyncIterator[Any]:
    app = create_app(plugin_manager=build_plugin_manager(extra_plugins=[_ChargeRoute()]), manage_pool=False)
    async with LifespanManager(app):
        yield app


@pytest.mark.parametrize(("provider", "code"), [("hanging", "TIMEOUT"), ("crashing", "PROVIDER_FAULT")])
async def test_a_hanging_or_crashing_provider_never_breaks_the_request(
    charge_app: Any, new_client: Any, provider: str, code: str, caplog: pytest.LogCaptureFixture
) -> None:
    store = await create_store()
    await services.set_store_provider(manager(store), "payments", provider, config(), catalog=CATALOG)
    async with new_client(charge_app) as client:
        await login(client, store.manager_email)
        started = time.perf_counter()
        with caplog.at_level("DEBUG"):
            response = await client.post("/api/v1/test/guarded-charge", json={"attempt_id": "a1", "amount_fen": 9900})
        assert time.perf_counter() - started < 5
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "unknown"
    assert response.json()["error_code"] == code
    assert SECRET not in response.text
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert "'operation': 'charge'" in logged
    assert SECRET not in logged


async def test_providers_run_on_the_store_clock() -> None:
    """A test-mode store that moved its test clock hands its providers its own "now"."""
    from datetime import timedelta

    from pawpay.platform.clock import utcnow
    from pawpay.platform.jobs.services import advance_tenant_clock
    from pawpay.platform.providers.services import provider_for
    from pawpay.platform.tenancy.context import TenantContext
    from pawpay.platform.testing.plugin import create_store

    store = await create_store()
    ctx = TenantContext(tenant_id=store.tenant_id, actor_id=store.manager_id, actor_label="test")
    await advance_tenant_clock(ctx, 3 * 86400)
    _provider, pctx = await provider_for(ctx, "warehouses")
    assert pctx.now() - utcnow() > timedelta(days=2, hours=23)
