"""Registers the store visits component."""

from __future__ import annotations
