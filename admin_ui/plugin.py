"""Registers the admin UI (placeholder until the UI shell lands)."""

from __future__ import annotations
