"""Shared test configuration. Fixtures come from the ``pawpay.platform.testing`` pytest plugin."""
