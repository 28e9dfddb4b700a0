"""Registers the store aftersales component."""

from __future__ import annotations
