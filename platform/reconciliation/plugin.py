"""Registers the reconciliation component."""

from __future__ import annotations
