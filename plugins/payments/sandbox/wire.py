"""The wire between the sandbox payments provider and the sandbox **vendor** (:mod:`.vendor`).

When ``PAWPAY_SANDBOX_PAYMENTS_URL`` names a running vendor, every stateful sandbox operation is
sent there over HTTP instead of touching this process's memory, so the money the sandbox "takes"
survives a killed worker exactly as a real vendor's would. The vendor hosts the same
:class:`~.provider.SandboxPayments` object: the rules exist once.

One endpoint, ``POST /rpc/{operation}``, carries the call: the store's context (tenant id, config
including the webhook secret, test mode and the store's *current time*, because the sandbox
follows the store's test clock) and the arguments, encoded by :func:`encode` (dataclasses, enums,
dates, bytes). A :class:`ProviderError` raised at the vendor comes back and is raised again here.

A reply that does not come within ``PAWPAY_SANDBOX_PAYMENTS_TIMEOUT`` seconds (default 10) is what
a real rail's timeout is: an action (charge, refund, release, ...) answers ``UNKNOWN`` ``TIMEOUT``
— the vendor may have acted — and a read raises a retryable :class:`ProviderError`.
"""

from __future__ import annotations

import base64
import dataclasses
import enum
import os
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, TypeVar

import httpx

from pawpay.platform.hooks import (
    AgreementInfo,
    AgreementRequest,
    AgreementSession,
    AgreementState,
    ChargeRequest,
    ClientAction,
    PreDebitNotice,
    ProviderContext,
    ProviderError,
    ProviderResult,
    ProviderStatus,
    RawWebhook,
    RefundRequest,
    ReleaseRequest,
    ShippingInfo,
    SplitReceiver,
    SubMerchantApplication,
    WebhookRejected,
)

VENDOR_URL_ENV = "PAWPAY_SANDBOX_PAYMENTS_URL"
VENDOR_TIMEOUT_ENV = "PAWPAY_SANDBOX_PAYMENTS_TIMEOUT"
DEFAULT_TIMEOUT_SECONDS = 10.0

T = TypeVar("T")

# Everything that may cross the wire, by name: the decoder builds nothing else.
_DATACLASSES: dict[str, type[Any]] = {cls.__name__: cls for cls in (
    AgreementInfo, AgreementRequest, AgreementSession, ChargeRequest, ClientAction, PreDebitNotice,
    ProviderResult, RawWebhook, RefundRequest, ReleaseRequest, ShippingInfo, SplitReceiver, SubMerchantApplication,
)}
_ENUMS: dict[str, type[enum.Enum]] = {cls.__name__: cls for cls in (AgreementState, ProviderStatus)}
_ERRORS: dict[str, type[ProviderError]] = {"ProviderError": ProviderError, "WebhookRejected": WebhookRejected}

# Operations that act at the vendor and answer a ProviderResult: a lost reply is UNKNOWN, not an error.
ACTIONS = frozenset({
    "onboard_sub_merchant", "terminate_agreement", "send_pre_debit_notice", "charge", "close_charge", "refund",
    "release_held_funds", "upload_shipping_info",
})


