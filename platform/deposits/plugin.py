"""Registers the deposits component."""

from __future__ import annotations
