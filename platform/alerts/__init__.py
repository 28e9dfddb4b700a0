"""Operator alerts: things the platform will not guess about, raised once and resolved with a reason.

See docs/alerts.md. The public surface is :mod:`.services` and :mod:`.errors`.
"""
