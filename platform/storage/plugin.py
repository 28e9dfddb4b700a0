"""Registers the storage component."""

from __future__ import annotations
