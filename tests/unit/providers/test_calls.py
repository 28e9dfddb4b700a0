"""The provider call guard (issue 3, item 7) without a database: timeouts, faults turned into
UNKNOWN or a retryable ProviderError, reads retried and actions never, the token bucket, result
checks, argument checks, logs and metrics without secrets."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, date, datetime
from typing import Any

import pytest
from tenacity import wait_none

from pawpay.platform.hooks import (
    AgreementInfo,
    AgreementRequest,
    AgreementSession,
    ChargeRequest,
    ProviderContext,
    ProviderError,
    ProviderResult,
    ProviderStatus,
    RailLimits,
    RefundRequest,
)
from pawpay.platform.providers.calls import (
    CALLS,
    DEFAULT_TIMEOUT,
    MONEY_TIMEOUT,
    GuardedProvider,
    RateLimiter,
    TokenBucket,
    operation,
)
from pawpay.plugins.payments.sandbox.provider import SANDBOX_LIMITS, SandboxPayments, SandboxPaymentsConfig

pytestmark = pytest.mark.unit

TENANT = "11111111-1111-1111-1111-111111111111"
OTHER = "22222222-2222-2222-2222-222222222222"
SECRET = "whsec-unit-" + "s" * 20
NOON_BEIJING = datetime(2026, 3, 2, 4, 0, tzinfo=UTC)  # inside the sandbox's 07:00-22:00


def context(tenant: str = TENANT) -> ProviderContext[Any]:
    return ProviderContext(tenant_id=tenant, config=SandboxPaymentsConfig(merchant_id="m_unit", webhook_secret=SECRET),
                           test_mode=True, clock_now=lambda: NOON_BEIJING)


def charge_request(amount_fen: int = 9900, attempt: str = "att_1") -> ChargeRequest:
    return ChargeRequest(attempt_id=attempt, payment_id="pay_1", agreement_id="agr_1", amount_fen=amount_fen,
                         description="rent")


def guard(provider: Any, ctx: ProviderContext[Any] | None = None, **options: Any) -> GuardedProvider:
    options.setdefault("limiter", RateLimiter())  # fresh buckets per test
    options.setdefault("retry_wait", wait_none())
    return GuardedProvider(provider, category="payments", name="unit", ctx=ctx or context(), **options)


def calls_counted(outcome: str, operation_: str = "charge", provider: str = "unit") -> float:
    return CALLS.labels("payments", provider, operation_, outcome)._value.get()  # type: ignore[attr-defined]


class Counting(SandboxPayments):
    """The sandbox, counting calls per operation, with scriptable misbehaviour."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: dict[str, int] = {}
        self.rate: float | None = None
        self.query_failures = 0  # how many query_charge calls raise a retryable error first

    def _count(self, name: str) -> None:
        self.calls[name] = self.calls.get(name, 0) + 1

    def rail_limits(self, ctx: Any) -> RailLimits:
        if self.rate is None:
            return SANDBOX_LIMITS
        return RailLimits(requests_per_second=self.rate)

    async def charge(self, ctx: Any, request: ChargeRequest) -> ProviderResult:
        self._count("charge")
        return await super().charge(ctx, request)

    async def query_charge(self, ctx: Any, attempt_id: str) -> ProviderResult:
        self._count("query_charge")
        if self.calls["query_charge"] <= self.query_failures:
            raise ProviderError("vendor busy", code="SYSTEM_BUSY", retryable=True)
        return await super().query_charge(ctx, attempt_id)


class Hanging(Counting):
    async def charge(self, ctx: Any, request: ChargeRequest) -> ProviderResult:
        self._count("charge")
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")

    async def query_charge(self, ctx: Any, attempt_id: str) -> ProviderResult:
        self._count("query_charge")
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")


class Stubborn(Counting):
    """Ignores cancellation: the guard must abandon it, not wait for it."""

    async def charge(self, ctx: Any, request: ChargeRequest) -> ProviderResult:
        self._count("charge")
        for _ in range(20):
            try:
                await asyncio.sleep(0.05)
            except asyncio.CancelledError:
                continue
        return ProviderResult(ProviderStatus.SUCCEEDED)


