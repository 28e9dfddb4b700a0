"""Registers the settlement component."""

from __future__ import annotations
