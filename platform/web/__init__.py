"""The web kernel: app factory, request middleware (auth, scope, transaction), errors, health."""
