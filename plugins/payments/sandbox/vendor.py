"""The sandbox payments **vendor**: the sandbox's state in a process of its own, reached over HTTP.

Run it, then point pawpay's processes at it::

    python -m pawpay.plugins.payments.sandbox.vendor --port 8765
    export PAWPAY_SANDBOX_PAYMENTS_URL=http://127.0.0.1:8765    # web, worker and test processes

Every process that has the variable set sends its sandbox calls here (see :mod:`.wire`), so the
charges, agreements, held funds and statements live where a real vendor's do: outside the worker,
surviving its crash. The vendor hosts one :class:`~.provider.SandboxPayments` in memory mode, the
very object the in-memory mode uses, so the scripted amounts and rail rules are the same in both.

Besides ``POST /rpc/{operation}`` (the provider's calls and the sandbox's record helpers such as
``funds``, ``charges`` and ``webhooks``) it has test controls:

* ``POST /control/hold`` ``{"tenant_id", "operation", "seconds", "count", "amount_fen"}``: the
  store's next ``count`` calls of ``operation`` (e.g. ``"charge"``; only those of ``amount_fen`` if
  given) are carried out at once but answered only
  ``seconds`` later — the window in which a worker can die after the money was taken, or, longer
  than the caller's timeout (``PAWPAY_SANDBOX_PAYMENTS_TIMEOUT``), a timeout with the money taken.
* ``GET /control/held``: the calls held so far and whether their answer went out.
* ``GET /health``.

The vendor trusts its callers (it listens on 127.0.0.1 by default): it is a test double, never
expose it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import inspect
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from litestar import Litestar, get, post
from litestar.response import Response

from pawpay.platform.hooks import ProviderContext, ProviderError
from pawpay.plugins.payments.sandbox.provider import SandboxPayments, SandboxPaymentsConfig
from pawpay.plugins.payments.sandbox.wire import VendorClient, decode, encode, encode_error

# What may be called: the provider's stateful operations and the sandbox's record helpers.
OPERATIONS = frozenset({
    "test_connection", "onboard_sub_merchant", "query_sub_merchant", "sign_agreement", "query_agreement",
    "terminate_agreement", "send_pre_debit_notice", "charge", "query_charge", "close_charge", "refund",
    "release_held_funds", "download_statement", "upload_shipping_info", "shipping_infos",
    "debits_made", "funds", "charges", "build_webhook", "webhooks", "script_statement",
})


def _ctx(wire: dict[str, Any]) -> ProviderContext[SandboxPaymentsConfig]:
    now = datetime.fromisoformat(wire["now"])  # the store's clock when it called (test clocks included)
    return ProviderContext(tenant_id=str(wire["tenant_id"]), config=SandboxPaymentsConfig(**wire["config"]),
                           test_mode=bool(wire["test_mode"]), clock_now=lambda: now)


def _reference(args: list[Any]) -> str:
    """The idempotency key of a held call, for the test to recognise it."""
    for arg in args:
        for name in ("attempt_id", "refund_id", "release_id", "notice_id", "agreement_id"):
            if hasattr(arg, name):
                return str(getattr(arg, name))
        if isinstance(arg, str):
            return arg
    return ""


def _json(payload: Any, status_code: int = 200) -> Response[Any]:
    return Response(content=payload, status_code=status_code, media_type="application/json")


def create_vendor_app(sandbox: SandboxPayments | None = None) -> Litestar:
    """The vendor's ASGI app around ``sandbox`` (a fresh in-memory sandbox by default)."""
    rail = sandbox if sandbox is not None else SandboxPayments(use_vendor=False)
    # (store, operation) -> the replies to hold: {"seconds", "amount_fen" (None: any amount)}, first match wins.
    holds: dict[tuple[str, str], list[dict[str, Any]]] = {}
    held: list[dict[str, Any]] = []

    @get("/health")
    async def health() -> dict[str, bool]:
        return {"ok": True}

    @post("/rpc/{operation:str}", status_code=200)
    async def rpc(operation: str, data: dict[str, Any]) -> Response[Any]:
        if operation not in OPERATIONS:
            return _json(encode_error(ProviderError(f"no sandbox operation {operation}", code="UNSUPPORTED")), 404)
        args = [decode(a) for a in data.get("args", [])]
        kwargs = {k: decode(v) for k, v in data.get("kwargs", {}).items()}
        ctx = _ctx(data["ctx"]) if data.get("ctx") else None
        call_args = [ctx, *args] if ctx is not None else args
        try:
            result = getattr(rail, operation)(*call_args, **kwargs)
            if inspect.isawaitable(result):
                result = await result
        except ProviderError as exc:
            return _json(encode_error(exc), 409)
        waits = holds.get((ctx.tenant_id, operation), []) if ctx is not None else []
        amount = next((a.amount_fen for a in args if hasattr(a, "amount_fen")), None)
        rule = next((w for w in waits if w["amount_fen"] in (None, amount)), None)
        if rule is not None:
            # Done at the vendor; the answer is held back (the caller may die or give up meanwhile).
            waits.remove(rule)
            seconds = rule["seconds"]
            record = {"tenant_id": ctx.tenant_id if ctx else "", "operation": operation,
                      "reference": _reference(args), "amount_fen": amount, "seconds": seconds, "answered": False}
            held.append(record)
            await asyncio.sleep(seconds)
            record["answered"] = True
        return _json({"result": encode(result)})

    @post("/control/hold", status_code=200)
    async def hold(data: dict[str, Any]) -> dict[str, int]:
        waits = holds.setdefault((str(data["tenant_id"]), str(data["operation"])), [])
        amount = data.get("amount_fen")
        waits.extend({"seconds": float(data["seconds"]), "amount_fen": None if amount is None else int(amount)}
                     for _ in range(int(data.get("count", 1))))
        return {"pending": len(waits)}

    @get("/control/held")
    async def held_calls() -> list[dict[str, Any]]:
        return [dict(r) for r in held]

    return Litestar(route_handlers=[health, rpc, hold, held_calls], debug=False)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.contextmanager
def vendor_process(*, startup_seconds: float = 30.0) -> Iterator[VendorClient]:
    """Run the vendor as a child process on a free local port until the block ends (tests, scripts).

    Yields a :class:`~.wire.VendorClient` for it; set ``PAWPAY_SANDBOX_PAYMENTS_URL`` to its
    ``base_url`` in the processes that should use it.
    """
    port = _free_port()
    env = {**os.environ, "PYTHONSAFEPATH": "1"}  # never the working directory on sys.path
    env.pop("PAWPAY_SANDBOX_PAYMENTS_URL", None)
    proc = subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
        [sys.executable, "-m", "pawpay.plugins.payments.sandbox.vendor", "--port", str(port)], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    client = VendorClient(f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + startup_seconds
        while not client.healthy():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the sandbox vendor did not start (exit code {proc.poll()})")
            time.sleep(0.1)
        yield client
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pawpay.plugins.payments.sandbox.vendor",
                                     description="The sandbox payments vendor (state outside pawpay's processes).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    options = parser.parse_args(argv)
    import uvicorn

    print(f"sandbox payments vendor: http://{options.host}:{options.port} "
          f"(set PAWPAY_SANDBOX_PAYMENTS_URL to it)", file=sys.stderr, flush=True)
    uvicorn.run(create_vendor_app(), host=options.host, port=options.port, log_level="warning",
                timeout_graceful_shutdown=1)  # held answers are not worth waiting for
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
