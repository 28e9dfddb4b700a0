"""One ``StripeClient`` per call, built from the calling store's own key.

Never a module-level client and never ``stripe.api_key = ...``: the provider instance is shared
by every store, so a global key would let one store's call run with another store's credentials.
The SDK's own retries are off (``max_network_retries=0``): the platform retries with the same
idempotency key, after querying, which the SDK cannot know to do.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

import httpx
import stripe

from pawpay.platform.hooks import ProviderError
from pawpay.plugins.payments.stripe.config import StripePaymentsConfig

HttpClientFactory = Callable[[StripePaymentsConfig], stripe.HTTPClient]

# Connecting is quick or hopeless; a connect timeout also proves the request was never sent.
CONNECT_TIMEOUT_SECONDS = 5.0


class HttpxStripeClient(stripe.HTTPClient):
    """The SDK's transport over one ``httpx.AsyncClient`` with explicit timeouts, async only.

    Not ``stripe.HTTPXClient``: that one sends the form body as ``data=<str>``, which httpx 0.28
    deprecates (a warning per call, an error under ``-W error``). Transport errors become
    ``stripe.APIConnectionError`` *from* the httpx exception, so the provider can tell a request
    that never left (connect failure) from one whose answer was lost (read timeout).
    """

    name = "pawpay-httpx"

    def __init__(self, timeout: httpx.Timeout) -> None:
        super().__init__()
        self._client = httpx.AsyncClient(timeout=timeout)

    async def request_async(
        self, method: str, url: str, headers: Mapping[str, str], post_data: Any = None,
    ) -> tuple[bytes, int, Mapping[str, str]]:
        try:
            response = await self._client.request(method, url, headers=headers, content=post_data)
        except httpx.HTTPError as exc:
            raise stripe.APIConnectionError(  # type: ignore[no-untyped-call]  # untyped in the SDK
                f"no answer from Stripe ({type(exc).__name__})", should_retry=False) from exc
        return response.content, response.status_code, response.headers

    async def close_async(self) -> None:
        await self._client.aclose()

    def sleep_async(self, secs: float) -> Awaitable[None]:
        return asyncio.sleep(secs)


def default_http_client(config: StripePaymentsConfig) -> stripe.HTTPClient:
    """:class:`HttpxStripeClient` with the store's read timeout and a short connect timeout."""
    return HttpxStripeClient(httpx.Timeout(config.request_timeout_seconds, connect=CONNECT_TIMEOUT_SECONDS))


@asynccontextmanager
async def stripe_client(
    config: StripePaymentsConfig, *, test_mode: bool, http_client_factory: HttpClientFactory = default_http_client,
) -> AsyncIterator[stripe.StripeClient]:
    """A ``StripeClient`` for one call with ``config``'s key; its connections close on exit.

    Raises:
        ProviderError: ``LIVE_KEY_IN_TEST_MODE`` when a store in test mode holds a live key (a
            test-mode store must never move real money).
    """
    key = config.secret_key.get_secret_value()
    if test_mode and "_live_" in key[:8]:
        raise ProviderError("a store in test mode must use a Stripe test key (sk_test_...)",
                            code="LIVE_KEY_IN_TEST_MODE")
    http_client = http_client_factory(config)
    try:
        yield stripe.StripeClient(key, http_client=http_client, max_network_retries=0)
    finally:
        await http_client.close_async()  # type: ignore[no-untyped-call]  # untyped in stripe.HTTPClient
