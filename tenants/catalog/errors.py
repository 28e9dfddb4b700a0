"""The catalog's stable error codes (public API once shipped: add new ones, never rename)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, cast

from pawpay.platform.errors import BusinessRuleViolation, Conflict, ErrorCode


class CatalogErrorCode(StrEnum):
    CATALOG_CODE_TAKEN = "CATALOG_CODE_TAKEN"
    CATALOG_ITEM_INACTIVE = "CATALOG_ITEM_INACTIVE"


class CodeTaken(Conflict):
    """Another SKU (or service) of the store already has this code (409)."""

    def __init__(self, detail: str, **data: Any) -> None:
        super().__init__(detail, code=cast(ErrorCode, CatalogErrorCode.CATALOG_CODE_TAKEN), field="code", **data)


class ItemInactive(BusinessRuleViolation):
    """A plan may not list a deactivated SKU or service (422)."""

    def __init__(self, detail: str, **data: Any) -> None:
        super().__init__(detail, code=cast(ErrorCode, CatalogErrorCode.CATALOG_ITEM_INACTIVE), **data)
