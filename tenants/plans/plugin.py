"""Registers the store plans component."""

from __future__ import annotations
