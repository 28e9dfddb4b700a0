"""The sandbox cloud warehouse (``warehouses/sandbox``): outbound orders whose parcels move
through tracking states as the store's (test) clock passes. See :mod:`.provider`."""
