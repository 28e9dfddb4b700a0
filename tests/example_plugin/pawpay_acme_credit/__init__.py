"""Acme Credit for pawpay: the ``credit/acme`` provider (see README.md)."""
