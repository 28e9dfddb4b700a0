"""Registers the store contracts component."""

from __future__ import annotations
