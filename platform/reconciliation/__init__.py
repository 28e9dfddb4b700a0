"""Reconciliation: each provider statement line matched against the ledger; differences resolved
by operators with a reason."""
