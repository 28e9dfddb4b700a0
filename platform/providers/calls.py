"""Every call to a provider goes through a guard: timeout, retry of reads, rate limit, result check,
log line and metrics (issue 3, item 7).

:class:`GuardedProvider` wraps one provider for one store's :class:`ProviderContext` and has the
same methods as the provider (so code typed against ``PaymentsProvider`` works unchanged). Get one
with :func:`pawpay.platform.providers.services.guarded_provider_for`. What the guard does:

* **Timeout** per operation: :data:`MONEY_TIMEOUT` (15 s) for money-moving operations
  (:data:`MONEY_MOVING`), :data:`DEFAULT_TIMEOUT` (10 s) for the rest. A provider that ignores
  cancellation is abandoned (cancelled in the background), never awaited past its time.
* **Actions** (every async operation that is not a read: charge, refund, release, terminate, send
  an SMS, create an outbound order, ...) are *never retried* here. A timeout, an unexpected
  exception, a raised :class:`ProviderError` or a wrong return value becomes an ``UNKNOWN`` outcome
  (``error_code`` ``"TIMEOUT"`` or ``"PROVIDER_FAULT"``): the provider may have acted, so the
  platform must query before anything else. Operations returning a DTO that wraps a result
  (``AgreementSession``, ``CreditOutcome``, ``IdentitySession``) get that DTO around the ``UNKNOWN``.
* **Reads** (:data:`READS`: ``test_connection``, ``query_*``, downloads) are idempotent: a
  :class:`ProviderError` with ``retryable=True`` is retried (tenacity: :data:`READ_ATTEMPTS`
  attempts, short jittered waits); a timeout, an unexpected exception or a wrong return value
  raises ``ProviderError(retryable=True)`` (codes ``"TIMEOUT"``, ``"PROVIDER_FAULT"``) for the
  caller to try again later. A timeout is not retried here: it already used the budget.
* **Rate limit**: a payments provider's ``rail_limits(ctx).requests_per_second`` is honoured per
  (category, provider, store) by an in-memory token bucket. It is **per process**: N worker
  processes may together send N times the rate. A call waits for a token up to
  :data:`RATE_LIMIT_MAX_WAIT` seconds; beyond that an action returns ``NOT_SUBMITTED``
  ``"RATE_LIMITED"`` (safe to retry with the same key) and a read raises a retryable
  ``ProviderError`` ``"RATE_LIMITED"``. Every retry of a read takes a token too.
* **Result check**: the value must be of the type the category's Protocol declares (a
  ``Sequence`` of the declared items for ``Sequence[...]``), and no ``raw`` mapping in it may name
  another store (a ``tenant_id``/``store_id`` key with a different value); otherwise it is a fault.
* **Arguments** must be the store's own context (same ``tenant_id``) and plain data (frozen DTOs,
  str, numbers, dates, bytes, enums): the guard raises ``TypeError``/``ValueError`` at once for an
  ORM row or another store's context (a platform bug, not a provider fault).
* **Log and metrics**: one log line per call (category, provider, operation, store, duration,
  outcome; never arguments, configs or messages, which may hold secrets or personal data), the
  counter ``pawpay_provider_calls_total{category,provider,operation,outcome}`` and the histogram
  ``pawpay_provider_call_duration_seconds{category,provider,operation}``.

Synchronous members (``rail_limits``, ``webhook_ack``, ``config_schema``, ``capabilities``) pass
through unguarded: the contract forbids I/O in them.
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import functools
import inspect
import logging
import time
import typing
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from prometheus_client import Counter, Histogram
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_random_exponential

from pawpay.platform.hooks.providers import (
    ProviderCategory,
    ProviderContext,
    ProviderError,
    ProviderResult,
    ProviderStatus,
    RailLimits,
)
from pawpay.platform.hooks.registry import OPTIONAL_PROTOCOLS, PROTOCOLS

log = logging.getLogger(__name__)

MONEY_TIMEOUT = 15.0  # seconds
DEFAULT_TIMEOUT = 10.0
RATE_LIMIT_MAX_WAIT = 2.0  # seconds a call may wait for a rate-limit token
READ_ATTEMPTS = 3

MONEY_MOVING: frozenset[tuple[str, str]] = frozenset({
    ("payments", "charge"), ("payments", "close_charge"), ("payments", "refund"),
    ("payments", "release_held_funds"), ("payments", "terminate_agreement"), ("financing", "request_advance"),
})
# Idempotent, side-effect-free operations (besides those named query_*): retried on a retryable error.
READS: frozenset[str] = frozenset({
    "test_connection", "download_statement", "download_evidence", "repayment_receiver", "verify_webhook",
})

# Outcome labels besides the ProviderStatus values (a bounded set, for the metrics).
OUTCOME_OK = "ok"  # a read returning something that is not a result (bytes, events, ...)
OUTCOME_TIMEOUT = "timeout"
OUTCOME_FAULT = "fault"  # raised something other than ProviderError, or returned a wrong value
OUTCOME_ERROR = "provider_error"  # raised ProviderError
OUTCOME_RATE_LIMITED = "rate_limited"

CALLS = Counter("pawpay_provider_calls_total", "Provider calls", ["category", "provider", "operation", "outcome"])
DURATION = Histogram(
    "pawpay_provider_call_duration_seconds", "Provider call duration (retries and rate-limit waits included)",
    ["category", "provider", "operation"], buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30),
)

_TENANT_KEYS = ("tenant_id", "store_id")


# --- operations ----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class Operation:
    """How the guard treats one operation of one category."""

    category: str
    name: str
    is_read: bool
    timeout: float
    returns: Any  # the Protocol's declared return annotation (resolved)


def is_read(operation: str) -> bool:
    return operation in READS or operation.startswith("query_")


@functools.cache
def operation(category: str, name: str) -> Operation | None:
    """The guard's policy for ``category``/``name``, or ``None`` for what it passes through."""
    cat = ProviderCategory(category)
    protocols = [PROTOCOLS[cat], *(p for (c, _), p in OPTIONAL_PROTOCOLS.items() if c is cat)]
    member = next((m for m in (getattr(p, name, None) for p in protocols) if m is not None), None)
    if member is None or not inspect.iscoroutinefunction(member):
        return None
    returns = typing.get_type_hints(member)["return"]
    timeout = MONEY_TIMEOUT if (category, name) in MONEY_MOVING else DEFAULT_TIMEOUT
    return Operation(category, name, is_read(name), timeout, returns)


