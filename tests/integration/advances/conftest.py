"""The shared money books (tests/integration/money_books.py) and their clock fixture."""

from tests.integration.money_books import frozen  # noqa: F401 - a fixture, registered by import