class Crashing(Counting):
    async def charge(self, ctx: Any, request: ChargeRequest) -> ProviderResult:
        self._count("charge")
        raise RuntimeError(f"boom {ctx.config.webhook_secret.get_secret_value()}")

    async def query_charge(self, ctx: Any, attempt_id: str) -> ProviderResult:
        self._count("query_charge")
        raise KeyError(SECRET)

    async def sign_agreement(self, ctx: Any, request: AgreementRequest) -> AgreementSession:
        raise RuntimeError("boom")


class Liar(Counting):
    async def charge(self, ctx: Any, request: ChargeRequest) -> Any:
        self._count("charge")
        return {"status": "succeeded"}

    async def query_agreement(self, ctx: Any, agreement_id: str) -> Any:
        return ProviderResult(ProviderStatus.SUCCEEDED)

    async def query_charge(self, ctx: Any, attempt_id: str) -> ProviderResult:
        return ProviderResult(ProviderStatus.SUCCEEDED, raw={"order": {"tenant_id": OTHER}})

    async def refund(self, ctx: Any, request: Any) -> ProviderResult:
        return ProviderResult(ProviderStatus.SUCCEEDED, raw={"tenant_id": ctx.tenant_id})


# --- operations ----------------------------------------------------------------------------------


def test_operations_are_classified_from_the_protocols() -> None:
    charge = operation("payments", "charge")
    assert charge is not None
    assert (charge.is_read, charge.timeout, charge.returns) == (False, MONEY_TIMEOUT, ProviderResult)
    query = operation("payments", "query_agreement")
    assert query is not None
    assert (query.is_read, query.timeout, query.returns) == (True, DEFAULT_TIMEOUT, AgreementInfo)
    sms = operation("notifications", "send_sms")
    assert sms is not None
    assert (sms.is_read, sms.timeout) == (False, DEFAULT_TIMEOUT)
    test = operation("credit", "test_connection")
    assert test is not None
    assert test.is_read
    assert operation("payments", "rail_limits") is None  # synchronous: passed through
    assert operation("payments", "webhook_ack") is None
    # An operation of an optional capability's protocol is guarded like the rest (an action).
    shipping = operation("payments", "upload_shipping_info")
    assert shipping is not None
    assert (shipping.is_read, shipping.timeout, shipping.returns) == (False, DEFAULT_TIMEOUT, ProviderResult)
    assert operation("warehouses", "upload_shipping_info") is None


# --- actions -------------------------------------------------------------------------------------


async def test_a_hanging_charge_answers_unknown_within_its_timeout() -> None:
    provider = Hanging()
    started = time.perf_counter()
    result = await guard(provider, timeouts={"charge": 0.05}).charge(context(), charge_request())
    assert time.perf_counter() - started < 1
    assert (result.status, result.error_code) == (ProviderStatus.UNKNOWN, "TIMEOUT")
    assert result.needs_query
    assert provider.calls == {"charge": 1}


async def test_a_provider_swallowing_its_cancellation_is_abandoned() -> None:
    provider = Stubborn()
    started = time.perf_counter()
    result = await guard(provider, timeouts={"charge": 0.05}).charge(context(), charge_request())
    assert time.perf_counter() - started < 0.5  # not the stubborn provider's full second
    assert result.error_code == "TIMEOUT"


async def test_a_crashing_charge_is_unknown_and_never_retried(caplog: pytest.LogCaptureFixture) -> None:
    provider = Crashing()
    before = calls_counted("fault")
    with caplog.at_level("DEBUG"):
        result = await guard(provider).charge(context(), charge_request())
    assert (result.status, result.error_code) == (ProviderStatus.UNKNOWN, "PROVIDER_FAULT")
    assert SECRET not in (result.error_message or "")
    assert provider.calls == {"charge": 1}
    assert calls_counted("fault") == before + 1
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert "'outcome': 'fault'" in logged
    assert SECRET not in logged


