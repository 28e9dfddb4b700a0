"""Built-in financing partners, each a plugin registered through the ``pawpay`` entry-point group."""
