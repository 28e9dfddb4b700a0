"""Each store's provider per category: the choice, its sealed credentials, "test connection",
and the operators' overview. :mod:`.services` is the entry point."""
