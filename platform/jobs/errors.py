"""Errors of the jobs component."""

from __future__ import annotations

from pawpay.platform.errors import BusinessRuleViolation, ErrorCode


class TestClockNotAllowed(BusinessRuleViolation):
    """A live store (not in test mode) tried to move its clock (422, ``TEST_CLOCK_NOT_ALLOWED``)."""

    default_code = ErrorCode.TEST_CLOCK_NOT_ALLOWED

    __test__ = False  # not a pytest test class, despite its name
