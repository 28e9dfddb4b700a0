"""Registers the advances component."""

from __future__ import annotations
