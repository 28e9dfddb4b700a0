"""Errors of the jobs component."""

from __future__ import annotations

from pawpay.platform.errors import BusinessRuleViolation


class TestClockNotAllowed(BusinessRuleViolation):
    """A live store (not in test mode) tried to move its clock (422, ``BUSINESS_RULE``)."""

    __test__ = False  # not a pytest test class, despite its name
