"""Registers the store signing component."""

from __future__ import annotations
