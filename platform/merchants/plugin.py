"""Registers the merchants component."""

from __future__ import annotations
