"""Registers the store fulfilment component."""

from __future__ import annotations
