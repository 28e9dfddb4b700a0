"""Deposits: the store's fulfilment deposit, withheld from releases until it meets its target."""
