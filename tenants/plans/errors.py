"""The plans' stable error codes (public API once shipped: add new ones, never rename)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, cast

from pawpay.platform.errors import BusinessRuleViolation, Conflict, ErrorCode


class PlanErrorCode(StrEnum):
    PLAN_AMOUNT_EXCEEDS_RAIL_LIMIT = "PLAN_AMOUNT_EXCEEDS_RAIL_LIMIT"
    PLAN_AMOUNT_OUTSIDE_POLICY = "PLAN_AMOUNT_OUTSIDE_POLICY"
    PLAN_VERSION_CONFLICT = "PLAN_VERSION_CONFLICT"
    PLAN_NEXT_STAGE_INVALID = "PLAN_NEXT_STAGE_INVALID"
    PLAN_OVERRIDE_INVALID = "PLAN_OVERRIDE_INVALID"


def _code(code: PlanErrorCode) -> ErrorCode:
    return cast(ErrorCode, code)


class AmountExceedsRailLimit(BusinessRuleViolation):
    """The store's payment provider cannot debit this monthly amount (422, refused).

    ``data``: ``cap_fen`` (the provider's cap), ``cap`` (``per_debit`` or ``daily``), ``provider``,
    ``amount_fen`` and ``message_zh_cn`` (the reason in Chinese, naming the cap)."""

    def __init__(self, detail: str, **data: Any) -> None:
        super().__init__(detail, code=_code(PlanErrorCode.PLAN_AMOUNT_EXCEEDS_RAIL_LIMIT),
                         field="monthly_amount_fen", **data)


class AmountNeedsConfirmation(BusinessRuleViolation):
    """The monthly amount is outside the operator's policy bounds: a warning; save again with
    ``confirm_amount_warning`` to accept it (422 until confirmed). ``data``: ``warn_min_fen``,
    ``warn_max_fen``, ``amount_fen``, ``needs_confirmation`` = true."""

    def __init__(self, detail: str, **data: Any) -> None:
        super().__init__(detail, code=_code(PlanErrorCode.PLAN_AMOUNT_OUTSIDE_POLICY),
                         field="monthly_amount_fen", needs_confirmation=True, **data)


class VersionConflict(Conflict):
    """The plan was saved by someone else since the editor loaded ``expected_version`` (409)."""

    def __init__(self, detail: str, **data: Any) -> None:
        super().__init__(detail, code=_code(PlanErrorCode.PLAN_VERSION_CONFLICT), **data)


class NextStageInvalid(BusinessRuleViolation):
    """The next-stage plan is not a later stage of the same species in this store (422)."""

    def __init__(self, detail: str, **data: Any) -> None:
        super().__init__(detail, code=_code(PlanErrorCode.PLAN_NEXT_STAGE_INVALID), field="next_stage_plan_id",
                         **data)


class OverrideInvalid(BusinessRuleViolation):
    """A pet override names both or neither of a plan and explicit lines, or a plan of another species (422)."""

    def __init__(self, detail: str, **data: Any) -> None:
        data.setdefault("field", "plan_id")
        super().__init__(detail, code=_code(PlanErrorCode.PLAN_OVERRIDE_INVALID), **data)
