"""Onboarding's own stable error codes (public API once shipped: add new ones, never rename).

An application's input errors carry every problem at once: ``data["errors"]`` is a list of
``{"field", "code"}``; ``data["field"]`` names the first (as every field error does). The error's
own ``code`` is the problem's code when there is one problem, ``APPLICATION_INVALID`` otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Any, cast

from pawpay.platform.errors import BusinessRuleViolation, Conflict, ErrorCode, ValidationFailed


class OnboardingErrorCode(StrEnum):
    APPLICATION_INVALID = "APPLICATION_INVALID"
    FIELD_REQUIRED = "FIELD_REQUIRED"
    FIELD_TOO_LONG = "FIELD_TOO_LONG"
    USCC_INVALID = "USCC_INVALID"
    RESIDENT_ID_INVALID = "RESIDENT_ID_INVALID"
    LEGAL_REP_MINOR = "LEGAL_REP_MINOR"
    CERTIFICATE_EXPIRED = "CERTIFICATE_EXPIRED"
    OPENED_IN_FUTURE = "OPENED_IN_FUTURE"
    PHONE_INVALID = "PHONE_INVALID"
    EMAIL_INVALID = "EMAIL_INVALID"
    DOCUMENT_MISSING = "DOCUMENT_MISSING"
    DOCUMENT_KIND_INVALID = "DOCUMENT_KIND_INVALID"
    PHOTO_LABEL_INVALID = "PHOTO_LABEL_INVALID"
    PHOTO_COUNT = "PHOTO_COUNT"
    PHOTO_LABELS_MISSING = "PHOTO_LABELS_MISSING"
    TOO_MANY_PHOTOS = "TOO_MANY_PHOTOS"
    USCC_DUPLICATE = "USCC_DUPLICATE"
    APPLICATION_NOT_EDITABLE = "APPLICATION_NOT_EDITABLE"
    INVALID_TRANSITION = "INVALID_TRANSITION"
    CHECKS_FAILED = "CHECKS_FAILED"
    REASON_REQUIRED = "REASON_REQUIRED"


def code(value: OnboardingErrorCode) -> ErrorCode:
    # PawPayError types ``code`` as the platform's enum; both are str enums rendered with str().
    return cast(ErrorCode, value)


class ApplicationInvalid(ValidationFailed):
    """One or more fields of an application are wrong or missing (422)."""

    def __init__(self, problems: Sequence[tuple[str, str]], detail: str | None = None, **data: Any) -> None:
        self.problems = list(problems)
        first_field, first_code = self.problems[0]
        single = len(self.problems) == 1
        super().__init__(
            detail or (f"{first_field}: {first_code}" if single else "the application has errors"),
            code=code(OnboardingErrorCode(first_code) if single else OnboardingErrorCode.APPLICATION_INVALID),
            field=first_field, errors=[{"field": f, "code": c} for f, c in self.problems], **data,
        )


class DuplicateUscc(Conflict):
    """Another open or approved application has this USCC (409)."""

    def __init__(self) -> None:
        super().__init__("another open or approved application has this unified social credit code",
                         code=code(OnboardingErrorCode.USCC_DUPLICATE), field="uscc",
                         errors=[{"field": "uscc", "code": str(OnboardingErrorCode.USCC_DUPLICATE)}])


class NotEditable(Conflict):
    """The application is under review or decided: the applicant cannot change it now (409)."""

    def __init__(self, state: str) -> None:
        super().__init__(f"an application in state {state} cannot be changed",
                         code=code(OnboardingErrorCode.APPLICATION_NOT_EDITABLE), state=state)


class InvalidTransition(Conflict):
    """The review workflow does not allow this step from the current state (409)."""

    def __init__(self, state: str, action: str) -> None:
        super().__init__(f"cannot {action} an application in state {state}",
                         code=code(OnboardingErrorCode.INVALID_TRANSITION), state=state, action=action)


class ChecksFailed(BusinessRuleViolation):
    """An automatic check failed: the application cannot be approved (422)."""

    def __init__(self, failed: Sequence[str]) -> None:
        super().__init__("automatic checks failed: " + ", ".join(failed),
                         code=code(OnboardingErrorCode.CHECKS_FAILED), checks=list(failed))


class ReasonRequired(ValidationFailed):
    def __init__(self, field: str = "reason") -> None:
        super().__init__("give a reason", code=code(OnboardingErrorCode.REASON_REQUIRED), field=field)
