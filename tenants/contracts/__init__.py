"""Contracts: states, the installment schedule, evidence, and the events other domains hear."""
