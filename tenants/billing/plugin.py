"""Registers the store billing component."""

from __future__ import annotations
