"""Prometheus metrics, exposed at ``/metrics`` (no database access, no auth: scrape it internally)."""

from __future__ import annotations

from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

REQUESTS = Counter("pawpay_http_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram(
    "pawpay_http_request_duration_seconds", "HTTP request duration", ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
JOBS = Counter("pawpay_jobs_total", "Jobs processed by the worker", ["actor", "outcome"])
SCHEDULER_CLAIMS = Counter("pawpay_scheduler_claimed_total", "Due rows claimed by the scheduler", ["work"])


def _route(scope: Any) -> str:
    # The matched route's template (``/api/v1/staff/{account_id}``), never the raw path: label
    # values stay bounded. (A controller handler's own ``paths`` are relative to the controller.)
    template = scope.get("path_template")
    return str(template) if template else "unmatched"


def observe_request(scope: Any, status: int, seconds: float) -> None:
    method = scope.get("method", "GET")
    route = _route(scope)
    REQUESTS.labels(method, route, str(status)).inc()
    LATENCY.labels(method, route).observe(seconds)


def render() -> tuple[bytes, str]:
    return generate_latest(), CONTENT_TYPE_LATEST
