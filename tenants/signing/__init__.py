"""Signing: the customer's 3-minute flow (phone code, real name + face, risk decision, e-sign, debit authorisation)."""
