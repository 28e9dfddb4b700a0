"""Registers the alerts component."""

from __future__ import annotations
