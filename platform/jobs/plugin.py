"""Registers the jobs component."""

from __future__ import annotations
