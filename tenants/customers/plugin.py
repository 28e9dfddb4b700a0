"""Registers the store customers component."""

from __future__ import annotations
