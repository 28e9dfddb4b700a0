"""A fake of Acme Credit's API, for tests: Acme's documented test mode, in memory.

Use it as the provider's transport: ``AcmeCredit(transport=httpx.MockTransport(FakeAcme().handle))``.
The real request building and answer mapping run; only the network is replaced. The scripted
outcomes are those of Acme's test mode (README.md, "Deterministic test mode").
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass
class _Check:
    fingerprint: str
    body: dict[str, Any]


@dataclass
class FakeAcme:
    """Acme's API for one merchant: ``merchant_id`` with ``api_key``; ``unreachable`` drops every call."""

    merchant_id: str = "acme-merchant-1"
    api_key: str = "acme_test_" + "k" * 22
    unreachable: bool = False
    checks: dict[str, _Check] = field(default_factory=dict)
    checks_made: int = 0  # how many checks Acme ran (billed): a replay does not count

    def handle(self, request: httpx.Request) -> httpx.Response:
        if self.unreachable:
            raise httpx.ConnectError("connection refused", request=request)
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return httpx.Response(401, json={"error": "invalid_api_key"})
        path = request.url.path
        if request.method == "GET" and path == "/v1/merchant":
            return httpx.Response(200, json={"merchant_id": self.merchant_id, "mode": "test"})
        if request.method == "POST" and path == "/v1/checks":
            return self._create(request)
        if request.method == "GET" and path.startswith("/v1/checks/"):
            return self._retrieve(path.removeprefix("/v1/checks/"))
        return httpx.Response(404, json={"error": "no_such_endpoint"})

    def _create(self, request: httpx.Request) -> httpx.Response:
        payload = json.loads(request.content)
        reference = request.headers.get("idempotency-key") or payload["reference"]
        fingerprint = hashlib.sha256(request.content).hexdigest()
        existing = self.checks.get(reference)
        if existing is not None:
            if existing.fingerprint != fingerprint:
                return httpx.Response(409, json={"error": "idempotency_conflict"})
            return self._retrieve(reference)
        if len(payload["id_number"]) != 18:
            return httpx.Response(422, json={"error": "invalid_id_number"})
        digit = payload["mobile"][-1:]
        if digit == "5":
            return httpx.Response(429, json={"error": "rate_limited"})  # nothing recorded
        self.checks_made += 1
        body = {"id": f"chk_{hashlib.sha256(reference.encode()).hexdigest()[:16]}", "reference": reference,
                "status": "decided", "decision": "approve", "reason": "score_ok", "conditions": []}
        check = _Check(fingerprint, body)
        if digit == "9":
            body.update(decision="decline", reason="low_score")
        elif digit == "8":
            body.update(decision="review", reason="thin_file", conditions=["deposit"])
        elif digit == "7":
            body.update(status="pending", decision=None, reason=None)
        self.checks[reference] = check
        if digit == "6":
            raise httpx.ReadTimeout("Acme recorded the check, the answer was lost", request=request)
        return httpx.Response(200, json=body)

    def _retrieve(self, reference: str) -> httpx.Response:
        check = self.checks.get(reference)
        if check is None:
            return httpx.Response(404, json={"error": "not_found"})
        if check.body["status"] == "pending":  # by the next look, the consumer has confirmed in Acme's app
            check.body.update(status="decided", decision="approve", reason="score_ok")
        return httpx.Response(200, json=check.body)
