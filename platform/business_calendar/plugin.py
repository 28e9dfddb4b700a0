"""Registers the business calendar component."""

from __future__ import annotations
