"""Registers the store catalog component."""

from __future__ import annotations
