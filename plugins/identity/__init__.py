"""Built-in identity providers, each a plugin registered through the ``pawpay`` entry-point group."""
