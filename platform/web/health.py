"""Liveness (``/healthz``: the process answers, never touches the DB) and readiness (``/readyz``:
database and broker reachable), plus ``/metrics``."""

from __future__ import annotations

import asyncio
from typing import Any

from litestar import MediaType, Response, get
from piccolo.querystring import QueryString

from pawpay.platform.db.engine import get_engine
from pawpay.platform.observability import metrics

READY_TIMEOUT_SECONDS = 2.0


@get("/healthz", opt={"auth": "public"}, include_in_schema=False, sync_to_thread=False)
def healthz() -> dict[str, str]:
    return {"status": "ok"}


async def _check_database() -> str | None:
    engine = get_engine()
    try:
        if engine.pool is not None:
            async with engine.pool.acquire() as conn:
                await conn.fetchval("SELECT 1")
        else:
            await engine.run_querystring(QueryString("SELECT 1"))
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


async def _check_broker() -> str | None:
    from pawpay.platform.jobs.broker import ping_broker

    try:
        await asyncio.to_thread(ping_broker)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


@get("/readyz", opt={"auth": "public"}, include_in_schema=False)
async def readyz() -> Response[dict[str, Any]]:
    try:
        db, broker = await asyncio.wait_for(
            asyncio.gather(_check_database(), _check_broker()), timeout=READY_TIMEOUT_SECONDS
        )
    except TimeoutError:
        db = broker = "timed out"
    checks = {"database": db or "ok", "broker": broker or "ok"}
    ok = db is None and broker is None
    return Response(
        {"status": "ready" if ok else "not ready", "checks": checks},
        status_code=200 if ok else 503,
        media_type=MediaType.JSON,
    )


@get("/metrics", opt={"auth": "public"}, include_in_schema=False, sync_to_thread=False)
def metrics_endpoint() -> Response[bytes]:
    body, content_type = metrics.render()
    return Response(body, media_type=content_type)
