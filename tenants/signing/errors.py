"""The signing domain's stable error codes (add new ones, never rename).

Details are English msgids: the pages translate them (zh-CN catalogs), the API returns them with the code.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, cast

from pawpay.platform.errors import BusinessRuleViolation, Conflict, ErrorCode, PermissionDenied, ValidationFailed


class SigningErrorCode(StrEnum):
    SIGNING_OTP_EXPIRED = "SIGNING_OTP_EXPIRED"
    SIGNING_OTP_USED = "SIGNING_OTP_USED"
    SIGNING_OTP_WRONG = "SIGNING_OTP_WRONG"
    SIGNING_OTP_TOO_MANY_ATTEMPTS = "SIGNING_OTP_TOO_MANY_ATTEMPTS"
    SIGNING_OTP_RATE_LIMITED = "SIGNING_OTP_RATE_LIMITED"
    SIGNING_OTP_NOT_SENT = "SIGNING_OTP_NOT_SENT"
    SIGNING_SESSION_INVALID = "SIGNING_SESSION_INVALID"
    SIGNING_STEP_OUT_OF_ORDER = "SIGNING_STEP_OUT_OF_ORDER"
    SIGNING_STEP_LOCKED = "SIGNING_STEP_LOCKED"
    SIGNING_CLOSED = "SIGNING_CLOSED"
    SIGNING_UNDER_REVIEW = "SIGNING_UNDER_REVIEW"
    SIGNING_DECLINED = "SIGNING_DECLINED"
    SIGNING_INVALID_INPUT = "SIGNING_INVALID_INPUT"
    SIGNING_CONSENT_REQUIRED = "SIGNING_CONSENT_REQUIRED"
    SIGNING_PROVIDER_PENDING = "SIGNING_PROVIDER_PENDING"
    SIGNING_PROVIDER_FAILED = "SIGNING_PROVIDER_FAILED"
    SIGNING_NOT_ALLOWED = "SIGNING_NOT_ALLOWED"
    SIGNING_NOT_IN_REVIEW = "SIGNING_NOT_IN_REVIEW"


def code(value: SigningErrorCode) -> ErrorCode:
    return cast(ErrorCode, value)


class InvalidInput(ValidationFailed):
    """A field of a step is invalid (422, ``field`` names it)."""

    def __init__(self, detail: str, *, field: str,
                 error_code: SigningErrorCode = SigningErrorCode.SIGNING_INVALID_INPUT, **data: Any) -> None:
        super().__init__(detail, field=field, code=code(error_code), **data)


class OtpRefused(ValidationFailed):
    """The one-time code is expired, used, wrong or locked (422, ``field="code"``)."""

    def __init__(self, detail: str, error_code: SigningErrorCode, **data: Any) -> None:
        super().__init__(detail, field="code", code=code(error_code), **data)


class OtpRateLimited(BusinessRuleViolation):
    def __init__(self, detail: str = "a code was sent a moment ago; wait a minute before asking again",
                 **data: Any) -> None:
        super().__init__(detail, code=code(SigningErrorCode.SIGNING_OTP_RATE_LIMITED), **data)


class SessionInvalid(PermissionDenied):
    """No, an expired or another store's signing session (403)."""

    def __init__(self, detail: str = "your sign-in has expired; sign in again with your phone", **data: Any) -> None:
        super().__init__(detail, code=code(SigningErrorCode.SIGNING_SESSION_INVALID), **data)


class StepOutOfOrder(Conflict):
    """A step posted before the steps it depends on (409); nothing changes."""

    def __init__(self, detail: str, **data: Any) -> None:
        super().__init__(detail, code=code(SigningErrorCode.SIGNING_STEP_OUT_OF_ORDER), **data)


class StepLocked(Conflict):
    def __init__(self, detail: str = "this step can no longer be changed", **data: Any) -> None:
        super().__init__(detail, code=code(SigningErrorCode.SIGNING_STEP_LOCKED), **data)


class SigningClosed(Conflict):
    """The signing is under review, declined or finished (409)."""

    def __init__(self, detail: str, error_code: SigningErrorCode = SigningErrorCode.SIGNING_CLOSED, **data: Any
                 ) -> None:
        super().__init__(detail, code=code(error_code), **data)


class ConsentRequired(ValidationFailed):
    def __init__(self, detail: str, *, field: str, **data: Any) -> None:
        super().__init__(detail, field=field, code=code(SigningErrorCode.SIGNING_CONSENT_REQUIRED), **data)


class ProviderPending(Conflict):
    """The provider has no final answer yet (409): try again in a moment; nothing was lost."""

    def __init__(self, detail: str, **data: Any) -> None:
        super().__init__(detail, code=code(SigningErrorCode.SIGNING_PROVIDER_PENDING), **data)


class ProviderFailed(BusinessRuleViolation):
    def __init__(self, detail: str, **data: Any) -> None:
        super().__init__(detail, code=code(SigningErrorCode.SIGNING_PROVIDER_FAILED), **data)


class SigningNotAllowed(BusinessRuleViolation):
    def __init__(self, detail: str = "this store is not taking new signings right now", **data: Any) -> None:
        super().__init__(detail, code=code(SigningErrorCode.SIGNING_NOT_ALLOWED), **data)


class NotInReview(Conflict):
    def __init__(self, detail: str = "this signing is not waiting for a review", **data: Any) -> None:
        super().__init__(detail, code=code(SigningErrorCode.SIGNING_NOT_IN_REVIEW), **data)
