"""The single mapping from exceptions to HTTP responses: ``{"code", "detail", "data"}``.

JSON for the API (and any client that does not ask for HTML); for browsers on ``/admin`` and
``/ops`` an unauthenticated request is sent to the login page and other errors render
``error.html`` if a component provides it (a minimal built-in page otherwise). Unexpected
exceptions are logged with the request id and answered with a generic 500: never a stack trace.
A database that cannot be reached is a 503 ``SERVICE_UNAVAILABLE`` (retry later), not a 500.
"""

from __future__ import annotations

import html
import logging
import re
import uuid
from typing import Any
from urllib.parse import quote

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, TemplateNotFoundException
from litestar.exceptions import ValidationException as LitestarValidationException
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR, HTTP_503_SERVICE_UNAVAILABLE

from pawpay.platform.db.engine import DATABASE_UNAVAILABLE
from pawpay.platform.errors import ErrorCode, PawPayError
from pawpay.platform.hooks import ProviderError
from pawpay.platform.hooks.registry import ProviderConfigInvalid

log = logging.getLogger("pawpay.errors")

_STATUS_CODES = {
    400: ErrorCode.BAD_REQUEST,
    401: ErrorCode.NOT_AUTHENTICATED,
    403: ErrorCode.PERMISSION_DENIED,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    409: ErrorCode.CONFLICT,
    413: ErrorCode.BAD_REQUEST,
    415: ErrorCode.BAD_REQUEST,
    429: ErrorCode.RATE_LIMITED,
    503: ErrorCode.SERVICE_UNAVAILABLE,
}
HTML_AREAS = ("/admin", "/ops", "/login", "/sign", "/apply")
ERROR_TEMPLATE = "error.html"

DATABASE_UNAVAILABLE_DETAIL = "the database is unavailable; try again in a moment"


class NothingSaved(PawPayError):
    """The request's transaction could not be committed (aborted, a deferred constraint, a
    serialization failure): it was rolled back, nothing was saved."""

    http_status = HTTP_500_INTERNAL_SERVER_ERROR
    default_code = ErrorCode.INTERNAL_ERROR


def wants_html(request: Request[Any, Any, Any]) -> bool:
    accept = request.headers.get("accept", "")
    return request.url.path.startswith(HTML_AREAS) and "text/html" in accept


def error_body(exc: BaseException) -> tuple[int, dict[str, Any]]:
    """The HTTP status and ``{code, detail, data}`` body for ``exc`` (no request id yet)."""
    if isinstance(exc, PawPayError):
        return exc.http_status, exc.to_body()
    if isinstance(exc, LitestarValidationException):
        return _validation_body(exc)
    if isinstance(exc, HTTPException):
        code = _STATUS_CODES.get(exc.status_code, ErrorCode.BAD_REQUEST if exc.status_code < 500
                                 else ErrorCode.INTERNAL_ERROR)
        return exc.status_code, {"code": str(code), "detail": exc.detail, "data": {}}
    if isinstance(exc, ProviderConfigInvalid | ProviderError):
        return _provider_body(exc)
    if isinstance(exc, DATABASE_UNAVAILABLE):
        return HTTP_503_SERVICE_UNAVAILABLE, {
            "code": str(ErrorCode.SERVICE_UNAVAILABLE), "detail": DATABASE_UNAVAILABLE_DETAIL, "data": {},
        }
    return HTTP_500_INTERNAL_SERVER_ERROR, {
        "code": str(ErrorCode.INTERNAL_ERROR),
        "detail": "an unexpected error happened; it was logged, quote the request id when reporting it",
        "data": {},
    }


def _provider_body(exc: ProviderConfigInvalid | ProviderError) -> tuple[int, dict[str, Any]]:
    if isinstance(exc, ProviderConfigInvalid):
        return 422, {
            "code": str(ErrorCode.VALIDATION_FAILED),
            "detail": f"the settings for {exc.category}/{exc.name} are not valid",
            "data": {"errors": [{"field": e.field, "message": e.message, "type": e.code} for e in exc.errors]},
        }
    # A provider's unexpected fault (declines are values, never exceptions): the vendor, not the
    # caller, is at fault; `retryable` tells the client whether trying later may help.
    return 502, {
        "code": str(ErrorCode.PROVIDER_ERROR),
        "detail": "the payment/credit/warehouse provider failed; nothing was changed here",
        "data": {"provider_code": exc.code, "retryable": exc.retryable},
    }