async def test_a_sandbox_fault_on_charge_is_unknown_not_retried() -> None:
    provider = Counting()
    result = await guard(provider).charge(context(), charge_request(9908))  # 08: raises, retryable
    assert (result.status, result.error_code) == (ProviderStatus.UNKNOWN, "PROVIDER_FAULT")
    assert provider.calls == {"charge": 1}
    assert provider.debits == []


async def test_an_action_returning_a_session_gets_an_unknown_session() -> None:
    request = AgreementRequest(agreement_id="agr_1", payer_reference="payer_1", display_account="Li Lei",
                               max_amount_fen=9900, period_months=12, first_debit_on=date(2026, 4, 1))
    session = await guard(Crashing()).sign_agreement(context(), request)
    assert isinstance(session, AgreementSession)
    assert session.result.status is ProviderStatus.UNKNOWN
    assert session.action is None


async def test_a_charge_answers_as_the_provider_says() -> None:
    provider = Counting()
    before = calls_counted("succeeded")
    ok = await guard(provider).charge(context(), charge_request())
    declined = await guard(provider).charge(context(), charge_request(9901, "att_2"))
    assert ok.status is ProviderStatus.SUCCEEDED
    assert (declined.status, declined.error_code) == (ProviderStatus.FAILED, "INSUFFICIENT_FUNDS")
    assert calls_counted("succeeded") == before + 1


async def test_a_wrong_return_type_is_a_fault() -> None:
    charged = await guard(Liar()).charge(context(), charge_request())
    assert (charged.status, charged.error_code) == (ProviderStatus.UNKNOWN, "PROVIDER_FAULT")
    with pytest.raises(ProviderError) as read:
        await guard(Liar()).query_agreement(context(), "agr_1")
    assert (read.value.code, read.value.retryable) == ("PROVIDER_FAULT", True)


async def test_a_result_naming_another_store_is_a_fault() -> None:
    with pytest.raises(ProviderError) as foreign:
        await guard(Liar()).query_charge(context(), "att_1")
    assert foreign.value.code == "PROVIDER_FAULT"
    own = await guard(Liar()).refund(context(), RefundRequest(refund_id="r1", attempt_id="att_1", amount_fen=100,
                                                              charge_amount_fen=9900, reason="x"))
    assert own.status is ProviderStatus.SUCCEEDED  # its own tenant id is fine


# --- reads ---------------------------------------------------------------------------------------


async def test_a_read_is_retried_on_a_retryable_error() -> None:
    provider = Counting()
    provider.query_failures = 2
    guarded = guard(provider)
    await guarded.charge(context(), charge_request(9906))  # PENDING; the query resolves it
    result = await guarded.query_charge(context(), "att_1")
    assert result.status is ProviderStatus.SUCCEEDED
    assert provider.calls == {"charge": 1, "query_charge": 3}


async def test_a_read_gives_up_after_its_attempts() -> None:
    provider = Counting()
    provider.query_failures = 10
    with pytest.raises(ProviderError) as failed:
        await guard(provider, read_attempts=3).query_charge(context(), "att_1")
    assert failed.value.code == "SYSTEM_BUSY"
    assert provider.calls == {"query_charge": 3}


async def test_a_crashing_or_hanging_read_raises_a_retryable_error_without_retrying() -> None:
    crashing = Crashing()
    with pytest.raises(ProviderError) as crashed:
        await guard(crashing).query_charge(context(), "att_1")
    assert (crashed.value.code, crashed.value.retryable) == ("PROVIDER_FAULT", True)
    assert SECRET not in crashed.value.message
    assert crashing.calls == {"query_charge": 1}
    hanging = Hanging()
    with pytest.raises(ProviderError) as late:
        await guard(hanging, timeouts={"query_charge": 0.05}).query_charge(context(), "att_1")
    assert (late.value.code, late.value.retryable) == ("TIMEOUT", True)
    assert hanging.calls == {"query_charge": 1}


# --- rate limits ---------------------------------------------------------------------------------


