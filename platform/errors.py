"""One error model for every route and job: a stable ``code``, a human ``detail``, and ``data``.

Services raise these; a single litestar exception handler (``pawpay.platform.web.errors``) turns
them into ``{"code", "detail", "data"}`` JSON with the right HTTP status. Codes are public API
once shipped: add new ones, never rename.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, ClassVar


class ErrorCode(StrEnum):
    BAD_REQUEST = "BAD_REQUEST"
    VALIDATION_FAILED = "VALIDATION_FAILED"
    NOT_AUTHENTICATED = "NOT_AUTHENTICATED"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    CSRF_FAILED = "CSRF_FAILED"
    NOT_FOUND = "NOT_FOUND"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    CONFLICT = "CONFLICT"
    BUSINESS_RULE = "BUSINESS_RULE"
    RATE_LIMITED = "RATE_LIMITED"
    ACCOUNT_LOCKED = "ACCOUNT_LOCKED"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
    PROVIDER_ERROR = "PROVIDER_ERROR"
    INTERNAL_ERROR = "INTERNAL_ERROR"
    EMAIL_TAKEN = "EMAIL_TAKEN"
    TENANT_SLUG_TAKEN = "TENANT_SLUG_TAKEN"
    SCOPE_VIOLATION = "SCOPE_VIOLATION"
    TEST_CLOCK_NOT_ALLOWED = "TEST_CLOCK_NOT_ALLOWED"


class PawPayError(Exception):
    """Base of every error pawpay raises on purpose."""

    http_status: ClassVar[int] = 400
    default_code: ClassVar[ErrorCode] = ErrorCode.BAD_REQUEST
    retryable: ClassVar[bool] = False

    def __init__(self, detail: str, *, code: ErrorCode | None = None, **data: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code or self.default_code
        self.data = data

    def to_body(self) -> dict[str, Any]:
        return {"code": str(self.code), "detail": self.detail, "data": self.data}


class ValidationFailed(PawPayError):
    http_status = 422
    default_code = ErrorCode.VALIDATION_FAILED


class NotAuthenticated(PawPayError):
    http_status = 401
    default_code = ErrorCode.NOT_AUTHENTICATED


class PermissionDenied(PawPayError):
    http_status = 403
    default_code = ErrorCode.PERMISSION_DENIED


class NotFound(PawPayError):
    """Missing and belonging to another tenant look exactly the same."""

    http_status = 404
    default_code = ErrorCode.NOT_FOUND


class Conflict(PawPayError):
    http_status = 409
    default_code = ErrorCode.CONFLICT


class BusinessRuleViolation(PawPayError):
    http_status = 422
    default_code = ErrorCode.BUSINESS_RULE


class RateLimited(PawPayError):
    http_status = 429
    default_code = ErrorCode.RATE_LIMITED


class ServiceUnavailable(PawPayError):
    http_status = 503
    default_code = ErrorCode.SERVICE_UNAVAILABLE
    retryable = True


class RetryableError(PawPayError):
    """Infrastructure trouble (database, broker) worth retrying with the same idempotency key."""

    http_status = 503
    default_code = ErrorCode.SERVICE_UNAVAILABLE
    retryable = True


class ScopeViolation(PawPayError):
    """Code asked for a database scope it may not enter (a bug, never user input)."""

    http_status = 500
    default_code = ErrorCode.SCOPE_VIOLATION
