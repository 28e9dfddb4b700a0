"""The single mapping from exceptions to HTTP responses: ``{"code", "detail", "data"}``.

JSON for the API (and any client that does not ask for HTML); for browsers on ``/admin`` and
``/ops`` an unauthenticated request is sent to the login page and other errors render
``error.html`` if a component provides it. Unexpected exceptions are logged with the request id
and answered with a generic 500: never a stack trace.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException
from litestar.exceptions import ValidationException as LitestarValidationException
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from pawpay.platform.errors import ErrorCode, PawPayError

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


def wants_html(request: Request[Any, Any, Any]) -> bool:
    accept = request.headers.get("accept", "")
    return request.url.path.startswith(HTML_AREAS) and "text/html" in accept


def _body(exc: Exception) -> tuple[int, dict[str, Any]]:
    if isinstance(exc, PawPayError):
        return exc.http_status, exc.to_body()
    if isinstance(exc, LitestarValidationException):
        errors = [
            {"field": str(e.get("key", "")), "message": str(e.get("message", ""))}
            for e in (exc.extra if isinstance(exc.extra, list) else [])
            if isinstance(e, dict)
        ]
        detail = exc.detail or "the request is not valid"
        return 400, {"code": str(ErrorCode.VALIDATION_FAILED), "detail": detail, "data": {"errors": errors}}
    if isinstance(exc, HTTPException):
        code = _STATUS_CODES.get(exc.status_code, ErrorCode.BAD_REQUEST if exc.status_code < 500
                                 else ErrorCode.INTERNAL_ERROR)
        return exc.status_code, {"code": str(code), "detail": exc.detail, "data": {}}
    return HTTP_500_INTERNAL_SERVER_ERROR, {
        "code": str(ErrorCode.INTERNAL_ERROR),
        "detail": "an unexpected error happened; it was logged, quote the request id when reporting it",
        "data": {},
    }


def exception_to_response(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    status, body = _body(exc)
    request_id = request.scope.get("state", {}).get("request_id", "")
    if status >= 500 and not isinstance(exc, PawPayError):
        log.exception("unhandled error", exc_info=exc, extra={"request_id": request_id})
    elif status >= 500:
        log.error("%s: %s", body["code"], body["detail"], extra={"request_id": request_id})
    body["data"] = {**body["data"], "request_id": request_id} if status >= 500 else body["data"]
    headers = {}
    if status == 429 and isinstance(exc, PawPayError) and "retry_after_seconds" in exc.data:
        headers["retry-after"] = str(exc.data["retry_after_seconds"])
    if wants_html(request):
        if isinstance(exc, (NotAuthorizedException,)) or body["code"] == ErrorCode.NOT_AUTHENTICATED:
            if not request.url.path.startswith("/login"):
                target = quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
                return Redirect(path=f"/login?next={target}", status_code=303)
        return Template(
            template_name="error.html",
            context={"status": status, "error": body, "request_id": request_id},
            status_code=status,
            media_type=MediaType.HTML,
        )
    return Response(content=body, status_code=status, media_type=MediaType.JSON, headers=headers)
