"""Operator alerts: things the platform will not guess about, raised once and resolved with a reason."""
