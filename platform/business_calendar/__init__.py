"""The business calendar: mainland-China working days (chinese_calendar) plus operator overrides.

See docs/business-calendar.md. The public surface is :mod:`.services` and :mod:`.errors`.
"""

from pawpay.platform.business_calendar.errors import CalendarNotCovered

__all__ = ["CalendarNotCovered"]
