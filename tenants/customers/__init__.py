"""Customers and their pets: PII encrypted at rest, masked, found by keyed hash."""
