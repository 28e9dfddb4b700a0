"""Registers the reports component."""

from __future__ import annotations