class FakeTime:
    """Time stands still unless a test moves it: the calls of a test form one burst."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)


def test_the_token_bucket_saves_up_to_its_capacity_and_reserves_in_turn() -> None:
    clock = FakeTime()
    bucket = TokenBucket(2, monotonic=clock.monotonic)
    assert [bucket.reserve(1.0) for _ in range(2)] == [0.0, 0.0]
    assert bucket.reserve(1.0) == pytest.approx(0.5)
    assert bucket.reserve(1.0) == pytest.approx(1.0)  # queued behind the previous waiter
    assert bucket.reserve(1.0) is None  # 1.5 s away: refused, nothing reserved
    clock.now += 10
    assert bucket.reserve(0) == 0.0  # refilled, but never beyond its capacity
    assert bucket.reserve(0) == 0.0
    assert bucket.reserve(0) is None


async def test_calls_beyond_the_rate_wait_then_are_refused() -> None:
    clock = FakeTime()
    provider = Counting()
    provider.rate = 2
    limiter = RateLimiter(monotonic=clock.monotonic, sleep=clock.sleep)
    guarded = guard(provider, limiter=limiter, rate_limit_max_wait=0.6)
    results = [await guarded.charge(context(), charge_request(attempt=f"att_{i}")) for i in range(3)]
    assert [r.status for r in results] == [ProviderStatus.SUCCEEDED] * 3
    assert clock.slept == [pytest.approx(0.5)]  # the third waited for its token
    before = calls_counted("rate_limited")
    # The fourth of the burst would wait 1 s, more than 0.6 s: refused, nothing reaches the provider.
    refused = await guarded.charge(context(), charge_request(attempt="att_9"))
    assert (refused.status, refused.error_code) == (ProviderStatus.NOT_SUBMITTED, "RATE_LIMITED")
    assert provider.calls == {"charge": 3}
    assert calls_counted("rate_limited") == before + 1
    with pytest.raises(ProviderError) as read:
        await guarded.query_charge(context(), "att_1")
    assert (read.value.code, read.value.retryable) == ("RATE_LIMITED", True)


async def test_each_store_has_its_own_bucket() -> None:
    clock = FakeTime()
    provider = Counting()
    provider.rate = 1
    limiter = RateLimiter(monotonic=clock.monotonic, sleep=clock.sleep)
    mine = guard(provider, limiter=limiter, rate_limit_max_wait=0)
    theirs = guard(provider, ctx=context(OTHER), limiter=limiter, rate_limit_max_wait=0)
    assert (await mine.charge(context(), charge_request())).status is ProviderStatus.SUCCEEDED
    assert (await theirs.charge(context(OTHER), charge_request())).status is ProviderStatus.SUCCEEDED
    assert (await mine.charge(context(), charge_request(attempt="att_2"))).error_code == "RATE_LIMITED"


# --- arguments -----------------------------------------------------------------------------------


async def test_another_stores_context_or_a_non_dto_argument_is_refused() -> None:
    provider = Counting()
    guarded = guard(provider)
    with pytest.raises(ValueError, match="another store"):
        await guarded.charge(context(OTHER), charge_request())

    class Row:  # an ORM row, say
        attempt_id = "att_1"

    with pytest.raises(TypeError, match="plain DTOs"):
        await guarded.charge(context(), Row())
    assert provider.calls == {}
    assert SECRET not in repr(guarded)


def test_synchronous_members_pass_through() -> None:
    guarded = guard(Counting())
    assert guarded.rail_limits(context()) is SANDBOX_LIMITS
    assert guarded.config_schema is SandboxPaymentsConfig
    assert guarded.webhook_ack(True).status_code == 200


async def test_a_read_retry_takes_a_token_too() -> None:
    clock = FakeTime()
    provider = Counting()
    provider.rate = 1
    provider.query_failures = 5
    limiter = RateLimiter(monotonic=clock.monotonic, sleep=clock.sleep)
    with pytest.raises(ProviderError) as refused:
        await guard(provider, limiter=limiter, rate_limit_max_wait=0).query_charge(context(), "att_1")
    assert refused.value.code == "RATE_LIMITED"
    assert provider.calls == {"query_charge": 1}  # the retry found no token and was not sent
