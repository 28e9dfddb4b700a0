"""Upload and storage error codes (public API once shipped: add new ones, never rename).

Messages are English; the UI maps the codes to zh-CN text.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, cast

from pawpay.platform.errors import ErrorCode, NotFound, ValidationFailed


class StorageErrorCode(StrEnum):
    UPLOAD_TOO_LARGE = "UPLOAD_TOO_LARGE"
    UPLOAD_TYPE_NOT_ALLOWED = "UPLOAD_TYPE_NOT_ALLOWED"
    UPLOAD_NOT_AN_IMAGE = "UPLOAD_NOT_AN_IMAGE"
    UPLOAD_EMPTY = "UPLOAD_EMPTY"
    FILE_NOT_FOUND = "FILE_NOT_FOUND"


def code(value: StorageErrorCode) -> ErrorCode:
    # PawPayError types ``code`` as the platform's enum; both are str enums rendered with str().
    return cast(ErrorCode, value)


def upload_error(value: StorageErrorCode, detail: str, **data: Any) -> ValidationFailed:
    """A refused upload, always on the form's ``file`` field."""
    return ValidationFailed(detail, code=code(value), field="file", **data)


class FileNotFound(NotFound):
    """No such stored file (or a download link that is tampered with or expired): 404."""

    def __init__(self, detail: str = "no such file", **data: Any) -> None:
        super().__init__(detail, code=code(StorageErrorCode.FILE_NOT_FOUND), **data)
