"""``POST /webhooks/{category}/{provider}/{store}``: the vendors' door.

Public (vendors sign requests, they do not sign in), outside the request transaction (the raw
request must be committed before it is verified) and exempt from CSRF (no cookies).
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, Response, post
from litestar.params import FromPath

from pawpay.platform.clock import utcnow
from pawpay.platform.hooks import RawWebhook
from pawpay.platform.web.middleware import client_ip
from pawpay.platform.webhooks import services

MAX_BODY_BYTES = 1 << 20


@post(
    "/webhooks/{category:str}/{provider:str}/{store:uuid}",
    opt={"auth": "public", "transaction": False},
    operation_id="ReceiveWebhook",
    include_in_schema=True,
    request_max_body_size=MAX_BODY_BYTES,
    tags=["webhooks"],
)
async def receive_webhook(
    request: Request[Any, Any, Any], category: FromPath[str], provider: FromPath[str], store: FromPath[uuid.UUID]
) -> Response[bytes]:
    body = await request.body()
    raw = RawWebhook(
        method=request.method, path=request.url.path, query=request.url.query or "",
        headers={k.lower(): v for k, v in request.headers.items()}, body=body,
        remote_ip=client_ip(request.scope), received_at=utcnow(),
    )
    result = await services.receive(category, provider, store, raw)
    return Response(result.ack.body, status_code=result.ack.status_code, headers=dict(result.ack.headers),
                    media_type=result.ack.headers.get("content-type", "text/plain"))
