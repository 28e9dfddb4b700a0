"""Built-in warehouse providers, each a plugin registered through the ``pawpay`` entry-point group."""
