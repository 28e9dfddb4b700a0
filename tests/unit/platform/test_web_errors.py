"""The error model's mapping, without a database or an app."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import asyncpg
import msgspec
import pytest
from litestar.exceptions import MethodNotAllowedException, NotFoundException, ValidationException

from pawpay.platform.errors import (
    ErrorCode,
    NotFound,
    PermissionDenied,
    RateLimited,
    ScopeViolation,
    ValidationFailed,
)
from pawpay.platform.web.errors import error_body
from pawpay.platform.web.middleware import _json_error
from pawpay.platform.web.schemas import Error, to_schema

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (NotFound("gone"), 404, ErrorCode.NOT_FOUND),
        (ValidationFailed("bad", field="x"), 422, ErrorCode.VALIDATION_FAILED),
        (RateLimited("slow down", retry_after_seconds=3), 429, ErrorCode.RATE_LIMITED),
        (ScopeViolation("bug"), 500, ErrorCode.SCOPE_VIOLATION),
        (ValidationException(detail="bad body", extra=[{"key": "email", "message": "required"}]), 422,
         ErrorCode.VALIDATION_FAILED),
        (ValidationException(detail="empty", extra=[{"key": "data", "message": "'data'", "source": "body"}]), 400,
         ErrorCode.BAD_REQUEST),
        (NotFoundException(), 404, ErrorCode.NOT_FOUND),
        (MethodNotAllowedException(), 405, ErrorCode.METHOD_NOT_ALLOWED),
        (ConnectionRefusedError("refused"), 503, ErrorCode.SERVICE_UNAVAILABLE),
        (asyncpg.AdminShutdownError("terminating connection"), 503, ErrorCode.SERVICE_UNAVAILABLE),
        (asyncpg.TooManyConnectionsError("too many"), 503, ErrorCode.SERVICE_UNAVAILABLE),
        (RuntimeError("secret internals"), 500, ErrorCode.INTERNAL_ERROR),
    ],
)
def test_every_exception_maps_to_one_status_and_code(exc: Exception, status: int, code: ErrorCode) -> None:
    got_status, body = error_body(exc)
    assert got_status == status
    assert body["code"] == code
    assert set(body) == {"code", "detail", "data"}
    assert isinstance(body["detail"], str)
    assert body["detail"]
    msgspec.json.encode(body)  # always serialisable


def test_unexpected_errors_never_leak_their_message() -> None:
    _, body = error_body(RuntimeError("password=hunter2 at /srv/app.py line 3"))
    assert "hunter2" not in str(body)
    assert "app.py" not in str(body)


def test_validation_errors_name_the_fields() -> None:
    _, body = error_body(ValidationException(detail="bad", extra=[{"key": "email", "message": "required"}]))
    assert body["data"]["errors"] == [{"field": "email", "message": "required"}]
    _, body = error_body(ValidationException(detail="bad", extra=[
        {"key": "data", "message": "Object contains unknown field `is_superuser`", "source": "body"}]))
    assert body["data"]["errors"] == [
        {"field": "is_superuser", "message": "Object contains unknown field `is_superuser`"}]


def test_pawpay_errors_carry_their_data() -> None:
    _, body = error_body(ValidationFailed("slug is bad", field="slug"))
    assert body == {"code": "VALIDATION_FAILED", "detail": "slug is bad", "data": {"field": "slug"}}


async def test_the_middleware_answers_with_the_same_body_builder() -> None:
    sent: list[dict[str, Any]] = []

    async def send(message: Any) -> None:
        sent.append(message)

    exc = PermissionDenied("CSRF token missing", code=ErrorCode.CSRF_FAILED)
    await _json_error(send, exc, "req-1")
    assert sent[0]["status"] == 403
    assert json.loads(sent[1]["body"]) == error_body(exc)[1]
    sent.clear()
    await _json_error(send, ConnectionRefusedError("refused"), "req-2")
    body = json.loads(sent[1]["body"])
    assert sent[0]["status"] == 503
    assert body["code"] == "SERVICE_UNAVAILABLE"
    assert body["data"] == {"request_id": "req-2"}


def test_to_schema_converts_a_view_by_attributes() -> None:
    @dataclasses.dataclass
    class View:
        code: str
        detail: str
        data: dict[str, Any]
        internal: str = "not in the schema"

    assert to_schema(View("X", "y", {}), Error) == Error(code="X", detail="y", data={})