# msgspec names the offending field of the body object in backticks: "Object missing required
# field `email`", "Object contains unknown field `z`".
_FIELD_IN_MESSAGE = re.compile(r"field `([^`]+)`")


def _validation_body(exc: LitestarValidationException) -> tuple[int, dict[str, Any]]:
    """Litestar's parameter/body validation as pawpay's model.

    A body that is not JSON at all never gets here (litestar raises a plain 400 ``ClientException``:
    ``BAD_REQUEST``), except an empty one, which litestar reports as the handler's ``data``
    argument missing (message ``'data'``): that is ``BAD_REQUEST`` too. Everything else is a
    well-formed request of the wrong shape (unknown, missing or mistyped fields): 422
    ``VALIDATION_FAILED`` like the services' own :class:`ValidationFailed`, with ``data.errors``.
    """
    entries = [e for e in (exc.extra if isinstance(exc.extra, list) else []) if isinstance(e, dict)]
    if any(e.get("source") == "body" and e.get("message") == f"'{e.get('key')}'" for e in entries):
        return 400, {"code": str(ErrorCode.BAD_REQUEST), "detail": "the request body is missing", "data": {}}
    errors = []
    for entry in entries:
        field, message = str(entry.get("key", "")), str(entry.get("message", ""))
        named = _FIELD_IN_MESSAGE.search(message)
        if field == "data" and named:  # the body object itself: name the field inside it
            field = named.group(1)
        errors.append({"field": field, "message": message})
    detail = exc.detail or "the request is not valid"
    return 422, {"code": str(ErrorCode.VALIDATION_FAILED), "detail": detail, "data": {"errors": errors}}


def _fallback_page(status: int, body: dict[str, Any], request_id: str) -> Response[str]:
    """A bare page for when no component provides ``error.html`` (or it cannot be rendered)."""
    text = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{status}</title></head><body>"
        f"<h1>{status}</h1><p>{html.escape(str(body['detail']))}</p>"
        f"<p><small>{html.escape(str(body['code']))} · {html.escape(request_id)}</small></p></body></html>"
    )
    return Response(content=text, status_code=status, media_type=MediaType.HTML)


def _html_response(
    request: Request[Any, Any, Any], exc: Exception, status: int, body: dict[str, Any], request_id: str
) -> Response[Any]:
    signed_out = isinstance(exc, NotAuthorizedException) or body["code"] == ErrorCode.NOT_AUTHENTICATED
    if signed_out and not request.url.path.startswith("/login"):
        target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        return Redirect(path=f"/login?next={target}", status_code=303)
    engine = request.app.template_engine
    if engine is None:
        return _fallback_page(status, body, request_id)
    try:
        # Resolve it now: a missing template must not turn into a second error while rendering.
        engine.get_template(ERROR_TEMPLATE)
    except TemplateNotFoundException:
        return _fallback_page(status, body, request_id)
    return Template(
        template_name=ERROR_TEMPLATE,
        context={"status": status, "error": body, "request_id": request_id},
        status_code=status,
        media_type=MediaType.HTML,
    )


def exception_to_response(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    status, body = error_body(exc)
    state = request.scope.setdefault("state", {})
    request_id = state.get("request_id")
    headers: dict[str, str] = {}
    if not request_id:
        # Raised before the request middleware ran (unknown route, wrong method): give the
        # response an id of its own so that every answer can be quoted in a report.
        request_id = state["request_id"] = uuid.uuid4().hex
        headers["x-request-id"] = request_id
    if status >= 500 and isinstance(exc, DATABASE_UNAVAILABLE):
        log.warning("database unavailable: %s", exc, extra={"request_id": request_id})
    elif status >= 500 and not isinstance(exc, PawPayError):
        log.exception("unhandled error", exc_info=exc, extra={"request_id": request_id})
    elif status >= 500:
        log.error("%s: %s", body["code"], body["detail"], extra={"request_id": request_id})
    if status >= 500:
        body["data"] = {**body["data"], "request_id": request_id}
    if status == 429 and isinstance(exc, PawPayError) and "retry_after_seconds" in exc.data:
        headers["retry-after"] = str(exc.data["retry_after_seconds"])
    if wants_html(request):
        response = _html_response(request, exc, status, body, request_id)
        for name, value in headers.items():
            response.headers[name] = value
        return response
    return Response(content=body, status_code=status, media_type=MediaType.JSON, headers=headers)
