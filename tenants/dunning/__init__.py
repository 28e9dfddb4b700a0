"""Dunning: the store's humane ladder after a failed debit, staff tasks and work queues, pauses and terminations."""
