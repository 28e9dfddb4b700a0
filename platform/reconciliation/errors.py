"""Reconciliation's own stable error codes."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, cast

from pawpay.platform.errors import Conflict, ErrorCode


class ReconErrorCode(StrEnum):
    RECON_ALREADY_RESOLVED = "RECON_ALREADY_RESOLVED"


class AlreadyResolved(Conflict):
    """The difference was resolved before (409)."""

    def __init__(self, detail: str, **data: Any) -> None:
        super().__init__(detail, code=cast(ErrorCode, ReconErrorCode.RECON_ALREADY_RESOLVED), **data)
