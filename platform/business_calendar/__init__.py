"""The business calendar: mainland-China working days (chinese_calendar) plus operator overrides."""
