"""Registers the onboarding component."""

from __future__ import annotations