def _matches(value: Any, annotation: Any) -> bool:
    if typing.get_origin(annotation) in (Sequence, list, tuple):
        (item,) = typing.get_args(annotation)[:1]
        return (isinstance(value, Sequence) and not isinstance(value, str | bytes)
                and all(isinstance(v, item) for v in value))
    return isinstance(annotation, type) and isinstance(value, annotation)


def _foreign_tenant(value: Any, tenant_id: str, depth: int = 0) -> bool:
    """Whether ``value`` (a result DTO) carries data naming a store other than ``tenant_id``."""
    children: list[Any] = []
    if depth > 6:
        return False
    if isinstance(value, Mapping):
        if any(key in _TENANT_KEYS and item not in (None, "") and str(item) != tenant_id
               for key, item in value.items()):
            return True
        children = list(value.values())
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        children = [getattr(value, f.name) for f in dataclasses.fields(value)]
    elif isinstance(value, list | tuple):
        children = list(value)
    return any(_foreign_tenant(child, tenant_id, depth + 1) for child in children)


_PLAIN = (str, int, float, bool, bytes, date, datetime, enum.Enum, type(None))


def _check_argument(value: Any, depth: int = 0) -> None:
    """Plain, serialisable data only: what an out-of-process provider could receive."""
    if isinstance(value, _PLAIN) or depth > 6:
        return
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            _check_argument(getattr(value, f.name), depth + 1)
        return
    if isinstance(value, Mapping):
        for k, v in value.items():
            _check_argument(k, depth + 1)
            _check_argument(v, depth + 1)
        return
    if isinstance(value, list | tuple | frozenset | set):
        for v in value:
            _check_argument(v, depth + 1)
        return
    raise TypeError(f"a provider call got a {type(value).__name__}; pass plain DTOs only")


def _unknown(op: Operation, code: str, detail: str) -> Any:
    """An ``UNKNOWN`` outcome in the shape the operation returns."""
    result = ProviderResult(ProviderStatus.UNKNOWN, error_code=code, error_message=detail,
                            raw={"guard": code.lower()})
    return _wrap(op, result)


def _wrap(op: Operation, result: ProviderResult) -> Any:
    if op.returns is ProviderResult:
        return result
    # AgreementSession, CreditOutcome, IdentitySession: ``result`` plus fields with defaults.
    return op.returns(result=result)


def _wraps_result(op: Operation) -> bool:
    if op.returns is ProviderResult:
        return True
    if not dataclasses.is_dataclass(op.returns):
        return False
    fields = dataclasses.fields(op.returns)
    return any(f.name == "result" for f in fields) and all(
        f.name == "result" or f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
        for f in fields
    )


def _outcome(value: Any) -> str:
    result = value if isinstance(value, ProviderResult) else getattr(value, "result", None)
    return result.status.value if isinstance(result, ProviderResult) else OUTCOME_OK


# --- rate limit ----------------------------------------------------------------------------------


