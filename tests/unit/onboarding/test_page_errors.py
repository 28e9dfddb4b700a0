"""The /apply and /ops/applications pages show every onboarding error code as a translated field message."""

from __future__ import annotations

import pytest

from pawpay.admin_ui.pages.applications import MESSAGES, form_errors
from pawpay.platform.errors import NotFound
from pawpay.platform.onboarding.errors import ApplicationInvalid, DuplicateUscc, OnboardingErrorCode
from pawpay.platform.storage.errors import StorageErrorCode, upload_error

pytestmark = pytest.mark.unit


def test_every_field_code_has_a_message() -> None:
    shown_elsewhere = {OnboardingErrorCode.APPLICATION_INVALID}
    assert {str(c) for c in OnboardingErrorCode} - {str(c) for c in shown_elsewhere} <= set(MESSAGES)
    assert {str(c) for c in StorageErrorCode if str(c).startswith("UPLOAD_")} <= set(MESSAGES)


def test_every_problem_becomes_a_field_error() -> None:
    errors = form_errors(ApplicationInvalid([("uscc", "USCC_INVALID"), ("photos", "PHOTO_COUNT")]))
    assert errors == {"uscc": MESSAGES["USCC_INVALID"], "photos": MESSAGES["PHOTO_COUNT"]}
    assert form_errors(DuplicateUscc()) == {"uscc": MESSAGES["USCC_DUPLICATE"]}
    assert form_errors(upload_error(StorageErrorCode.UPLOAD_TOO_LARGE, "too big")) == {
        "file": MESSAGES["UPLOAD_TOO_LARGE"]}


def test_errors_that_are_not_about_input_propagate() -> None:
    with pytest.raises(NotFound):
        form_errors(NotFound("application not found"))