def encode(value: Any) -> Any:  # noqa: PLR0911 - one branch per kind of value
    """A JSON-able form of ``value`` that :func:`decode` turns back into an equal value."""
    if isinstance(value, enum.Enum):  # first: a StrEnum is a str too
        return {"$enum": type(value).__name__, "value": value.value}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, bytes):
        return {"$bytes": base64.b64encode(value).decode()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {"$dc": type(value).__name__,
                "fields": {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}}
    if isinstance(value, tuple):
        return {"$tuple": [encode(v) for v in value]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, Mapping):
        return {"$map": {str(k): encode(v) for k, v in value.items()}}
    raise TypeError(f"the sandbox wire cannot carry {type(value).__name__}")


def decode(value: Any) -> Any:  # noqa: PLR0911 - one branch per kind of value
    if isinstance(value, list):
        return [decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "$enum" in value:
        return _ENUMS[value["$enum"]](value["value"])
    if "$datetime" in value:
        return datetime.fromisoformat(value["$datetime"])
    if "$date" in value:
        return date.fromisoformat(value["$date"])
    if "$bytes" in value:
        return base64.b64decode(value["$bytes"])
    if "$dc" in value:
        cls = _DATACLASSES[value["$dc"]]
        return cls(**{k: decode(v) for k, v in value["fields"].items()})
    if "$tuple" in value:
        return tuple(decode(v) for v in value["$tuple"])
    if "$map" in value:
        return {k: decode(v) for k, v in value["$map"].items()}
    raise ValueError("not a sandbox wire value")


def encode_ctx(ctx: ProviderContext[Any]) -> dict[str, Any]:
    """The store's context as the vendor needs it: its config in full (the vendor signs webhooks with
    the store's secret, as a real vendor knows its merchant's key) and its clock's current time."""
    config = {name: (value.get_secret_value() if hasattr(value, "get_secret_value") else value)
              for name, value in ctx.config}
    return {"tenant_id": ctx.tenant_id, "config": config, "test_mode": ctx.test_mode,
            "now": ctx.now().isoformat()}


def encode_call(ctx: ProviderContext[Any] | None, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> dict[str, Any]:
    return {"ctx": None if ctx is None else encode_ctx(ctx), "args": [encode(a) for a in args],
            "kwargs": {k: encode(v) for k, v in kwargs.items()}}


def encode_error(exc: ProviderError) -> dict[str, Any]:
    kind = "WebhookRejected" if isinstance(exc, WebhookRejected) else "ProviderError"
    return {"error": {"type": kind, "message": exc.message, "code": exc.code, "retryable": exc.retryable}}


def _answer(response: httpx.Response, returns: type[T]) -> T:
    if response.status_code >= 500 or response.headers.get("content-type", "").split(";")[0] != "application/json":
        raise ProviderError(f"the sandbox vendor answered HTTP {response.status_code}", code="VENDOR_FAULT",
                            retryable=True)
    payload = response.json()
    if "error" in payload:
        error = payload["error"]
        if error["type"] == "WebhookRejected":
            raise WebhookRejected(error["message"], code=error["code"])
        raise ProviderError(error["message"], code=error["code"], retryable=bool(error["retryable"]))
    result = decode(payload["result"])
    if not isinstance(result, returns):
        raise ProviderError(f"the sandbox vendor answered a {type(result).__name__}, not a {returns.__name__}",
                            code="VENDOR_FAULT")
    return result


def vendor_url() -> str | None:
    """The vendor this process's sandbox talks to, or ``None`` (in memory, the default)."""
    return os.environ.get(VENDOR_URL_ENV) or None


def _timeout() -> float:
    return float(os.environ.get(VENDOR_TIMEOUT_ENV) or DEFAULT_TIMEOUT_SECONDS)


def _lost(operation: str, returns: type[T], exc: httpx.HTTPError) -> T:
    timed_out = isinstance(exc, httpx.TimeoutException)
    code = "TIMEOUT" if timed_out else "UNREACHABLE"
    if operation in ACTIONS and returns is ProviderResult:
        # The request may have reached the vendor: only a query can tell.
        unknown = ProviderResult(ProviderStatus.UNKNOWN, error_code=code, raw={"sandbox": True},
                                 error_message=f"no answer from the sandbox vendor ({type(exc).__name__})")
        assert isinstance(unknown, returns)
        return unknown
    raise ProviderError(f"no answer from the sandbox vendor ({type(exc).__name__})", code=code,
                        retryable=True) from None


class VendorClient:
    """Calls one operation of the sandbox at the vendor ``base_url``."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    async def call(self, operation: str, returns: type[T], ctx: ProviderContext[Any] | None, *args: Any,
                   **kwargs: Any) -> T:
        """``operation`` at the vendor; its answer must be a ``returns``."""
        body = encode_call(ctx, args, kwargs)
        try:
            # A client per call: worker processes run actors on more than one event loop.
            async with httpx.AsyncClient(timeout=_timeout()) as http:
                response = await http.post(f"{self.base_url}/rpc/{operation}", json=body)
        except httpx.HTTPError as exc:
            return _lost(operation, returns, exc)
        return _answer(response, returns)

    def call_sync(self, operation: str, returns: type[T], ctx: ProviderContext[Any] | None, *args: Any,
                  **kwargs: Any) -> T:
        """For the sandbox's synchronous record and test helpers (``funds``, ``build_webhook``, ...)."""
        body = encode_call(ctx, args, kwargs)
        try:
            response = httpx.post(f"{self.base_url}/rpc/{operation}", json=body, timeout=_timeout())
        except httpx.HTTPError as exc:
            return _lost(operation, returns, exc)
        return _answer(response, returns)

    # --- the vendor's test controls -----------------------------------------------------------------

    def hold_replies(self, tenant_id: str, operation: str, *, seconds: float, count: int = 1,
                     amount_fen: int | None = None) -> None:
        """The next ``count`` calls of ``operation`` for the store (of ``amount_fen`` only, if given) are
        carried out at once but answered only ``seconds`` later (a crash window after the money was
        taken, or a timeout with the money taken)."""
        response = httpx.post(f"{self.base_url}/control/hold", timeout=_timeout(), json={
            "tenant_id": tenant_id, "operation": operation, "seconds": seconds, "count": count,
            "amount_fen": amount_fen})
        response.raise_for_status()

    def held(self) -> list[dict[str, Any]]:
        """The calls held so far: ``tenant_id``, ``operation``, ``reference`` (the idempotency key),
        ``amount_fen``, ``seconds``, ``answered``."""
        response = httpx.get(f"{self.base_url}/control/held", timeout=_timeout())
        response.raise_for_status()
        held: list[dict[str, Any]] = response.json()
        return held

    def healthy(self) -> bool:
        try:
            return httpx.get(f"{self.base_url}/health", timeout=1.0).status_code == 200
        except httpx.HTTPError:
            return False
