"""The merchants component's own stable error codes (public API once shipped: add, never rename)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, cast

from pawpay.platform.errors import BusinessRuleViolation, ErrorCode, ValidationFailed


class MerchantErrorCode(StrEnum):
    MERCHANT_TERMS_INVALID = "MERCHANT_TERMS_INVALID"
    MERCHANT_PROFILE_INVALID = "MERCHANT_PROFILE_INVALID"
    MERCHANT_GO_LIVE_NOT_READY = "MERCHANT_GO_LIVE_NOT_READY"
    MERCHANT_ALREADY_LIVE = "MERCHANT_ALREADY_LIVE"
    MERCHANT_AGREEMENT_ALREADY_SIGNED = "MERCHANT_AGREEMENT_ALREADY_SIGNED"
    MERCHANT_STATUS_UNCHANGED = "MERCHANT_STATUS_UNCHANGED"


def code(value: MerchantErrorCode) -> ErrorCode:
    # PawPayError types ``code`` as the platform's enum; both are str enums rendered with str().
    return cast(ErrorCode, value)


class TermsInvalid(ValidationFailed):
    """A terms field is out of the platform's bounds (422, ``field`` names the attribute)."""

    def __init__(self, detail: str, **data: Any) -> None:
        super().__init__(detail, code=code(MerchantErrorCode.MERCHANT_TERMS_INVALID), **data)


class ProfileInvalid(ValidationFailed):
    def __init__(self, detail: str, **data: Any) -> None:
        super().__init__(detail, code=code(MerchantErrorCode.MERCHANT_PROFILE_INVALID), **data)


class GoLiveNotReady(BusinessRuleViolation):
    """Going live needs the merchant agreement signed and the sub-merchant approved (422)."""

    def __init__(self, detail: str, **data: Any) -> None:
        super().__init__(detail, code=code(MerchantErrorCode.MERCHANT_GO_LIVE_NOT_READY), **data)


class AlreadyLive(BusinessRuleViolation):
    def __init__(self, detail: str, **data: Any) -> None:
        super().__init__(detail, code=code(MerchantErrorCode.MERCHANT_ALREADY_LIVE), **data)


class AgreementAlreadySigned(BusinessRuleViolation):
    def __init__(self, detail: str, **data: Any) -> None:
        super().__init__(detail, code=code(MerchantErrorCode.MERCHANT_AGREEMENT_ALREADY_SIGNED), **data)


class StatusUnchanged(BusinessRuleViolation):
    def __init__(self, detail: str, **data: Any) -> None:
        super().__init__(detail, code=code(MerchantErrorCode.MERCHANT_STATUS_UNCHANGED), **data)
