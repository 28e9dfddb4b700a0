"""Fulfilment: one shipment per paid period (by the pet's current stage) through the store's cloud
warehouse, tracking, the 24 h ship-by target and the exception queue."""