class TokenBucket:
    """``rate`` tokens a second, at most ``capacity`` saved up; in memory, so per process.

    :meth:`reserve` takes a token now or says how long to wait for it; the waiting caller's token is
    reserved at once (the balance goes negative), so later callers queue behind it fairly. No lock
    is needed: nothing awaits between reading and updating the balance (one event loop).
    """

    def __init__(self, rate: float, capacity: float | None = None, *,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.capacity = capacity if capacity is not None else max(1.0, rate)
        self._monotonic = monotonic
        self._tokens = self.capacity
        self._at = monotonic()

    def reserve(self, max_wait: float) -> float | None:
        """Seconds to wait before the call may go (0: now), or ``None`` if that exceeds ``max_wait``
        (then nothing is reserved)."""
        now = self._monotonic()
        self._tokens = min(self.capacity, self._tokens + (now - self._at) * self.rate)
        self._at = now
        wait = 0.0 if self._tokens >= 1 else (1 - self._tokens) / self.rate
        if wait > max_wait:
            return None
        self._tokens -= 1
        return wait


class RateLimiter:
    """One :class:`TokenBucket` per (category, provider, store), created on first use."""

    def __init__(self, *, monotonic: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self._buckets: dict[tuple[str, str, str], TokenBucket] = {}
        self._monotonic = monotonic
        self._sleep = sleep

    async def acquire(self, key: tuple[str, str, str], rate: float | None, max_wait: float) -> bool:
        """Wait for a token (``True``), or refuse at once (``False``) if that would take too long."""
        if rate is None:
            return True
        bucket = self._buckets.get(key)
        if bucket is None or bucket.rate != rate:  # a changed config brings a new rate
            bucket = self._buckets[key] = TokenBucket(rate, monotonic=self._monotonic)
        wait = bucket.reserve(max_wait)
        if wait is None:
            return False
        if wait > 0:
            await self._sleep(wait)
        return True


RATE_LIMITER = RateLimiter()  # the process's buckets


# --- the guard -----------------------------------------------------------------------------------


class _Fault(Exception):
    """Internal: the provider misbehaved (timeout, crash, wrong value); ``code`` says how."""

    def __init__(self, code: str, outcome: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.outcome = outcome
        self.detail = detail


def _discard(task: asyncio.Future[Any]) -> None:
    # Retrieve the abandoned call's exception so asyncio does not log it with its (secret-bearing) text.
    if not task.cancelled():
        task.exception()


class GuardedProvider:
    """A provider as the platform calls it, for one store (see the module docstring).

    Arguments:
        provider: the registered provider instance (shared by every store).
        category, name: its registry key.
        ctx: the store's context; every call must pass this (or an equal) context.
        limiter, rate_limit_max_wait, read_attempts, retry_wait: tests shrink these.
        timeouts: per-operation overrides in seconds (tests).
    """

    def __init__(
        self, provider: Any, *, category: str, name: str, ctx: ProviderContext[Any],
        limiter: RateLimiter = RATE_LIMITER, rate_limit_max_wait: float = RATE_LIMIT_MAX_WAIT,
        read_attempts: int = READ_ATTEMPTS, retry_wait: Any = None, timeouts: Mapping[str, float] | None = None,
    ) -> None:
        self._provider = provider
        self._category = ProviderCategory(category).value
        self._name = name
        self._ctx = ctx
        self._limiter = limiter
        self._max_wait = rate_limit_max_wait
        self._attempts = read_attempts
        self._retry_wait = retry_wait if retry_wait is not None else wait_random_exponential(multiplier=0.1, max=1.0)
        self._timeouts = dict(timeouts or {})

    @property
    def provider_name(self) -> str:
        return self._name

    @property
    def category(self) -> str:
        return self._category

    def __repr__(self) -> str:  # never the context: it holds the store's credentials
        return f"GuardedProvider({self._category}/{self._name}, tenant={self._ctx.tenant_id})"

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        op = operation(self._category, name)
        member = getattr(self._provider, name)
        if op is None:
            return member

        async def call(ctx: ProviderContext[Any], *args: Any) -> Any:
            return await self._call(op, member, ctx, args)

        call.__name__ = name
        return call

    def _rate(self) -> float | None:
        rail_limits = getattr(self._provider, "rail_limits", None)
        if rail_limits is None:
            return None
        try:
            limits = rail_limits(self._ctx)
        except Exception:
            log.warning("provider rail_limits raised; calling without a rate limit",
                        extra={"category": self._category, "provider": self._name})
            return None
        return limits.requests_per_second if isinstance(limits, RailLimits) else None

    async def _call(self, op: Operation, member: Callable[..., Any], ctx: ProviderContext[Any],
                    args: tuple[Any, ...]) -> Any:
        if not isinstance(ctx, ProviderContext) or ctx.tenant_id != self._ctx.tenant_id:
            raise ValueError(f"{self._category}/{self._name}.{op.name} called with another store's context")
        for arg in args:
            _check_argument(arg)
        started = time.perf_counter()
        outcome = OUTCOME_FAULT
        try:
            if not await self._limiter.acquire((self._category, self._name, ctx.tenant_id), self._rate(),
                                               self._max_wait):
                outcome = OUTCOME_RATE_LIMITED
                if op.is_read or not _wraps_result(op):
                    raise ProviderError("the provider's rate limit is exhausted", code="RATE_LIMITED",
                                        retryable=True)
                return _wrap(op, ProviderResult(ProviderStatus.NOT_SUBMITTED, error_code="RATE_LIMITED",
                                                error_message="the provider's rate limit is exhausted"))
            try:
                value = await (self._read(op, member, ctx, args) if op.is_read else self._once(op, member, ctx, args))
            except _Fault as fault:
                outcome = fault.outcome
                if op.is_read or not _wraps_result(op):
                    raise ProviderError(fault.detail, code=fault.code, retryable=True) from None
                return _unknown(op, fault.code, fault.detail)
            except ProviderError as exc:
                outcome = OUTCOME_ERROR
                if op.is_read or not _wraps_result(op):
                    raise
                # The provider may have acted before it raised: unknown, query first.
                return _unknown(op, "PROVIDER_FAULT", f"the provider raised ProviderError {exc.code}")
            outcome = _outcome(value)
            return value
        finally:
            seconds = time.perf_counter() - started
            CALLS.labels(self._category, self._name, op.name, outcome).inc()
            DURATION.labels(self._category, self._name, op.name).observe(seconds)
            log.info("provider call", extra={
                "category": self._category, "provider": self._name, "operation": op.name,
                "tenant_id": ctx.tenant_id, "duration_ms": round(seconds * 1000, 1), "outcome": outcome,
            })

    async def _read(self, op: Operation, member: Callable[..., Any], ctx: ProviderContext[Any],
                    args: tuple[Any, ...]) -> Any:
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._attempts), wait=self._retry_wait, reraise=True,
            retry=retry_if_exception(lambda exc: isinstance(exc, ProviderError) and exc.retryable),
        )
        async for attempt in retrying:
            with attempt:
                # A retry is another request to the vendor: it needs a token too (not retried if refused).
                if attempt.retry_state.attempt_number > 1 and not await self._limiter.acquire(
                        (self._category, self._name, ctx.tenant_id), self._rate(), self._max_wait):
                    raise ProviderError("the provider's rate limit is exhausted", code="RATE_LIMITED")
                return await self._once(op, member, ctx, args)
        raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover

    async def _once(self, op: Operation, member: Callable[..., Any], ctx: ProviderContext[Any],
                    args: tuple[Any, ...]) -> Any:
        """One attempt: the provider's answer, checked, or :class:`_Fault`; ``ProviderError`` passes."""
        limit = self._timeouts.get(op.name, op.timeout)
        try:
            pending = member(ctx, *args)
        except ProviderError:
            raise
        except Exception as exc:
            raise _Fault("PROVIDER_FAULT", OUTCOME_FAULT, f"the provider raised {type(exc).__name__}") from None
        if not inspect.isawaitable(pending):
            raise _Fault("PROVIDER_FAULT", OUTCOME_FAULT, "the provider did not return an awaitable")
        task = asyncio.ensure_future(pending)
        try:
            done, _ = await asyncio.wait({task}, timeout=limit)
        except asyncio.CancelledError:
            task.cancel()
            raise
        if not done:
            # Abandon it: a provider swallowing the cancellation must not hold the caller.
            task.cancel()
            task.add_done_callback(_discard)
            raise _Fault("TIMEOUT", OUTCOME_TIMEOUT, f"no answer within {limit:g} s")
        try:
            value = task.result()
        except ProviderError:
            raise
        except Exception as exc:
            # Only the type: the text may quote the config the provider was given.
            raise _Fault("PROVIDER_FAULT", OUTCOME_FAULT, f"the provider raised {type(exc).__name__}") from None
        if not _matches(value, op.returns):
            raise _Fault("PROVIDER_FAULT", OUTCOME_FAULT,
                         f"the provider returned {type(value).__name__}, not the declared type")
        if _foreign_tenant(value, ctx.tenant_id):
            log.error("a provider returned another store's data",
                      extra={"category": self._category, "provider": self._name, "operation": op.name,
                             "tenant_id": ctx.tenant_id})
            raise _Fault("PROVIDER_FAULT", OUTCOME_FAULT, "the provider returned another store's data")
        return value


__all__ = [
    "CALLS",
    "DEFAULT_TIMEOUT",
    "DURATION",
    "MONEY_MOVING",
    "MONEY_TIMEOUT",
    "RATE_LIMITER",
    "READS",
    "GuardedProvider",
    "Operation",
    "RateLimiter",
    "TokenBucket",
    "is_read",
    "operation",
]
