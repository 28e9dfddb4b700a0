"""The sandbox notifier (``notifications/sandbox``): sends nothing, keeps every message in an
in-memory inbox per store. See :mod:`.provider` for the scripted phone numbers and openids."""
