"""Billing: pre-debit reminders, automatic debits through the store's payment provider, retries,
and the paid period's events."""
