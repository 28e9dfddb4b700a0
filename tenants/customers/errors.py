"""The customers domain's stable error codes (add new ones, never rename)."""

from __future__ import annotations

from enum import StrEnum
from typing import cast

from pawpay.platform.errors import ErrorCode


class CustomerErrorCode(StrEnum):
    CUSTOMER_INVALID_ID_NUMBER = "CUSTOMER_INVALID_ID_NUMBER"
    CUSTOMER_INVALID_PHONE = "CUSTOMER_INVALID_PHONE"
    CUSTOMER_INVALID_NAME = "CUSTOMER_INVALID_NAME"
    CUSTOMER_BIRTHDAY_IN_FUTURE = "CUSTOMER_BIRTHDAY_IN_FUTURE"
    PET_BIRTHDAY_IN_FUTURE = "PET_BIRTHDAY_IN_FUTURE"
    PET_BIRTHDAY_AFTER_ADOPTION = "PET_BIRTHDAY_AFTER_ADOPTION"
    PET_INVALID_SPECIES = "PET_INVALID_SPECIES"
    CUSTOMER_INVALID_TAG = "CUSTOMER_INVALID_TAG"
    MESSAGE_INVALID_CHANNEL = "MESSAGE_INVALID_CHANNEL"


def code(value: CustomerErrorCode) -> ErrorCode:
    # PawPayError types ``code`` as the platform's enum; both are str enums rendered with str().
    return cast(ErrorCode, value)
