"""Registers the store dunning component."""

from __future__ import annotations
